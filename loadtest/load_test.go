//go:build loadtest

package loadtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/healthmon/healthmon/internal/harness"
	"github.com/healthmon/healthmon/internal/scrapeload"
)

// envDuration reads a duration from the environment, for shorter local
// runs; def otherwise.
func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return d
}

func goroutines(t *testing.T, p *harness.Proc) float64 {
	t.Helper()
	v, ok := harness.Value(p.Metrics(t), "go_goroutines")
	if !ok {
		t.Fatal("no go_goroutines")
	}
	return v
}

// TestConcurrentScrapers runs the built binary on loopback with the default
// checks evaluated every second, and 200 clients scraping /metrics back to
// back for 30 s (HEALTHMON_LOAD_DURATION). Every request must succeed with a
// complete exposition, resident memory must stay bounded, and the
// goroutines must return to their count before the load.
func TestConcurrentScrapers(t *testing.T) {
	const clients = 200
	duration := envDuration(t, "HEALTHMON_LOAD_DURATION", 30*time.Second)
	cfg := filepath.Join(t.TempDir(), "healthmon.yml")
	if err := os.WriteFile(cfg, []byte("global: {interval: 1s}\ncomponents:\n  - {name: system, kind: system}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := harness.Start(t, harness.Options{Args: []string{"--config.file=" + cfg}})
	pid := p.Cmd.Process.Pid
	// Warm up: a few scrapes and evaluations.
	for range 10 {
		p.Metrics(t)
	}
	rssBefore, err := harness.RSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	gBefore := goroutines(t, p)
	cpuBefore, err := harness.CPUSeconds(pid)
	if err != nil {
		t.Fatal(err)
	}

	// Sample the resident memory while the load runs.
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if r, err := harness.RSS(pid); err == nil && r > peak {
					peak = r
				}
			}
		}
	}()
	res, err := scrapeload.Run(context.Background(), scrapeload.Options{
		URL:         p.URL + "/metrics",
		Concurrency: clients,
		Duration:    duration,
		MustContain: "healthmon_config_last_reload_successful",
	})
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	cpuAfter, _ := harness.CPUSeconds(pid)
	rssAfter, err := harness.RSS(pid)
	if err != nil {
		t.Fatal(err)
	}

	t.Logf("%d clients for %s: %s", clients, duration, res)
	t.Logf("resident memory: before %.1f MiB, peak %.1f MiB, after %.1f MiB; CPU %.1f s over the run (%.0f%% of one core); %.1f MB sent",
		mib(rssBefore), mib(peak), mib(rssAfter), cpuAfter-cpuBefore, 100*(cpuAfter-cpuBefore)/res.Elapsed.Seconds(), float64(res.Bytes)/1e6)

	if res.Failures > 0 {
		t.Errorf("%d of %d requests failed, e.g. %q", res.Failures, res.Requests, res.Errors)
	}
	if res.Requests < clients {
		t.Errorf("only %d requests in %s", res.Requests, duration)
	}
	// Bounded: the process holds a few MiB at rest; 200 concurrent
	// responses of ~10 KiB each cannot justify more than 128 MiB.
	const bound = 128 << 20
	if peak > bound || rssAfter > bound {
		t.Errorf("resident memory peaked at %.1f MiB (after: %.1f MiB), above the %d MiB bound", mib(peak), mib(rssAfter), bound>>20)
	}
	if p.Exited() {
		t.Fatalf("healthmon exited under load:\n%s", p.Logs())
	}
	// The connections are closed: the goroutines that served them end.
	harness.Eventually(t, 15*time.Second, "the goroutines to return to their count before the load", func() bool {
		return goroutines(t, p) <= gBefore+5
	})
}
