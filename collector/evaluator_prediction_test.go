package collector

import (
	"context"
	"testing"
	"time"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

var tp0 = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

func memAt(e *Evaluator, minute int, v float64) *Evaluation {
	return e.EvaluateAt(tp0.Add(time.Duration(minute)*time.Minute), map[string][]scoring.Reading{
		"sys": {{Metric: "memory_used_ratio", Value: v, Thresholds: ratioTh}},
	})
}

func goComponent(t *testing.T) *Evaluator {
	t.Helper()
	e := emptyEvaluator(t)
	noop := CheckFunc(func(context.Context) ([]scoring.Reading, error) { return nil, nil })
	if err := e.Register("sys", time.Second, noop); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEvaluatorHysteresis: a reading hovering at its warning level does not
// flap the component's status (default margin 2%, count 3), and the one
// real change is counted.
func TestEvaluatorHysteresis(t *testing.T) {
	e := goComponent(t)
	values := []float64{0.81, 0.79, 0.81, 0.79, 0.795, 0.79, 0.79}
	want := []scoring.Status{scoring.StatusWarning, scoring.StatusWarning, scoring.StatusWarning, scoring.StatusWarning, scoring.StatusWarning, scoring.StatusGood, scoring.StatusGood}
	var ev *Evaluation
	for i, v := range values {
		ev = memAt(e, i, v)
		if got := ev.Snapshot.Components[0].Status; got != want[i] {
			t.Fatalf("step %d (%g): %s, want %s", i, v, got, want[i])
		}
	}
	if n := len(ev.Transitions); n != 1 || ev.Transitions[Transition{Component: "sys", From: scoring.StatusWarning, To: scoring.StatusGood}] != 1 {
		t.Fatalf("transitions %v, want one warning -> good", ev.Transitions)
	}
}

// TestEvaluatorHysteresisAfterRestore: a status held before a restart is
// still held after it, seeded from the restored history.
func TestEvaluatorHysteresisAfterRestore(t *testing.T) {
	before := goComponent(t)
	memAt(before, 0, 0.85)
	saved, err := before.History().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	after := goComponent(t)
	if err := after.History().UnmarshalBinary(saved); err != nil {
		t.Fatal(err)
	}
	if st := memAt(after, 1, 0.79).Snapshot.Components[0].Status; st != scoring.StatusWarning {
		t.Fatalf("after a restore: %s, want warning held", st)
	}
	if st := memAt(goComponent(t), 1, 0.79).Snapshot.Components[0].Status; st != scoring.StatusGood {
		t.Fatalf("without history: %s, want good", st)
	}
}

// TestEvaluatorReloadKeepsHistory: a reload keeps the history and trends of
// the components it keeps, and applies the new prediction settings.
func TestEvaluatorReloadKeepsHistory(t *testing.T) {
	cfg1, err := config.Parse([]byte("components:\n  - name: host\n    kind: system\n"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEvaluator(cfg1, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := func(i int) *Evaluation {
		return e.EvaluateAt(tp0.Add(time.Duration(i)*time.Minute), map[string][]scoring.Reading{
			"host": {{Metric: "memory_used_ratio", Value: 0.5 + 0.004*float64(i)}},
		})
	}
	for i := range 30 {
		at(i)
	}
	cfg2, err := config.Parse([]byte("prediction: {horizon: 3h}\ncomponents:\n  - name: host\n    kind: system\n  - name: other\n    kind: system\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(cfg2); err != nil {
		t.Fatal(err)
	}
	ev := at(30)
	if ev.HistorySize != 31 || ev.Prediction.Warmup {
		t.Fatalf("after a reload: %d snapshots, warm-up %v", ev.HistorySize, ev.Prediction.Warmup)
	}
	if e.PredictionSettings().Horizon != 3*time.Hour {
		t.Fatalf("horizon %s after the reload", e.PredictionSettings().Horizon)
	}
	// With a 3 h horizon the critical level (0.95 at minute 112) is an
	// issue already: the nearer warning level is reported.
	found := false
	for _, i := range ev.Prediction.Issues {
		found = found || (i.Kind == "threshold_breach" && i.Component == "host" && i.Level == "warning")
	}
	if !found {
		t.Fatalf("issues %+v", ev.Prediction.Issues)
	}
	// The new component is unknown in a replay until it has readings.
	if c, ok := ev.Snapshot.Component("other"); !ok || c.Status != scoring.StatusUnknown {
		t.Fatalf("other: %+v", c)
	}
}
