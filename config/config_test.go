package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/healthmon/healthmon/scoring"
)

func TestDefaultConfig(t *testing.T) {
	cfg, err := Default()
	if err != nil {
		t.Fatalf("embedded default: %v", err)
	}
	if time.Duration(cfg.Global.Interval) != 60*time.Second || time.Duration(cfg.Global.Timeout) != 10*time.Second || cfg.Global.HistorySize != 1000 {
		t.Errorf("global = %+v", cfg.Global)
	}
	if len(cfg.Components) != 1 || cfg.Components[0].Kind != "system" {
		t.Fatalf("components = %+v", cfg.Components)
	}
	sys := cfg.Components[0]
	th, ok := sys.ThresholdsFor(MetricMemoryUsedRatio, "")
	if !ok || *th.Warning != 0.8 || *th.Critical != 0.95 || th.Excellent == nil {
		t.Errorf("memory thresholds = %+v (the seed's 80%%/95%% with an excellent level)", th)
	}
	if got := sys.System.MountPoints; len(got) != 1 || got[0] != "/" {
		t.Errorf("mount points = %v", got)
	}
	p := cfg.Scoring.Policy()
	if p.CriticalRatio != 0.3 || p.WarningRatio != 0.5 || p.ExcellentScore != 0.9 || p.Weights[scoring.StatusGood] != 0.8 {
		t.Errorf("policy = %+v", p)
	}
}

