package prediction

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/healthmon/healthmon/scoring"
)

// benchSnapshot builds a snapshot of 50 components x 20 readings = 1000
// series: a third rising, a third flat, a third falling, all noisy.
func benchSnapshot(rng *rand.Rand, i int, at time.Time) scoring.Snapshot {
	cs := make([]scoring.ComponentHealth, 50)
	for c := range cs {
		rs := make([]scoring.Reading, 20)
		for r := range rs {
			slope := float64((c*20+r)%3-1) * 0.0005
			rs[r] = scoring.Reading{Metric: fmt.Sprintf("metric_%02d", r), Value: 0.5 + slope*float64(i) + rng.NormFloat64()*0.01, Thresholds: memTh}
			if r == 0 {
				rs[r].Metric = "memory_used_ratio"
			}
		}
		cs[c] = scoring.Assess(fmt.Sprintf("component_%02d", c), "go", rs, nil)
	}
	return scoring.NewSnapshot(at, policy, cs)
}

// BenchmarkPredict1000Series is one prediction step over 1000 series with
// 120 points in the 30-minute window (one evaluation every 15 s).
func BenchmarkPredict1000Series(b *testing.B) {
	for _, fit := range []Fit{TheilSen, OLS} {
		b.Run(fit.String(), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(9, 10))
			h := NewHistory(1000)
			var last scoring.Snapshot
			for i := range 120 {
				last = benchSnapshot(rng, i, t0.Add(time.Duration(i)*15*time.Second))
				h.Add(last)
			}
			s := settings
			s.Fit = fit
			res := Predict(h, last, s, policy)
			if len(res.Series) != 1000 || res.Series[0].Trend.Points != 120 {
				b.Fatalf("%d series, %d points", len(res.Series), res.Series[0].Trend.Points)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				Predict(h, last, s, policy)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/evaluation")
		})
	}
}

// heapOf returns the live heap after building the value.
func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// fullHistory holds 1000 snapshots of 1000 readings.
func fullHistory() *History {
	rng := rand.New(rand.NewPCG(11, 12))
	h := NewHistory(1000)
	// Snapshots are built and dropped one at a time, as the evaluator does.
	for i := range 1000 {
		h.Add(benchSnapshot(rng, i%120, t0.Add(time.Duration(i)*time.Minute)))
	}
	return h
}

// TestHistoryMemory: 1000 snapshots of 1000 readings stay under 64 MiB.
func TestHistoryMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a million readings")
	}
	before := heapInUse()
	h := fullHistory()
	after := heapInUse()
	used := float64(after-before) / (1 << 20)
	runtime.KeepAlive(h)
	t.Logf("history of %d snapshots x %d series: %.1f MiB", h.Len(), h.SeriesCount(), used)
	if h.Len() != 1000 || h.SeriesCount() != 1000 {
		t.Fatalf("len %d series %d", h.Len(), h.SeriesCount())
	}
	if used >= 64 {
		t.Fatalf("history uses %.1f MiB, want < 64", used)
	}
}

// BenchmarkHistoryMemory reports the heap a full history holds.
func BenchmarkHistoryMemory(b *testing.B) {
	for b.Loop() {
		before := heapInUse()
		h := fullHistory()
		after := heapInUse()
		b.ReportMetric(float64(after-before)/(1<<20), "MiB/history")
		runtime.KeepAlive(h)
	}
}

// BenchmarkHistoryAdd is one snapshot of 1000 readings into a full history.
func BenchmarkHistoryAdd(b *testing.B) {
	h := fullHistory()
	rng := rand.New(rand.NewPCG(13, 14))
	s := benchSnapshot(rng, 0, t0.Add(2000*time.Minute))
	b.ResetTimer()
	for b.Loop() {
		h.Add(s)
	}
}

// BenchmarkStoreSave writes a full history of 1000 x 1000 to disk.
func BenchmarkStoreSave(b *testing.B) {
	h := fullHistory()
	st := NewStore(b.TempDir(), nil)
	b.ResetTimer()
	for b.Loop() {
		if err := st.Save(h); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Stats().LastSaveBytes)/(1<<20), "MiB/file")
}
