package prediction

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/healthmon/healthmon/scoring"
)

var (
	t0       = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	memTh    = scoring.Thresholds{Excellent: scoring.Level(0.6), Warning: scoring.Level(0.8), Critical: scoring.Level(0.95)}
	loadTh   = scoring.Thresholds{Excellent: scoring.Level(0.7), Warning: scoring.Level(1.5), Critical: scoring.Level(3)}
	policy   = scoring.DefaultPolicy()
	settings = DefaultSettings()
)

// snap builds a judged snapshot of one component "sys" with the readings
// given by metric.
func snap(at time.Time, values map[string]float64) scoring.Snapshot {
	var rs []scoring.Reading
	for _, m := range []string{"memory_used_ratio", "cpu_used_ratio", "load_per_core", "info"} {
		v, ok := values[m]
		if !ok {
			continue
		}
		r := scoring.Reading{Metric: m, Value: v, Unit: scoring.UnitRatio}
		switch m {
		case "load_per_core":
			r.Thresholds, r.Unit = loadTh, ""
		case "info":
		default:
			r.Thresholds = memTh
		}
		rs = append(rs, r)
	}
	c := scoring.Assess("sys", "system", rs, nil)
	return scoring.NewSnapshot(at, policy, []scoring.ComponentHealth{c})
}

func issuesOf(r *Result, kind string) []Issue {
	var out []Issue
	for _, i := range r.Issues {
		if i.Kind == kind {
			out = append(out, i)
		}
	}
	return out
}

func TestHistoryRing(t *testing.T) {
	h := NewHistory(3)
	for i := range 5 {
		h.Add(snap(t0.Add(time.Duration(i)*time.Minute), map[string]float64{"memory_used_ratio": float64(i) / 10}))
	}
	if h.Len() != 3 || h.Cap() != 3 {
		t.Fatalf("len %d cap %d", h.Len(), h.Cap())
	}
	w := h.Window(time.Time{})
	got := w.Series[SeriesKey{"sys", "memory_used_ratio", ""}]
	want := []float64{0.2, 0.3, 0.4}
	if fmt.Sprint(got) != fmt.Sprint(want) || !w.Times[0].Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("window %v at %v, want %v", got, w.Times, want)
	}
	if w.Components["sys"].Status[2] != scoring.StatusExcellent || w.Status[0] != scoring.StatusExcellent {
		t.Fatalf("statuses %v %v", w.Components["sys"].Status, w.Status)
	}
	// A window from a time keeps the snapshots at or after it.
	if n := h.Window(t0.Add(3 * time.Minute)).Len(); n != 2 {
		t.Fatalf("window from minute 3: %d snapshots, want 2", n)
	}
}

func TestHistoryDropsVanishedSeries(t *testing.T) {
	h := NewHistory(3)
	h.Add(snap(t0, map[string]float64{"memory_used_ratio": 0.5, "cpu_used_ratio": 0.1}))
	for i := 1; i <= 3; i++ {
		h.Add(snap(t0.Add(time.Duration(i)*time.Minute), map[string]float64{"memory_used_ratio": 0.5}))
		w := h.Window(time.Time{})
		cpu, held := w.Series[SeriesKey{"sys", "cpu_used_ratio", ""}]
		if i < 3 && (!held || !math.IsNaN(cpu[len(cpu)-1])) {
			t.Fatalf("after %d: cpu %v held %v, want held with NaN for the newest", i, cpu, held)
		}
		if i == 3 && (held || h.SeriesCount() != 1) {
			t.Fatalf("a series absent from the whole ring is still held: %v (%d series)", cpu, h.SeriesCount())
		}
	}
}

func TestHistoryResize(t *testing.T) {
	h := NewHistory(10)
	for i := range 6 {
		h.Add(snap(t0.Add(time.Duration(i)*time.Minute), map[string]float64{"memory_used_ratio": float64(i)}))
	}
	h.Resize(4)
	w := h.Window(time.Time{})
	if got := fmt.Sprint(w.Series[SeriesKey{"sys", "memory_used_ratio", ""}]); got != "[2 3 4 5]" || h.Cap() != 4 {
		t.Fatalf("after shrinking: %s cap %d", got, h.Cap())
	}
	h.Add(snap(t0.Add(6*time.Minute), map[string]float64{"memory_used_ratio": 6}))
	if got := fmt.Sprint(h.Window(time.Time{}).Series[SeriesKey{"sys", "memory_used_ratio", ""}]); got != "[3 4 5 6]" {
		t.Fatalf("after adding: %s", got)
	}
}

