package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/healthmon/healthmon/internal/harness"
	"github.com/healthmon/healthmon/internal/testutil"
)

// TestServeDefaultConfig runs the built binary on the embedded default
// config, as `go run ./cmd/healthmon` does, and checks /metrics with the
// real promtool.
func TestServeDefaultConfig(t *testing.T) {
	promtool := testutil.RequireTool(t, "promtool")
	p := harness.Start(t, harness.Options{})

	code, body := p.Get(t, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || strings.TrimSpace(out.String()) != "" {
		t.Fatalf("promtool check metrics: %v\n%s", err, out.String())
	}

	mfs, err := harness.ParseMetrics(body)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"healthmon_overall_score", "healthmon_overall_status", "healthmon_component_status", "healthmon_component_score",
		"healthmon_metric_value", "healthmon_metric_threshold", "healthmon_metric_status", "healthmon_check_duration_seconds",
		"healthmon_check_success", "healthmon_check_last_success_timestamp_seconds", "healthmon_evaluation_duration_seconds",
		"healthmon_last_evaluation_timestamp_seconds", "healthmon_history_snapshots", "healthmon_build_info",
		"healthmon_config_last_reload_successful", "go_goroutines", "process_resident_memory_bytes",
	} {
		if _, ok := mfs[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if v, ok := harness.Value(mfs, "healthmon_metric_value", "component", "system", "metric", "memory_used_ratio"); !ok || v <= 0 || v >= 1 {
		t.Errorf("memory_used_ratio = %v (%v), want a real ratio of this host", v, ok)
	}
	if v, ok := harness.Value(mfs, "healthmon_metric_value", "component", "system", "metric", "disk_free_bytes", "resource", "/"); !ok || v <= 0 {
		t.Errorf("disk_free_bytes{/} = %v (%v)", v, ok)
	}
	if v, ok := harness.Value(mfs, "healthmon_check_success", "component", "system"); !ok || v != 1 {
		t.Errorf("check_success = %v (%v)", v, ok)
	}
	// The state set carries every status, exactly one at 1.
	ones := 0
	for _, s := range []string{"excellent", "good", "warning", "critical", "failing", "unknown"} {
		v, ok := harness.Value(mfs, "healthmon_overall_status", "status", s)
		if !ok {
			t.Errorf("overall_status lacks %s", s)
		}
		if v == 1 {
			ones++
		}
	}
	if ones != 1 {
		t.Errorf("%d overall statuses at 1", ones)
	}

	code, body = p.Get(t, "/api/v1/health")
	var health struct {
		Status     string
		Score      *float64
		Components []struct {
			Name, Status string
			Readings     []struct {
				Metric     string
				Value      *float64
				Thresholds map[string]any
			}
			Issues, Recommendations []string
		}
	}
	if err := json.Unmarshal([]byte(body), &health); err != nil {
		t.Fatalf("health JSON: %v\n%s", err, body)
	}
	wantCode := 200
	if health.Status == "critical" || health.Status == "failing" {
		wantCode = 503
	}
	if code != wantCode || len(health.Components) != 1 || health.Components[0].Name != "system" || len(health.Components[0].Readings) < 9 {
		t.Fatalf("health %d: %s", code, body)
	}
	if health.Components[0].Issues == nil || health.Components[0].Recommendations == nil {
		t.Errorf("issues and recommendations must be lists, even when empty: %s", body)
	}

	for path, want := range map[string]string{"/": "healthmon", "/-/healthy": "Healthy", "/-/ready": "Ready"} {
		if code, body := p.Get(t, path); code != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %q", path, code, body)
		}
	}
}

// TestHealthEndpoint503WhenFailing: a failing component makes the health
// endpoint answer 503 with the reason, for load balancers.
func TestHealthEndpoint503WhenFailing(t *testing.T) {
	cfg := writeConfig(t, "components:\n  - name: host\n    kind: system\n    system: {mount_points: [/no/such/mount]}\n")
	p := harness.Start(t, harness.Options{Args: []string{"--config.file=" + cfg}})
	code, body := p.Get(t, "/api/v1/health")
	if code != 503 || !strings.Contains(body, `"status": "failing"`) || !strings.Contains(body, "/no/such/mount") {
		t.Fatalf("%d %s", code, body)
	}
}
