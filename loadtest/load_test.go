//go:build loadtest

package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/healthmon/healthmon/internal/harness"
	"github.com/healthmon/healthmon/internal/scrapeload"
	"github.com/healthmon/healthmon/internal/testutil"
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
	return p.MustValue(t, "go_goroutines")
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

// promQuery runs an instant query against Prometheus and returns the
// values of the result vector by the value of one label.
func promQuery(t *testing.T, prom *harness.Proc, query, byLabel string) map[string]float64 {
	t.Helper()
	code, body := prom.Get(t, "/api/v1/query?query="+url.QueryEscape(query))
	if code != http.StatusOK {
		t.Fatalf("query %s: %d %s", query, code, body)
	}
	var resp struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.Status != "success" {
		t.Fatalf("query %s: %v %s", query, err, body)
	}
	out := map[string]float64{}
	for _, r := range resp.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("query %s: value %q", query, s)
		}
		out[r.Metric[byLabel]] = v
	}
	return out
}

// TestPrometheusScrapesWhileReloading has Debian's Prometheus scrape the
// binary every 2 s while the configuration is replaced and reloaded
// every 300 ms for 30 s (HEALTHMON_RELOAD_DURATION), a third of the time
// with a broken file. Every scrape must succeed (up stays 1, the
// exposition always parses), Prometheus must see the reload metric at 0
// and at 1, and every component of both good configurations.
func TestPrometheusScrapesWhileReloading(t *testing.T) {
	promBin := testutil.RequireTool(t, "prometheus")
	duration := envDuration(t, "HEALTHMON_RELOAD_DURATION", 30*time.Second)
	dir := t.TempDir()
	configs := []string{
		"global: {interval: 1s}\ncomponents:\n  - {name: sys_a, kind: system}\n  - {name: sys_b, kind: system}\n",
		"global: {interval: 500ms}\ncomponents:\n  - {name: sys_a, kind: system}\n  - {name: sys_c, kind: system, system: {mount_points: [/, /tmp]}}\n",
		"components:\n  - {name: sys_a, kind: nosuch}\n",
	}
	cfg := filepath.Join(dir, "healthmon.yml")
	if err := os.WriteFile(cfg, []byte(configs[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	hm := harness.Start(t, harness.Options{Args: []string{"--config.file=" + cfg}})

	promCfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(promCfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 2s
  scrape_timeout: 2s
scrape_configs:
  - job_name: healthmon
    static_configs:
      - targets: [%q]
`, hm.Addr)), 0o600); err != nil {
		t.Fatal(err)
	}
	promAddr := harness.FreeAddr(t)
	prom := harness.Start(t, harness.Options{
		Binary:       promBin,
		NoListenFlag: true,
		Addr:         promAddr,
		Ready:        "/-/ready",
		Args: []string{
			"--config.file=" + promCfg,
			"--storage.tsdb.path=" + filepath.Join(dir, "tsdb"),
			"--web.listen-address=" + promAddr,
			"--log.level=debug", // to show why a scrape failed
		},
		StartTimeout: 60 * time.Second,
	})
	start := time.Now()

	reloads := map[int]int{} // status code -> count
	for i := 0; time.Since(start) < duration; i++ {
		if err := os.WriteFile(cfg, []byte(configs[i%len(configs)]), 0o600); err != nil {
			t.Fatal(err)
		}
		code, body := hm.Do(t, http.MethodPost, "/-/reload")
		reloads[code]++
		if want := map[bool]int{true: 500, false: 200}[i%len(configs) == 2]; code != want {
			t.Errorf("reload %d: %d %q, want %d", i, code, body, want)
		}
		time.Sleep(300 * time.Millisecond)
	}
	// Two more scrapes after the last reload, with a good file in place.
	if err := os.WriteFile(cfg, []byte(configs[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	hm.Do(t, http.MethodPost, "/-/reload")
	time.Sleep(3 * time.Second)

	window := fmt.Sprintf("[%ds]", int(time.Since(start).Seconds())+1)
	scrapes := promQuery(t, prom, `count_over_time(up{job="healthmon"}`+window+`)`, "job")["healthmon"]
	upMin := promQuery(t, prom, `min_over_time(up{job="healthmon"}`+window+`)`, "job")["healthmon"]
	rMin := promQuery(t, prom, `min_over_time(healthmon_config_last_reload_successful`+window+`)`, "job")["healthmon"]
	rMax := promQuery(t, prom, `max_over_time(healthmon_config_last_reload_successful`+window+`)`, "job")["healthmon"]
	comps := promQuery(t, prom, `count by (component) (count_over_time(healthmon_component_info`+window+`))`, "component")
	samples := promQuery(t, prom, `max_over_time(scrape_samples_scraped{job="healthmon"}`+window+`)`, "job")["healthmon"]
	slowest := promQuery(t, prom, `max_over_time(scrape_duration_seconds{job="healthmon"}`+window+`)`, "job")["healthmon"]
	t.Logf("%s of reloads every 300 ms (%v by status code): Prometheus scraped %v times, up min %v, samples per scrape up to %v, slowest scrape %.3f s, reload metric seen from %v to %v, components seen %v",
		duration, reloads, scrapes, upMin, samples, slowest, rMin, rMax, comps)

	if scrapes < duration.Seconds()/4 {
		t.Errorf("only %v scrapes in %s at a 2 s interval", scrapes, duration)
	}
	if upMin != 1 {
		t.Errorf("a scrape failed while the configuration reloaded (up was 0); Prometheus says: %s", firstLine(prom.Logs(), "Scrape failed"))
	}
	if rMin != 0 || rMax != 1 {
		t.Errorf("healthmon_config_last_reload_successful ranged %v..%v, want 0..1", rMin, rMax)
	}
	for _, c := range []string{"sys_a", "sys_b", "sys_c"} {
		if _, ok := comps[c]; !ok {
			t.Errorf("Prometheus never saw component %s", c)
		}
	}
	if strings.Contains(strings.ToLower(prom.Logs()), "level=error") {
		t.Errorf("Prometheus logged errors:\n%s", prom.Logs())
	}
}
