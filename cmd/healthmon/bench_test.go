package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/server"
)

func defaultEvaluator(tb testing.TB) *collector.Evaluator {
	tb.Helper()
	cfg, err := config.Default()
	if err != nil {
		tb.Fatal(err)
	}
	eval, err := collector.NewEvaluator(cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return eval
}

// BenchmarkEvaluateDefault is one complete evaluation of the embedded
// default configuration (target: under 5 ms; the seed needs 1 to 3 s).
func BenchmarkEvaluateDefault(b *testing.B) {
	eval := defaultEvaluator(b)
	ctx := context.Background()
	eval.Evaluate(ctx)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		eval.Evaluate(ctx)
	}
}

// BenchmarkScrape is one scrape of /metrics as Prometheus does it, through
// the real handler, with the exporter's own go_* and process_* metrics
// (target: under 1 ms).
func BenchmarkScrape(b *testing.B) {
	eval := defaultEvaluator(b)
	eval.Evaluate(context.Background())
	eval.Evaluate(context.Background())
	mux, err := server.NewMux(server.Options{TelemetryPath: "/metrics", Gatherer: newGatherer(eval), Latest: eval.Latest})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkResidentMemoryAfter1000Evaluations reports the process's resident
// memory after 1000 evaluations of the default config with a full history
// and a scrape (target: under 25 MiB).
func BenchmarkResidentMemoryAfter1000Evaluations(b *testing.B) {
	for b.Loop() {
		eval := defaultEvaluator(b)
		ctx := context.Background()
		for range 1000 {
			eval.Evaluate(ctx)
		}
		mux, err := server.NewMux(server.Options{TelemetryPath: "/metrics", Gatherer: newGatherer(eval), Latest: eval.Latest})
		if err != nil {
			b.Fatal(err)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		_, _ = io.Copy(io.Discard, rec.Body)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-inuse-MiB")
		if rss, ok := residentMiB(); ok {
			b.ReportMetric(rss, "rss-MiB")
		}
		b.ReportMetric(float64(eval.History().Len()), "snapshots")
	}
}

// residentMiB reads VmRSS from /proc/self/status.
func residentMiB() (float64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err == nil
		}
	}
	return 0, false
}
