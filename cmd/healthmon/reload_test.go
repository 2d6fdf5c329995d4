package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/internal/harness"
)

// Configurations shared by the reload tests: "keep" stays across the
// reload, "gone" is removed and "added" appears.
const (
	reloadBefore = `global: {interval: %s, timeout: 5s}
components:
  - name: keep
    kind: system
  - name: gone
    kind: system
`
	reloadAfter = `global: {interval: %s, timeout: 5s}
components:
  - name: keep
    kind: system
  - name: added
    kind: system
`
)

// brokenConfigs are refused at reload, each with a word of its error.
var brokenConfigs = []struct {
	name, yaml, want string
}{
	{"yaml syntax", "components: [\n", "line"},
	{"unknown kind", "components:\n  - name: x\n    kind: nosuch\n", "unknown kind"},
	{"unknown field", "components:\n  - name: x\n    kind: system\n    colour: red\n", "colour"},
	{"duplicate name", "components:\n  - {name: x, kind: system}\n  - {name: x, kind: system}\n", "duplicate"},
	{"bad threshold", "components:\n  - name: x\n    kind: system\n    thresholds:\n      memory_used_ratio: {warning: 0.9, critical: 0.5}\n", "memory_used_ratio"},
	{"empty", "", "empty"},
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// reloadGauge gathers the reloader's success gauge.
func reloadGauge(t *testing.T, r *reloader) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gathering the reloader: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "healthmon_config_last_reload_successful" && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no healthmon_config_last_reload_successful")
	return 0
}

func componentNames(ev *collector.Evaluation) []string {
	var out []string
	for _, c := range ev.Snapshot.Components {
		out = append(out, c.Name)
	}
	return out
}

// TestReloaderRefusesBadConfig drives the reloader in process: each broken
// file is refused with its error, the metric goes to 0 and the running
// checks stay; a good file then applies whole and the metric is back at 1.
func TestReloaderRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "healthmon.yml")
	writeFile(t, path, strings.ReplaceAll(reloadBefore, "%s", "1h"))
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var logs harness.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	eval, err := collector.NewEvaluator(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	r := newReloader(path, eval, logger)
	ctx := context.Background()
	if v := reloadGauge(t, r); v != 1 {
		t.Fatalf("healthmon_config_last_reload_successful = %v, want 1", v)
	}
	firstOK := r.lastSuccess

	for _, bc := range brokenConfigs {
		t.Run(bc.name, func(t *testing.T) {
			writeFile(t, path, bc.yaml)
			err := r.Reload(ctx)
			if err == nil {
				t.Fatal("a broken configuration was accepted")
			}
			if !strings.Contains(err.Error(), bc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file and %q", err, bc.want)
			}
			if v := reloadGauge(t, r); v != 0 {
				t.Errorf("healthmon_config_last_reload_successful = %v, want 0", v)
			}
			ev := eval.Evaluate(ctx)
			if got := componentNames(ev); !slices.Equal(got, []string{"gone", "keep"}) {
				t.Errorf("after a refused reload the components are %v, want the old ones [gone keep]", got)
			}
			if !strings.Contains(logs.String(), "Configuration reload failed") {
				t.Errorf("the failure was not logged:\n%s", logs.String())
			}
		})
	}

	writeFile(t, path, strings.ReplaceAll(reloadAfter, "%s", "1h"))
	if err := r.Reload(ctx); err != nil {
		t.Fatalf("a good configuration was refused: %v", err)
	}
	if v := reloadGauge(t, r); v != 1 {
		t.Errorf("healthmon_config_last_reload_successful = %v, want 1", v)
	}
	if !r.lastSuccess.After(firstOK) {
		t.Errorf("success timestamp not advanced: %v, at start %v", r.lastSuccess, firstOK)
	}
	if got := componentNames(eval.Evaluate(ctx)); !slices.Equal(got, []string{"added", "keep"}) {
		t.Errorf("after the reload the components are %v, want [added keep]", got)
	}
}

// healthJSON is the part of /api/v1/health the reload tests read.
type healthJSON struct {
	Timestamp  time.Time `json:"timestamp"`
	Components []struct {
		Name     string `json:"name"`
		Readings []struct {
			Metric string   `json:"metric"`
			Value  *float64 `json:"value"`
		} `json:"readings"`
	} `json:"components"`
}

// cpuKnown reports whether a component is in the view and whether its CPU
// reading had a value.
func (h healthJSON) cpuKnown(component string) (present, known bool) {
	for _, c := range h.Components {
		if c.Name != component {
			continue
		}
		for _, r := range c.Readings {
			if r.Metric == config.MetricCPUUsedRatio {
				return true, r.Value != nil
			}
		}
		return true, false
	}
	return false, false
}

func getHealth(t *testing.T, p *harness.Proc) healthJSON {
	t.Helper()
	_, body := p.Get(t, "/api/v1/health")
	var h healthJSON
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("/api/v1/health: %v\n%s", err, body)
	}
	return h
}

func lastEvaluation(t *testing.T, p *harness.Proc) float64 {
	t.Helper()
	return p.MustValue(t, "healthmon_last_evaluation_timestamp_seconds")
}

func reloadSuccessful(t *testing.T, p *harness.Proc) float64 {
	t.Helper()
	return p.MustValue(t, "healthmon_config_last_reload_successful")
}

// hasComponentSeries reports whether any series on /metrics names the
// component.
func hasComponentSeries(t *testing.T, p *harness.Proc, component string) bool {
	t.Helper()
	_, body := p.Get(t, "/metrics")
	return strings.Contains(body, `component="`+component+`"`)
}