func TestLastReadingStatuses(t *testing.T) {
	h := NewHistory(5)
	if h.LastReadingStatuses("sys") != nil {
		t.Fatal("statuses from an empty history")
	}
	h.Add(snap(t0, map[string]float64{"memory_used_ratio": 0.85, "info": 1}))
	got := h.LastReadingStatuses("sys")
	if got["memory_used_ratio"] != scoring.StatusWarning || len(got) != 2 {
		t.Fatalf("statuses %v", got)
	}
	if h.LastReadingStatuses("other") != nil {
		t.Fatal("statuses of a component not in the newest snapshot")
	}
}

func TestTheilSen(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name        string
		n           int
		slope       float64
		noise       float64
		outliers    int
		significant bool
	}{
		{"clean rise", 30, 0.001, 0, 0, true},
		{"noisy rise", 60, 0.0005, 0.01, 0, true},
		{"rise with bursts", 60, 0.0005, 0.005, 5, true},
		{"flat noise", 60, 0, 0.01, 0, false},
		{"constant", 30, 0, 0, 0, false},
		{"many points, sampled pairs", 400, -0.0002, 0.01, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, vs := make([]float64, tt.n), make([]float64, tt.n)
			for i := range ts {
				ts[i] = float64(i) * 30
				vs[i] = 0.5 + tt.slope*ts[i] + rng.NormFloat64()*tt.noise
			}
			for i := 0; i < tt.outliers; i++ {
				vs[rng.IntN(tt.n)] += 0.5
			}
			tr := newFitter(TheilSen, 0.95).fit(ts, vs)
			if tr.Significant != tt.significant {
				t.Fatalf("significant %v, want %v (%+v)", tr.Significant, tt.significant, tr)
			}
			if !(tr.Lower <= tr.Slope && tr.Slope <= tr.Upper) {
				t.Fatalf("slope outside its interval: %+v", tr)
			}
			if tt.slope != 0 && math.Abs(tr.Slope-tt.slope) > 0.1*math.Abs(tt.slope) {
				t.Fatalf("slope %g, want %g within 10%%", tr.Slope, tt.slope)
			}
			if tt.outliers > 0 {
				o := newFitter(OLS, 0.95).fit(ts, vs)
				if math.Abs(o.Slope-tt.slope) < math.Abs(tr.Slope-tt.slope) {
					t.Logf("OLS %g was no worse than Theil-Sen %g here", o.Slope, tr.Slope)
				}
			}
		})
	}
}

func TestOLS(t *testing.T) {
	ts := []float64{0, 1, 2, 3, 4, 5}
	vs := []float64{1, 3, 5, 7, 9, 11}
	tr := newFitter(OLS, 0.95).fit(ts, vs)
	if tr.Slope != 2 || !tr.Significant || tr.Lower != 2 {
		t.Fatalf("%+v", tr)
	}
}

func TestNth(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		n := 1 + rng.IntN(50)
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(rng.IntN(10))
		}
		k := rng.IntN(n)
		c := append([]float64(nil), s...)
		nth(c, k)
		sorted := append([]float64(nil), s...)
		sortFloats(sorted)
		if c[k] != sorted[k] {
			t.Fatalf("nth(%v, %d) = %g, want %g", s, k, c[k], sorted[k])
		}
		for i := range c {
			if (i < k && c[i] > c[k]) || (i > k && c[i] < c[k]) {
				t.Fatalf("not partitioned at %d: %v", i, c)
			}
		}
	}
}

