package main

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/config"
)

// notHealthmon are the files of examples/ that configure Prometheus and
// Alertmanager, checked by promtool and amtool elsewhere.
var notHealthmon = map[string]bool{"prometheus.yml": true, "alertmanager.yml": true}

// exampleConfigs lists the healthmon configurations in examples/.
func exampleConfigs(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join("..", "..", "examples", pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !notHealthmon[filepath.Base(f)] {
				files = append(files, f)
			}
		}
	}
	sort.Strings(files)
	return files
}

// TestExamples: `healthmon --config.check` passes on every healthmon
// configuration in examples/, and every component of each builds its check
// (so each kind it uses exists and its client settings are usable).
func TestExamples(t *testing.T) {
	files := exampleConfigs(t)
	found := false
	for _, f := range files {
		found = found || filepath.Base(f) == "quant-trading.yml"
	}
	if !found {
		t.Fatalf("examples/quant-trading.yml not found among %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"--config.check", "--config.file", f}, &stdout, &stderr); code != 0 {
				t.Fatalf("healthmon --config.check --config.file %s: exit %d\n%s%s", f, code, stdout.String(), stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), "OK: ") {
				t.Fatalf("stdout %q, want OK", stdout.String())
			}
			cfg, err := config.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := collector.NewEvaluator(cfg, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatalf("building the checks of %s: %v", f, err)
			}
		})
	}
}

// TestExampleQuantTrading: the quant-trading example covers the seed's
// whole set of components, each with the kind that checks it for real.
func TestExampleQuantTrading(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "examples", "quant-trading.yml"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	byName := map[string]*config.Component{}
	for _, c := range cfg.Components {
		kinds[c.Name] = c.Kind
		byName[c.Name] = c
	}
	for name, kind := range map[string]string{
		"system":              "system",
		"ray_cluster":         "ray",
		"genetic_evolution":   "file",
		"validation_pipeline": "file",
		"deployment_system":   "promql",
		"hyperliquid_api":     "http",
		"market_data_feed":    "tcp",
	} {
		if kinds[name] != kind {
			t.Errorf("component %s: kind %q, want %q", name, kinds[name], kind)
		}
	}
	if h := byName["hyperliquid_api"]; h != nil && h.HTTP != nil {
		hc := h.HTTP
		if hc.Method != "POST" || hc.URL != "https://api.hyperliquid.xyz/info" || hc.Body != `{"type":"meta"}` {
			t.Errorf("hyperliquid_api request = %s %s %s, want POST https://api.hyperliquid.xyz/info {\"type\":\"meta\"}", hc.Method, hc.URL, hc.Body)
		}
		if len(hc.StatusCodes) != 1 || hc.StatusCodes[0] != 200 {
			t.Errorf("hyperliquid_api status_codes = %v, want [200]", hc.StatusCodes)
		}
		universe := false
		for _, a := range hc.JSON {
			universe = universe || (a.Path.String() == "universe" && a.Type == "array")
		}
		if !universe {
			t.Error("hyperliquid_api does not assert that universe is an array")
		}
	}
}