func TestThresholdOverrides(t *testing.T) {
	cfg, err := Parse([]byte(`
components:
  - name: host
    kind: system
    system: {mount_points: ["/", "/var"]}
    thresholds:
      memory_used_ratio: {warning: 0.7}
      disk_used_ratio{/var}: {critical: 0.99}
      load_per_core: {excellent: null}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Components[0]
	mem, _ := c.ThresholdsFor(MetricMemoryUsedRatio, "")
	if *mem.Warning != 0.7 || *mem.Critical != 0.95 || *mem.Excellent != 0.6 {
		t.Errorf("memory: warning overridden, others inherited; got %+v", mem)
	}
	root, _ := c.ThresholdsFor(MetricDiskUsedRatio, "/")
	vr, _ := c.ThresholdsFor(MetricDiskUsedRatio, "/var")
	if *root.Critical != 0.95 || *vr.Critical != 0.99 || *vr.Warning != 0.85 {
		t.Errorf("disk / %+v, /var %+v", root, vr)
	}
	load, _ := c.ThresholdsFor(MetricLoadPerCore, "")
	if load.Excellent != nil || *load.Warning != 1.5 {
		t.Errorf("load: null removes excellent; got %+v", load)
	}
	avail, _ := c.ThresholdsFor(MetricMemoryAvailableBytes, "")
	if avail.Direction != scoring.LowerIsWorse {
		t.Errorf("memory_available_bytes direction = %s", avail.Direction)
	}
}

func TestScoringSection(t *testing.T) {
	cfg, err := Parse([]byte(`
scoring:
  weights: {good: 0.7}
  critical_ratio: 0.25
components: [{name: s, kind: system}]
`))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Scoring.Policy()
	if p.Weights[scoring.StatusGood] != 0.7 || p.Weights[scoring.StatusExcellent] != 1 || p.CriticalRatio != 0.25 || p.WarningRatio != 0.5 {
		t.Errorf("policy = %+v", p)
	}
}

// TestInvalidConfigs: every error names the field and the line.
func TestInvalidConfigs(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"misspelled top-level field", "globl:\n  interval: 1m\ncomponents: [{name: s, kind: system}]\n",
			"line 1: field globl: unknown field \"globl\" (known: components, global, prediction, scoring)"},
		{"misspelled nested field", "global:\n  intervall: 1m\ncomponents: [{name: s, kind: system}]\n",
			"line 2: field global.intervall: unknown field \"intervall\""},
		{"misspelled component field", "components:\n  - name: s\n    kind: system\n    treshold: {}\n",
			"line 4: field components[s].treshold: unknown field \"treshold\""},
		{"zero interval", "global:\n  interval: 0s\ncomponents: [{name: s, kind: system}]\n",
			"line 2: field global.interval: must be greater than zero"},
		{"negative timeout", "global:\n  timeout: -1s\ncomponents: [{name: s, kind: system}]\n",
			"line 2: field global.timeout: \"-1s\" is not a duration"},
		{"zero timeout", "global:\n  timeout: 0s\ncomponents: [{name: s, kind: system}]\n",
			"line 2: field global.timeout: must be greater than zero"},
		{"misspelled threshold level", "components:\n  - name: host\n    kind: system\n    thresholds:\n      load1: {warn: 3}\n",
			"line 5: field components[host].thresholds.load1.warn: unknown field"},
		{"bad duration", "global:\n  interval: soon\ncomponents: [{name: s, kind: system}]\n",
			"line 2: field global.interval: \"soon\" is not a duration"},
		{"warning above critical", "components:\n  - name: host\n    kind: system\n    thresholds:\n      memory_used_ratio: {warning: 0.99, critical: 0.95}\n",
			"line 5: field components[host].thresholds.memory_used_ratio: critical (0.95) must be above warning (0.99) for a higher_is_worse reading"},
		{"inherited level conflicts", "components:\n  - name: host\n    kind: system\n    thresholds:\n      memory_used_ratio:\n        warning: 0.97\n",
			"line 6: field components[host].thresholds.memory_used_ratio: critical (0.95) must be above warning (0.97)"},
		{"unknown metric for a fixed kind", "components:\n  - name: host\n    kind: system\n    thresholds:\n      memroy_used_ratio: {warning: 0.5}\n",
			"line 5: field components[host].thresholds.memroy_used_ratio: unknown metric \"memroy_used_ratio\" for kind system"},
		{"unknown kind", "components:\n  - name: host\n    kind: sytem\n",
			"line 3: field components[host].kind: unknown kind \"sytem\""},
		{"missing name", "components:\n  - kind: system\n",
			"line 2: field components[]: name is required"},
		{"bad name", "components:\n  - name: \"my host\"\n    kind: system\n",
			"line 2: field components[my host].name"},
		{"duplicate name", "components:\n  - name: a\n    kind: system\n  - name: a\n    kind: system\n",
			"line 4: field components[a].name: duplicate component name \"a\" (first at line 2)"},
		{"relative mount point", "components:\n  - name: a\n    kind: system\n    system:\n      mount_points: [var]\n",
			"line 5: field components[a].system: mount_points: \"var\" is not an absolute path"},
		{"weight out of range", "scoring:\n  weights: {good: 2}\ncomponents: [{name: s, kind: system}]\n",
			"line 2: field scoring.weights: weights: good weight 2 must be within 0..1"},
		{"unknown status weight", "scoring:\n  weights: {fine: 0.5}\ncomponents: [{name: s, kind: system}]\n",
			"line 2: field scoring.weights: unknown status \"fine\""},
		{"ratio out of range", "scoring:\n  warning_ratio: 0\ncomponents: [{name: s, kind: system}]\n",
			"line 2: field scoring.warning_ratio"},
		{"bad direction", "components:\n  - name: a\n    kind: system\n    thresholds:\n      load1: {direction: sideways, warning: 1}\n",
			"line 5: field components[a].thresholds.load1.direction: unknown direction \"sideways\" (want higher_is_worse or lower_is_worse)"},
		{"list where a mapping belongs", "global: [1]\ncomponents: [{name: s, kind: system}]\n",
			"line 1: field global: want a mapping (key: value), got a list"},
		{"value where a mapping belongs", "components:\n  - name: a\n    kind: system\n    thresholds: 3\n",
			"line 4: field components[a].thresholds: want a mapping (key: value), got a single value"},
		{"no components", "global:\n  interval: 1m\n", "components: at least one component is required"},
		{"empty", "", "the configuration is empty"},
		{"not YAML", "components: [\n", "line 1: did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("accepted:\n%s", tt.yaml)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error:\n  %v\nwant it to contain:\n  %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "config.plain") {
				t.Errorf("error leaks Go type names: %v", err)
			}
		})
	}
}

func TestLoadResolvesClientFilesAgainstTheConfigFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "healthmon.yml")
	body := `
components:
  - name: api
    kind: http
    http:
      url: https://127.0.0.1:1/
      http_client_config:
        tls_config: {ca_file: certs/ca.pem}
        authorization: {credentials_file: token}
`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	hc := cfg.Components[0].HTTP.HTTPClient
	if got, want := hc.TLSConfig.CAFile, filepath.Join(dir, "certs/ca.pem"); got != want {
		t.Errorf("ca_file = %q, want %q", got, want)
	}
	if got, want := hc.Authorization.CredentialsFile, filepath.Join(dir, "token"); got != want {
		t.Errorf("credentials_file = %q, want %q", got, want)
	}
}

func TestInlineMapsTakeAnyKey(t *testing.T) {
	cfg, err := Parse([]byte(`
components:
  - name: api
    kind: http
    http:
      url: http://127.0.0.1:1/
      http_client_config:
        http_headers:
          X-Api-Key: {secrets: [s3cret]}
          X-Env: {values: [prod]}
`))
	if err != nil {
		t.Fatalf("http_headers refused: %v", err)
	}
	if h := cfg.Components[0].HTTP.HTTPClient.HTTPHeaders; h == nil || len(h.Headers) != 2 {
		t.Fatalf("headers = %+v", h)
	}
	_, err = Parse([]byte(`
components:
  - name: api
    kind: http
    http:
      url: http://127.0.0.1:1/
      http_client_config:
        http_headers:
          X-Api-Key: {secret: [s3cret]}
`))
	if err == nil || !strings.Contains(err.Error(), `http_headers.X-Api-Key.secret: unknown field "secret"`) {
		t.Fatalf("a typo inside a header is not named: %v", err)
	}
}
