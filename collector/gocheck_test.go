package collector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

// Checks written in Go: Evaluator.Register with a CheckFunc. Their panic
// and hang isolation is pinned by TestHangingAndPanickingChecks in
// evaluator_test.go; these tests pin the rest of the contract.

// TestGoCheckRunsUnderItsTimeout: the context a Go check gets carries the
// timeout it was registered with.
func TestGoCheckRunsUnderItsTimeout(t *testing.T) {
	e := emptyEvaluator(t)
	const timeout = 3 * time.Second
	left := make(chan time.Duration, 1)
	err := e.Register("deadline", timeout, CheckFunc(func(ctx context.Context) ([]scoring.Reading, error) {
		d, ok := ctx.Deadline()
		if !ok {
			return nil, errors.New("no deadline")
		}
		left <- time.Until(d)
		return nil, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	ev := e.Evaluate(context.Background())
	if c, _ := ev.Snapshot.Component("deadline"); c.Error != "" || c.Kind != "go" {
		t.Fatalf("component: kind %q error %q", c.Kind, c.Error)
	}
	if d := <-left; d <= 0 || d > timeout {
		t.Errorf("deadline %s away, want within the %s timeout", d, timeout)
	}
}

// TestGoCheckErrorsAndReadings: an error makes the component failing with
// the error as its issue; readings are judged by the thresholds the check
// sets, and a reading's own Error fails only that reading.
func TestGoCheckErrorsAndReadings(t *testing.T) {
	e := emptyEvaluator(t)
	checks := map[string]Check{
		"broken": CheckFunc(func(context.Context) ([]scoring.Reading, error) {
			return nil, fmt.Errorf("queue API: %w", errors.New("connection refused"))
		}),
		"queue": fixed(scoring.Reading{Metric: "depth", Value: 150, Thresholds: scoring.Thresholds{Warning: scoring.Level(100), Critical: scoring.Level(1000)}, Advice: "Add consumers."}),
		"partial": fixed(
			scoring.Reading{Metric: "ok", Value: 0.1, Thresholds: ratioTh},
			scoring.Reading{Metric: "replica", Value: math.NaN(), Error: "replica 2 unreachable"},
		),
	}
	for name, c := range checks {
		if err := e.Register(name, time.Second, c); err != nil {
			t.Fatal(err)
		}
	}
	snap := e.Evaluate(context.Background()).Snapshot
	tests := []struct {
		name   string
		status scoring.Status
		issue  string
		rec    string
	}{
		{"broken", scoring.StatusFailing, "broken check failed: queue API: connection refused", ""},
		{"queue", scoring.StatusWarning, "queue: depth is 150, at or above the warning threshold 100", "Add consumers."},
		{"partial", scoring.StatusFailing, "partial: replica could not be read: replica 2 unreachable", ""},
	}
	for _, tc := range tests {
		c, ok := snap.Component(tc.name)
		if !ok {
			t.Fatalf("no component %s", tc.name)
		}
		if c.Status != tc.status {
			t.Errorf("%s: status %s, want %s", tc.name, c.Status, tc.status)
		}
		if !strings.Contains(strings.Join(c.Issues, "\n"), tc.issue) {
			t.Errorf("%s: issues %q, want %q", tc.name, c.Issues, tc.issue)
		}
		if tc.rec != "" && !strings.Contains(strings.Join(c.Recommendations, "\n"), tc.rec) {
			t.Errorf("%s: recommendations %q, want %q", tc.name, c.Recommendations, tc.rec)
		}
	}
}

// TestGoCheckSurvivesReload: applying a new configuration keeps the Go
// checks, and a configured component may not take a Go check's name.
func TestGoCheckSurvivesReload(t *testing.T) {
	e := emptyEvaluator(t)
	if err := e.Register("app", time.Second, fixed(scoring.Reading{Metric: "m", Value: 0.1, Thresholds: ratioTh})); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte("components:\n  - name: host\n    kind: system\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	snap := e.Evaluate(context.Background()).Snapshot
	if _, ok := snap.Component("app"); !ok {
		t.Fatal("the Go check is gone after a reload")
	}
	if _, ok := snap.Component("host"); !ok {
		t.Fatal("the configured component is missing")
	}
	clash, err := config.Parse([]byte("components:\n  - name: app\n    kind: system\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(clash); err == nil || !strings.Contains(err.Error(), "component app: name already taken by a check registered in Go") {
		t.Fatalf("Apply with a clashing name: %v", err)
	}
}

// ExampleEvaluator_Register registers a check written in Go: a function of
// a context that returns readings with their thresholds.
func ExampleEvaluator_Register() {
	cfg, err := config.Parse([]byte("components:\n  - name: host\n    kind: system\n"))
	if err != nil {
		panic(err)
	}
	eval, err := NewEvaluator(cfg, nil)
	if err != nil {
		panic(err)
	}
	queueDepth := func() float64 { return 42 } // the program's own figure
	err = eval.Register("orders", 5*time.Second, CheckFunc(func(ctx context.Context) ([]scoring.Reading, error) {
		return []scoring.Reading{{
			Metric:     "queue_depth",
			Value:      queueDepth(),
			Thresholds: scoring.Thresholds{Excellent: scoring.Level(10), Warning: scoring.Level(100), Critical: scoring.Level(1000)},
			Advice:     "Add consumers or find what slows them down.",
		}}, nil
	}))
	if err != nil {
		panic(err)
	}
	orders, _ := eval.Evaluate(context.Background()).Snapshot.Component("orders")
	fmt.Println(orders.Kind, orders.Status, orders.Readings[0].Metric, orders.Readings[0].Value)
	// Output: go good queue_depth 42
}
