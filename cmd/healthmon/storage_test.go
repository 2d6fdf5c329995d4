package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/healthmon/healthmon/internal/harness"
	"github.com/healthmon/healthmon/prediction"
)

// TestServePersistsHistory runs the binary with --storage.path, stops it,
// and starts it again: the history comes back. Then a corrupt file is moved
// aside with a warning and a metric, and the start goes on.
func TestServePersistsHistory(t *testing.T) {
	cfg := writeConfig(t, "global:\n  interval: 1s\ncomponents:\n  - name: host\n    kind: system\n")
	dir := filepath.Join(t.TempDir(), "data")
	args := []string{"--config.file", cfg, "--storage.path", dir}
	snapshots := func(p *harness.Proc) float64 {
		v, _ := harness.Value(p.Metrics(t), "healthmon_history_snapshots")
		return v
	}

	p := harness.Start(t, harness.Options{Args: args})
	harness.Eventually(t, 30*time.Second, "three evaluations", func() bool { return snapshots(p) >= 3 })

	code, body := p.Get(t, "/api/v1/summary?window=1h")
	var sum struct {
		Window    string `json:"window"`
		Snapshots int    `json:"snapshots"`
		Score     *struct{ Average float64 }
	}
	if err := json.Unmarshal([]byte(body), &sum); code != 200 || err != nil || sum.Window != "1h" || sum.Snapshots < 3 || sum.Score == nil {
		t.Fatalf("summary: %d %v %s", code, err, body)
	}
	if code, body := p.Get(t, "/api/v1/summary?window=soon"); code != 400 {
		t.Fatalf("bad window: %d %s", code, body)
	}
	_, body = p.Get(t, "/api/v1/health")
	var health struct {
		Predictions *struct {
			Warmup bool  `json:"warmup"`
			Issues []any `json:"issues"`
		} `json:"predictions"`
	}
	if err := json.Unmarshal([]byte(body), &health); err != nil || health.Predictions == nil || !health.Predictions.Warmup {
		t.Fatalf("health predictions (warming up after seconds): %v %s", err, body)
	}
	p.Stop(t)

	saved := prediction.NewHistory(1000)
	n, err := prediction.NewStore(dir, nil).Restore(saved)
	if err != nil || n < 3 {
		t.Fatalf("saved history: %d snapshots, %v", n, err)
	}

	p = harness.Start(t, harness.Options{Args: args})
	mfs := p.Metrics(t)
	if v, ok := harness.Value(mfs, "healthmon_history_restored_snapshots"); !ok || int(v) != n {
		t.Fatalf("restored %v snapshots, saved %d\n%s", v, n, p.Logs())
	}
	if v, _ := harness.Value(mfs, "healthmon_history_snapshots"); int(v) < n+1 {
		t.Fatalf("history holds %v snapshots after a restart, want at least %d", v, n+1)
	}
	p.Stop(t)

	path := filepath.Join(dir, prediction.FileName)
	if err := os.WriteFile(path, []byte("not a history at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	p = harness.Start(t, harness.Options{Args: args})
	mfs = p.Metrics(t)
	if v, ok := harness.Value(mfs, "healthmon_history_load_errors_total"); !ok || v != 1 {
		t.Fatalf("load errors %v\n%s", v, p.Logs())
	}
	if !strings.Contains(p.Logs(), "moved it aside") || !strings.Contains(p.Logs(), "level=WARN") {
		t.Fatalf("no warning in the logs:\n%s", p.Logs())
	}
	if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) != 1 {
		t.Fatalf("moved aside: %v", aside)
	}
	// Read the file directly: a Store's Restore would remove the running
	// process's temporary file.
	harness.Eventually(t, 30*time.Second, "a new history saved", func() bool {
		b, err := os.ReadFile(path)
		return err == nil && prediction.NewHistory(10).UnmarshalBinary(b) == nil
	})
}