func sortFloats(s []float64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// run feeds one snapshot a minute built by gen and returns each result.
func run(h *History, minutes int, gen func(i int) map[string]float64) []*Result {
	out := make([]*Result, 0, minutes)
	for i := range minutes {
		s := snap(t0.Add(time.Duration(i)*time.Minute), gen(i))
		h.Add(s)
		out = append(out, Predict(h, s, settings, policy))
	}
	return out
}

func TestPredictWarmup(t *testing.T) {
	h := NewHistory(1000)
	res := run(h, 20, func(i int) map[string]float64 { return map[string]float64{"memory_used_ratio": 0.5 + 0.02*float64(i)} })
	for i, r := range res[:15] {
		if !r.Warmup || len(r.Issues) != 0 {
			t.Fatalf("minute %d: warm-up %v issues %v", i, r.Warmup, r.Issues)
		}
	}
	if res[19].Warmup || len(issuesOf(res[19], KindThresholdBreach)) == 0 {
		t.Fatalf("after warm-up: %+v", res[19])
	}
}

func TestPredictBreach(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	h := NewHistory(1000)
	// 0.4% a minute from 0.5: warning 0.8 at minute 75, critical 0.95 at
	// minute 112.5.
	res := run(h, 60, func(i int) map[string]float64 {
		return map[string]float64{"memory_used_ratio": 0.5 + 0.004*float64(i) + rng.NormFloat64()*0.003}
	})
	last := res[len(res)-1]
	var sp *SeriesPrediction
	for i := range last.Series {
		if last.Series[i].Metric == "memory_used_ratio" {
			sp = &last.Series[i]
		}
	}
	if sp == nil || len(sp.Breaches) != 2 {
		t.Fatalf("series %+v", last.Series)
	}
	for _, b := range sp.Breaches {
		truth := t0.Add(75 * time.Minute)
		if b.Level == scoring.StatusCritical {
			truth = t0.Add(112*time.Minute + 30*time.Second)
		}
		lead := truth.Sub(last.Time)
		if d := b.At.Sub(truth); d.Abs() > lead/10 {
			t.Errorf("%s breach at %s, truth %s: off by %s, more than 10%% of %s", b.Level, b.At, truth, d, lead)
		}
	}
	br := issuesOf(last, KindThresholdBreach)
	if len(br) != 1 || br[0].Level != "warning" {
		t.Fatalf("threshold_breach issues %+v, want the warning level only", br)
	}
	if ss := issuesOf(last, KindMemorySpike); len(ss) != 0 {
		t.Fatalf("spikes on a steady rise: %+v", ss)
	}
}

func TestPredictSpikeAndLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	h := NewHistory(1000)
	res := run(h, 40, func(i int) map[string]float64 {
		m := map[string]float64{
			"memory_used_ratio": 0.5 + rng.NormFloat64()*0.01,
			"cpu_used_ratio":    0.2 + rng.NormFloat64()*0.02,
			"load_per_core":     0.8 + 0.01*float64(i) + rng.NormFloat64()*0.02,
		}
		if i == 39 {
			m["memory_used_ratio"] = 0.75
		}
		return m
	})
	last := res[39]
	if s := issuesOf(last, KindMemorySpike); len(s) != 1 {
		t.Fatalf("memory spikes %+v", s)
	}
	if s := issuesOf(last, KindCPUSpike); len(s) != 0 {
		t.Fatalf("cpu spikes %+v", s)
	}
	if s := issuesOf(last, KindLoadIncrease); len(s) != 1 {
		t.Fatalf("load increases %+v in %+v", s, last.Issues)
	}
	for i, r := range res[:39] {
		if len(issuesOf(r, KindMemorySpike)) != 0 {
			t.Fatalf("minute %d: spike before the burst", i)
		}
	}
}

func TestPredictDegradation(t *testing.T) {
	// Two components: one stays excellent, one steps down over time, so
	// the score falls from 1.0 toward 0.65 (good, then warning).
	h := NewHistory(1000)
	var last *Result
	for i := range 40 {
		at := t0.Add(time.Duration(i) * time.Minute)
		st := scoring.StatusExcellent
		switch {
		case i >= 30:
			st = scoring.StatusWarning
		case i >= 15:
			st = scoring.StatusGood
		}
		comps := []scoring.ComponentHealth{{Name: "a", Status: scoring.StatusExcellent}, {Name: "b", Status: st}, {Name: "c", Status: scoring.StatusExcellent}}
		s := scoring.NewSnapshot(at, policy, comps)
		h.Add(s)
		last = Predict(h, s, settings, policy)
	}
	if !last.Score.Significant || last.Score.Slope >= 0 {
		t.Fatalf("score trend %+v", last.Score)
	}
	d := issuesOf(last, KindDegradation)
	if len(d) != 1 || d[0].Component != "" || d[0].Metric != OverallMetric || d[0].BreachAt == nil || d[0].BreachAt.Before(last.Time) {
		t.Fatalf("degradation %+v", d)
	}
	var b *ComponentTrend
	for i := range last.Components {
		if last.Components[i].Component == "b" {
			b = &last.Components[i]
		}
	}
	if b == nil || !b.Trend.Significant || b.Trend.Slope >= 0 {
		t.Fatalf("component trends %+v", last.Components)
	}
	if sum := Summarize(h, time.Hour, last.Time, settings); sum.Direction != "degrading" {
		t.Fatalf("summary direction %s (%+v)", sum.Direction, sum.Trend)
	}
}

