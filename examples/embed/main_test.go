package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// checkExposition parses the text exposition and checks that the Go check's
// component is there, judged, with its readings.
func checkExposition(t *testing.T, text string) {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("the output is not the Prometheus text format: %v\n%s", err, text)
	}
	info, ok := families["healthmon_component_info"]
	if !ok {
		t.Fatalf("no healthmon_component_info:\n%s", text)
	}
	kinds := map[string]string{}
	for _, m := range info.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		kinds[labels["component"]] = labels["kind"]
	}
	if kinds["app"] != "go" || kinds["system"] != "system" {
		t.Errorf("components and kinds = %v, want app (go) and system", kinds)
	}
	for _, want := range []string{
		`healthmon_check_success{component="app"} 1`,
		`healthmon_metric_value{component="app",metric="last_job_age_seconds",resource=""}`,
		`healthmon_metric_value{component="app",metric="goroutines",resource=""}`,
		`healthmon_metric_threshold{component="app",level="critical",metric="last_job_age_seconds",resource=""} 120`,
		`healthmon_component_status{component="app",status="failing"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %s", want)
		}
	}
}

func TestEmbedOnce(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"-once"}, &stdout, &stderr, nil); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	checkExposition(t, stdout.String())
}

func TestEmbedServes(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() { done <- run(ctx, []string{"-listen", "127.0.0.1:0"}, io.Discard, &stderr, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("exited with %d before serving: %s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("not serving after 30 s")
	}
	client := &http.Client{Timeout: 5 * time.Second}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	// The first evaluation runs at start; wait until it is published.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := get("/-/ready"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no evaluation within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, metrics := get("/metrics")
	checkExposition(t, metrics)
	_, body := get("/api/v1/health")
	var health map[string]any
	if err := json.Unmarshal([]byte(body), &health); err != nil {
		t.Fatalf("health is not JSON: %v\n%s", err, body)
	}
	if !strings.Contains(body, `"app"`) || !strings.Contains(body, "last_job_age_seconds") {
		t.Errorf("health view lacks the Go check:\n%s", body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after cancel: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop within 10 s of cancel")
	}
}

// TestEmbedGoRun runs the example as a user does: go run ./examples/embed.
func TestEmbedGoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example")
	}
	// go test puts its own go command first in PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "run", ".", "-once")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run ./examples/embed -once: %v\n%s", err, stderr.String())
	}
	checkExposition(t, stdout.String())
	if !strings.Contains(stdout.String(), "# overall status ") {
		t.Errorf("no overall status line:\n%s", stdout.String())
	}
}
