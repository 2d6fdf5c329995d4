package collector

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

// checkFileAt runs the file check of c as if the time were now.
func checkFileAt(t *testing.T, c *config.Component, now time.Time) (scoring.ComponentHealth, map[string]scoring.Reading, error) {
	t.Helper()
	chk, err := NewCheck(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	chk.(*fileCheck).now = func() time.Time { return now }
	readings, err := chk.Check(context.Background())
	return judge(c, readings, err)
}

// writeAged writes a file whose modification time is mtime.
func writeAged(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestFileHeartbeat(t *testing.T) {
	dir := t.TempDir()
	beat := filepath.Join(dir, "heartbeat")
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	writeAged(t, beat, "12345\n", mtime)

	// The default thresholds: excellent to 2 minutes, warning from 5,
	// critical from 15.
	for _, tt := range []struct {
		age  time.Duration
		want scoring.Status
	}{
		{10 * time.Second, scoring.StatusExcellent},
		{200 * time.Second, scoring.StatusGood},
		{400 * time.Second, scoring.StatusWarning},
		{20 * time.Minute, scoring.StatusCritical},
	} {
		c := loadComponent(t, "file", "    file:\n      path: "+beat+"\n")
		h, got, err := checkFileAt(t, c, mtime.Add(tt.age))
		if err != nil {
			t.Fatal(err)
		}
		if r := got["age_seconds"]; r.Value != tt.age.Seconds() || r.Status != tt.want || r.Unit != scoring.UnitSeconds {
			t.Errorf("age %s: %+v, want %s", tt.age, r, tt.want)
		}
		if got["size_bytes"].Value != 6 || h.Status != tt.want {
			t.Errorf("age %s: size %v, component %s", tt.age, got["size_bytes"].Value, h.Status)
		}
	}

	t.Run("configured thresholds", func(t *testing.T) {
		c := loadComponent(t, "file", "    file:\n      path: "+beat+"\n    thresholds:\n      age_seconds: {excellent: null, warning: 5, critical: 30}\n")
		h, _, _ := checkFileAt(t, c, mtime.Add(10*time.Second))
		if h.Status != scoring.StatusWarning || len(h.Issues) != 1 || !strings.Contains(h.Issues[0], "age_seconds is 10s, at or above the warning threshold 5s") {
			t.Errorf("component %s, issues %q", h.Status, h.Issues)
		}
	})
	t.Run("real clock", func(t *testing.T) {
		fresh := filepath.Join(dir, "fresh")
		if err := os.WriteFile(fresh, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		h, got, err := checkComponent(t, loadComponent(t, "file", "    file:\n      path: "+fresh+"\n"))
		if err != nil || got["age_seconds"].Value < 0 || got["age_seconds"].Value > 60 || h.Status != scoring.StatusExcellent {
			t.Errorf("a file just written: %v %+v %s", err, got["age_seconds"], h.Status)
		}
	})
}

func TestFileMissing(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		path, want string
	}{
		{filepath.Join(dir, "nope"), "file " + filepath.Join(dir, "nope") + " does not exist"},
		{dir, dir + " is a directory, not a file"},
		{filepath.Join(dir, "nope", "deeper"), "does not exist"},
	} {
		c := loadComponent(t, "file", "    file:\n      path: "+tt.path+"\n      json: true\n")
		h, got, err := checkFileAt(t, c, time.Now())
		if err != nil {
			t.Fatalf("%s: a missing heartbeat is a failing reading, not a check error: %v", tt.path, err)
		}
		r := got["age_seconds"]
		if !strings.Contains(r.Error, tt.want) || r.Status != scoring.StatusFailing || h.Status != scoring.StatusFailing {
			t.Errorf("%s: %+v, component %s; want failing with %q", tt.path, r, h.Status, tt.want)
		}
		if len(h.Issues) != 1 || !strings.Contains(h.Issues[0], tt.want) {
			t.Errorf("%s: issues %q", tt.path, h.Issues)
		}
	}
}

func TestFileJSONStatus(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	status := filepath.Join(dir, "status.json")
	writeAged(t, status, `{"generation": 120, "best_fitness": 1.75, "state": "running", "bad-key": 3,
		"ok": true, "stats": {"per_hour": 42, "workers": [{"alive": 7}]}, "age_seconds": 99}`, now.Add(-30*time.Second))

	t.Run("every top-level number", func(t *testing.T) {
		c := loadComponent(t, "file", "    file:\n      path: "+status+"\n      json: true\n    thresholds:\n      generation: {direction: lower_is_worse, warning: 200, critical: 50}\n")
		h, got, err := checkFileAt(t, c, now)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"age_seconds", "best_fitness", "generation", "size_bytes"}
		if ids := sortedIDs(got); strings.Join(ids, ",") != strings.Join(want, ",") {
			t.Errorf("readings %v, want %v (strings, booleans, objects, bad names and the kind's own names skipped)", ids, want)
		}
		if got["age_seconds"].Value != 30 {
			t.Errorf("age_seconds %v: the file's own key must not replace the file's age", got["age_seconds"].Value)
		}
		if r := got["generation"]; r.Value != 120 || r.Status != scoring.StatusWarning {
			t.Errorf("generation = %+v, want 120 and warning", r)
		}
		if r := got["best_fitness"]; r.Value != 1.75 || r.Judged() {
			t.Errorf("best_fitness = %+v, want 1.75 and informational", r)
		}
		if h.Status != scoring.StatusWarning {
			t.Errorf("component %s", h.Status)
		}
	})
	t.Run("named fields", func(t *testing.T) {
		c := loadComponent(t, "file", "    file:\n      path: "+status+"\n      json_fields:\n        per_hour: stats.per_hour\n        alive: stats.workers.0.alive\n        lost: stats.lost\n        state: state\n")
		h, got, err := checkFileAt(t, c, now)
		if err != nil {
			t.Fatal(err)
		}
		if got["per_hour"].Value != 42 || got["alive"].Value != 7 {
			t.Errorf("per_hour %v, alive %v", got["per_hour"].Value, got["alive"].Value)
		}
		if _, ok := got["generation"]; ok {
			t.Error("json_fields reads only the named fields")
		}
		if r := got["lost"]; r.Error != `stats: no key "lost"` || r.Status != scoring.StatusFailing {
			t.Errorf("lost = %+v", r)
		}
		if r := got["state"]; r.Error != `state is string "running", not a number` {
			t.Errorf("state = %+v", r)
		}
		if h.Status != scoring.StatusFailing {
			t.Errorf("component %s", h.Status)
		}
	})

	bad := []struct {
		name, content, extra, err string
	}{
		{"invalid JSON", `{"generation": 12,}`, "", "status file " + filepath.Join(dir, "invalid JSON") + ": not valid JSON: invalid character '}' looking for beginning of object key string at byte 19 of 19"},
		{"not an object", `[1, 2]`, "", "the document is array, not an object"},
		{"huge", `{"pad": "` + strings.Repeat("x", 2<<20) + `"}`, "", "larger than max_bytes (1048576 bytes)"},
		{"over a small limit", `{"generation": 12}`, "      max_bytes: 8\n", "larger than max_bytes (8 bytes)"},
		{"too many numbers", `{` + manyNumbers(config.MaxJSONReadings+1) + `}`, "", "65 numeric fields, more than 64: name the ones to read in json_fields"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			writeAged(t, path, tt.content, now.Add(-time.Second))
			c := loadComponent(t, "file", "    file:\n      path: "+path+"\n      json: true\n"+tt.extra)
			h, got, err := checkFileAt(t, c, now)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			if got["age_seconds"].Value != 1 || h.Status != scoring.StatusFailing {
				t.Errorf("age %v, component %s: the age is kept and the component fails", got["age_seconds"].Value, h.Status)
			}
		})
	}
}

func manyNumbers(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `"n` + strings.Repeat("x", i) + `": 1`
	}
	return strings.Join(parts, ",")
}

// sortedIDs lists the IDs of readings in order.
func sortedIDs(m map[string]scoring.Reading) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