// assertOldChecksRun waits for an evaluation after the refused reload and
// checks that it ran the old components.
func assertOldChecksRun(t *testing.T, p *harness.Proc) {
	t.Helper()
	before := lastEvaluation(t, p)
	harness.Eventually(t, 30*time.Second, "an evaluation after the refused reload", func() bool {
		return lastEvaluation(t, p) > before
	})
	mfs := p.Metrics(t)
	for _, c := range []string{"keep", "gone"} {
		if v, ok := harness.Value(mfs, "healthmon_check_success", "component", c); !ok || v != 1 {
			t.Errorf("after the refused reload, healthmon_check_success{component=%q} = %v (present %v), want 1", c, v, ok)
		}
	}
	if hasComponentSeries(t, p, "added") {
		t.Error("a component of the refused configuration is on /metrics")
	}
}

// assertNewConfigApplied checks the first evaluation with the new
// components: "keep" kept its check (its CPU reading has a value, which
// needs a previous sample), "added" is new (no previous sample yet), and
// "gone" has left /metrics.
func assertNewConfigApplied(t *testing.T, p *harness.Proc) {
	t.Helper()
	var first healthJSON
	harness.Eventually(t, 30*time.Second, "an evaluation with the new components", func() bool {
		first = getHealth(t, p)
		present, _ := first.cpuKnown("added")
		return present
	})
	if _, known := first.cpuKnown("added"); known {
		t.Fatal("missed the first evaluation after the reload (the new component already has a CPU sample); the machine is too slow for this test's 2 s interval")
	}
	if present, known := first.cpuKnown("keep"); !present || !known {
		t.Errorf("the kept component lost its state across the reload: present %v, CPU reading known %v", present, known)
	}
	if present, _ := first.cpuKnown("gone"); present {
		t.Error("the removed component is still evaluated")
	}
	harness.Eventually(t, 10*time.Second, "the removed component to leave /metrics", func() bool {
		return !hasComponentSeries(t, p, "gone")
	})
	if !hasComponentSeries(t, p, "keep") || !hasComponentSeries(t, p, "added") {
		t.Error("keep and added should both be on /metrics")
	}
}

func startForReload(t *testing.T) (*harness.Proc, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "healthmon.yml")
	writeFile(t, path, strings.ReplaceAll(reloadBefore, "%s", "2s"))
	p := harness.Start(t, harness.Options{Args: []string{"--config.file=" + path}})
	// Two evaluations, so that every kept check has a CPU sample.
	first := lastEvaluation(t, p)
	harness.Eventually(t, 30*time.Second, "a second evaluation", func() bool {
		return lastEvaluation(t, p) > first
	})
	if v := reloadSuccessful(t, p); v != 1 {
		t.Fatalf("at start healthmon_config_last_reload_successful = %v, want 1", v)
	}
	return p, path
}

// TestReloadHTTP runs the binary, posts a broken configuration to
// /-/reload (500 with the error; the old checks keep running; the metric at
// 0), then a good one (200; the metric back at 1; kept, removed and added
// components as they should be).
func TestReloadHTTP(t *testing.T) {
	p, path := startForReload(t)

	for _, bc := range brokenConfigs[:3] {
		writeFile(t, path, bc.yaml)
		code, body := p.Do(t, http.MethodPost, "/-/reload")
		if code != http.StatusInternalServerError {
			t.Fatalf("%s: POST /-/reload = %d %q, want 500", bc.name, code, body)
		}
		if !strings.Contains(body, bc.want) || !strings.Contains(body, path) {
			t.Errorf("%s: the answer %q does not carry the error", bc.name, body)
		}
		if v := reloadSuccessful(t, p); v != 0 {
			t.Errorf("%s: healthmon_config_last_reload_successful = %v, want 0", bc.name, v)
		}
	}
	assertOldChecksRun(t, p)

	writeFile(t, path, strings.ReplaceAll(reloadAfter, "%s", "2s"))
	code, body := p.Do(t, http.MethodPost, "/-/reload")
	if code != http.StatusOK {
		t.Fatalf("POST /-/reload of a good file = %d %q, want 200", code, body)
	}
	if v := reloadSuccessful(t, p); v != 1 {
		t.Errorf("after a good reload healthmon_config_last_reload_successful = %v, want 1", v)
	}
	assertNewConfigApplied(t, p)
}

// TestReloadSIGHUP does the same through SIGHUP, reading the outcome from
// the metric and the log.
func TestReloadSIGHUP(t *testing.T) {
	p, path := startForReload(t)

	writeFile(t, path, brokenConfigs[1].yaml)
	p.Signal(t, syscall.SIGHUP)
	harness.Eventually(t, 10*time.Second, "healthmon_config_last_reload_successful 0", func() bool {
		return reloadSuccessful(t, p) == 0
	})
	if logs := p.Logs(); !strings.Contains(logs, "Configuration reload failed") || !strings.Contains(logs, "unknown kind") {
		t.Errorf("the log does not say the reload failed and why:\n%s", logs)
	}
	assertOldChecksRun(t, p)

	writeFile(t, path, strings.ReplaceAll(reloadAfter, "%s", "2s"))
	p.Signal(t, syscall.SIGHUP)
	harness.Eventually(t, 10*time.Second, "healthmon_config_last_reload_successful 1", func() bool {
		return reloadSuccessful(t, p) == 1
	})
	assertNewConfigApplied(t, p)
	if !bytes.Contains([]byte(p.Logs()), []byte("Configuration reloaded")) {
		t.Errorf("the reload was not logged:\n%s", p.Logs())
	}
}
