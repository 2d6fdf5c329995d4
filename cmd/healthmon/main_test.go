package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "healthmon.yml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigCheck: --config.check exits 0 with OK, or 1 with an error that
// names the field and the line.
func TestConfigCheck(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string // empty: the embedded default
		wantCode int
		want     string
	}{
		{"embedded default", "", 0, "OK: embedded default configuration: 1 components"},
		{"valid file", "components:\n  - name: host\n    kind: system\n", 0, "OK: "},
		{"misspelled field", "global:\n  interval: 30s\n  timout: 5s\ncomponents:\n  - name: host\n    kind: system\n", 1,
			"line 3: field global.timout: unknown field \"timout\""},
		{"warning above critical", "components:\n  - name: host\n    kind: system\n    thresholds:\n      disk_used_ratio: {warning: 0.97, critical: 0.9}\n", 1,
			"line 5: field components[host].thresholds.disk_used_ratio: critical (0.9) must be above warning (0.97) for a higher_is_worse reading"},
		{"zero interval", "global:\n  interval: 0s\ncomponents:\n  - name: host\n    kind: system\n", 1,
			"line 2: field global.interval: must be greater than zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"--config.check"}
			if tt.yaml != "" {
				args = append(args, "--config.file", writeConfig(t, tt.yaml))
			}
			var stdout, stderr bytes.Buffer
			code := run(args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tt.wantCode, stdout.String(), stderr.String())
			}
			out := stdout.String() + stderr.String()
			if !strings.Contains(out, tt.want) {
				t.Fatalf("output %q does not contain %q", out, tt.want)
			}
			if tt.wantCode != 0 && !strings.HasPrefix(stderr.String(), "FAILED: ") {
				t.Errorf("stderr %q should start with FAILED", stderr.String())
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"--config.check", "--config.file", "/no/such.yml"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no such file") {
			t.Fatalf("exit %d stderr %q", code, stderr.String())
		}
	})
}

// TestCheckCommand: `healthmon check` prints a table and exits 0, 1 or 2 by
// the overall status. Thresholds are set so the outcome does not depend on
// how busy the machine is.
func TestCheckCommand(t *testing.T) {
	const loose = `
      cpu_used_ratio:  {excellent: null, warning: 0.99999, critical: 0.999999}
      disk_used_ratio: {excellent: null, warning: 0.99999, critical: 0.999999}
      load_per_core:   {excellent: null, warning: 1000, critical: 2000}
`
	tests := []struct {
		name     string
		memory   string
		wantCode int
		want     []string
	}{
		{"good", "{excellent: null, warning: 0.99999, critical: 0.999999}", 0, []string{"Overall: GOOD", "memory_used_ratio", "good"}},
		{"warning", "{excellent: null, warning: 0.000001, critical: 0.999999}", 1, []string{"Overall: WARNING", "Issues:", "memory_used_ratio is", "at or above the warning threshold", "ps aux --sort=-rss"}},
		{"critical", "{excellent: null, warning: 0.000001, critical: 0.000002}", 2, []string{"Overall: CRITICAL", "at or above the critical threshold"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeConfig(t, "components:\n  - name: host\n    kind: system\n    thresholds:\n      memory_used_ratio: "+tt.memory+loose)
			var stdout, stderr bytes.Buffer
			code := run([]string{"check", "--config.file", cfg}, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			for _, w := range append(tt.want, "COMPONENT", "STATUS", "METRIC", "VALUE", "WARNING", "CRITICAL", "disk_used_ratio{/}") {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, stdout.String())
				}
			}
		})
	}
	t.Run("failing", func(t *testing.T) {
		cfg := writeConfig(t, "components:\n  - name: host\n    kind: system\n    system: {mount_points: [/no/such/mount]}\n")
		var stdout, stderr bytes.Buffer
		if code := run([]string{"check", "--config.file", cfg}, &stdout, &stderr); code != 2 || !strings.Contains(stdout.String(), "Overall: FAILING") || !strings.Contains(stdout.String(), "/no/such/mount") {
			t.Fatalf("exit %d\n%s", code, stdout.String())
		}
	})
}