func TestScoreBand(t *testing.T) {
	for _, tt := range []struct {
		score float64
		want  scoring.Status
	}{{1, scoring.StatusExcellent}, {0.9, scoring.StatusExcellent}, {0.8, scoring.StatusGood}, {0.66, scoring.StatusGood},
		{0.6, scoring.StatusWarning}, {0.3, scoring.StatusCritical}, {0.05, scoring.StatusFailing}} {
		if got := scoreBand(tt.score, policy); got != tt.want {
			t.Errorf("score %g: %s, want %s", tt.score, got, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	h := NewHistory(1000)
	for i := range 60 {
		v := 0.5
		if i >= 45 {
			v = 0.85 // warning for the last quarter
		}
		h.Add(snap(t0.Add(time.Duration(i)*time.Minute), map[string]float64{"memory_used_ratio": v}))
	}
	now := t0.Add(59 * time.Minute)
	s := Summarize(h, time.Hour, now, settings)
	if s.Snapshots != 60 || s.Score == nil {
		t.Fatalf("%+v", s)
	}
	if math.Abs(s.Score.Average-(45*1.0+15*0.5)/60) > 1e-9 || s.Score.Min != 0.5 || s.Score.Max != 1 {
		t.Fatalf("score %+v", *s.Score)
	}
	if math.Abs(s.StatusShare["warning"]-0.25) > 1e-9 || math.Abs(s.Components["sys"]["excellent"]-0.75) > 1e-9 {
		t.Fatalf("shares %v %v", s.StatusShare, s.Components)
	}
	// One step down is not a trend to a robust fit.
	if s.Direction != "stable" {
		t.Fatalf("direction %s (%+v)", s.Direction, s.Trend)
	}
	// A window that holds nothing.
	if e := Summarize(h, time.Hour, now.Add(3*time.Hour), settings); e.Snapshots != 0 || e.Score != nil {
		t.Fatalf("empty window %+v", e)
	}
}

func TestTimeWeightsCapGaps(t *testing.T) {
	times := []time.Time{t0, t0.Add(time.Minute), t0.Add(2 * time.Minute), t0.Add(3 * time.Hour), t0.Add(3*time.Hour + time.Minute)}
	w := timeWeights(times)
	want := []float64{60, 60, 120, 60, 60}
	if fmt.Sprint(w) != fmt.Sprint(want) {
		t.Fatalf("weights %v, want %v", w, want)
	}
}

func TestPersistentRejectsReclaims(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	n := 30
	ts := make([]float64, n)
	for i := range ts {
		ts[i] = float64(i) * 60
	}
	series := func(f func(i int) float64) []float64 {
		vs := make([]float64, n)
		for i := range vs {
			vs[i] = f(i) + rng.NormFloat64()*0.003
		}
		return vs
	}
	tests := []struct {
		name string
		v    []float64
		want bool
	}{
		{"leak", series(func(i int) float64 { return 0.5 + 0.003*float64(i) }), true},
		{"leak with one burst", series(func(i int) float64 {
			if i == 20 {
				return 0.9
			}
			return 0.5 + 0.003*float64(i)
		}), true},
		{"sawtooth every 12 minutes", series(func(i int) float64 { return 0.5 + 0.03*float64(i%12) }), false},
		{"one reclaim", series(func(i int) float64 { return 0.5 + 0.01*float64((i+20)%25) }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newFitter(TheilSen, 0.95).fit(ts, tt.v)
			if got := persistent(ts, tt.v, tr.Slope); got != tt.want {
				t.Fatalf("persistent %v, want %v (slope %g)", got, tt.want, tr.Slope)
			}
		})
	}
}

func TestInflation(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	n := 200
	ts, white, wander := make([]float64, n), make([]float64, n), make([]float64, n)
	x := 0.0
	for i := range ts {
		ts[i] = float64(i)
		white[i] = rng.NormFloat64()
		x = 0.9*x + rng.NormFloat64()
		wander[i] = x
	}
	if f := inflation(ts, white, 0); f > 1.3 {
		t.Errorf("independent noise widened by %.2f", f)
	}
	if f := inflation(ts, wander, 0); f < 2.5 {
		t.Errorf("wandering noise (lag-1 correlation 0.9) widened by only %.2f", f)
	}
}
