package scoring

import (
	"math"
	"strings"
	"testing"
)

func TestHysteresisJudge(t *testing.T) {
	higher := Thresholds{Excellent: Level(0.6), Warning: Level(0.8), Critical: Level(0.95)}
	lower := Thresholds{Direction: LowerIsWorse, Excellent: Level(100), Warning: Level(50), Critical: Level(10)}
	tests := []struct {
		name   string
		h      Hysteresis
		th     Thresholds
		values []float64
		want   []Status
	}{
		{
			name:   "no hysteresis flaps",
			th:     higher,
			values: []float64{0.79, 0.80, 0.79, 0.80, 0.79},
			want:   []Status{StatusGood, StatusWarning, StatusGood, StatusWarning, StatusGood},
		},
		{
			name:   "margin holds warning until 2% below the level",
			h:      Hysteresis{Margin: 0.02},
			th:     higher,
			values: []float64{0.79, 0.80, 0.79, 0.80, 0.79, 0.785, 0.783, 0.79},
			want:   []Status{StatusGood, StatusWarning, StatusWarning, StatusWarning, StatusWarning, StatusWarning, StatusGood, StatusGood},
		},
		{
			name:   "count leaves after three evaluations within the margin",
			h:      Hysteresis{Margin: 0.02, Count: 3},
			th:     higher,
			values: []float64{0.81, 0.79, 0.79, 0.79, 0.79, 0.81, 0.79},
			want:   []Status{StatusWarning, StatusWarning, StatusWarning, StatusGood, StatusGood, StatusWarning, StatusWarning},
		},
		{
			name:   "a return to the worse side resets the count",
			h:      Hysteresis{Count: 2},
			th:     higher,
			values: []float64{0.81, 0.79, 0.81, 0.79, 0.79},
			want:   []Status{StatusWarning, StatusWarning, StatusWarning, StatusWarning, StatusGood},
		},
		{
			name:   "entering a worse status is immediate",
			h:      Hysteresis{Margin: 0.5, Count: 10},
			th:     higher,
			values: []float64{0.5, 0.96, 0.81},
			want:   []Status{StatusExcellent, StatusCritical, StatusCritical},
		},
		{
			name:   "critical steps down to warning when it clears only the critical level",
			h:      Hysteresis{Margin: 0.02},
			th:     higher,
			values: []float64{0.96, 0.90, 0.70},
			want:   []Status{StatusCritical, StatusWarning, StatusGood},
		},
		{
			name:   "good to excellent needs the margin below excellent",
			h:      Hysteresis{Margin: 0.05},
			th:     higher,
			values: []float64{0.7, 0.59, 0.56},
			want:   []Status{StatusGood, StatusGood, StatusExcellent},
		},
		{
			name:   "lower is worse",
			h:      Hysteresis{Margin: 0.1},
			th:     lower,
			values: []float64{40, 52, 54, 56},
			want:   []Status{StatusWarning, StatusWarning, StatusWarning, StatusGood},
		},
		{
			name:   "an unknown value forgets the held status",
			h:      Hysteresis{Margin: 0.1},
			th:     higher,
			values: []float64{0.85, math.NaN(), 0.79},
			want:   []Status{StatusWarning, StatusUnknown, StatusGood},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var held Held
			for i, v := range tt.values {
				r := Reading{Metric: "m", Value: v, Thresholds: tt.th}
				held = tt.h.Judge(&r, held)
				if r.Status != tt.want[i] {
					t.Fatalf("step %d (value %g): status %s, want %s", i, v, r.Status, tt.want[i])
				}
				if held.Status != r.Status {
					t.Fatalf("step %d: held %s differs from the status %s", i, held.Status, r.Status)
				}
			}
		})
	}
}

func TestAssessHeld(t *testing.T) {
	th := Thresholds{Excellent: Level(0.6), Warning: Level(0.8), Critical: Level(0.95)}
	h := Hysteresis{Margin: 0.02}
	held := map[string]Held{}
	reading := func(v float64) []Reading {
		return []Reading{{Metric: "mem", Value: v, Unit: UnitRatio, Thresholds: th}, {Metric: "disk", Resource: "/", Value: 0.1, Thresholds: th}}
	}
	c := AssessHeld("sys", "system", reading(0.85), nil, h, held)
	if c.Status != StatusWarning || len(c.Issues) != 1 {
		t.Fatalf("first: status %s issues %v", c.Status, c.Issues)
	}
	c = AssessHeld("sys", "system", reading(0.79), nil, h, held)
	if c.Status != StatusWarning || len(c.Issues) != 1 {
		t.Fatalf("within the margin: status %s issues %v, want warning held with its issue", c.Status, c.Issues)
	}
	if held["mem"].Status != StatusWarning || held["disk{/}"].Status != StatusExcellent {
		t.Fatalf("held states %v", held)
	}
	c = AssessHeld("sys", "system", reading(0.70)[:1], nil, h, held)
	if c.Status != StatusGood || len(c.Issues) != 0 {
		t.Fatalf("cleared: status %s issues %v", c.Status, c.Issues)
	}
	if _, ok := held["disk{/}"]; ok || len(held) != 1 {
		t.Fatalf("the state of a reading no longer reported was kept: %v", held)
	}
}

func TestHysteresisValidate(t *testing.T) {
	for _, h := range []Hysteresis{{Margin: -0.1}, {Margin: 1}, {Margin: math.NaN()}, {Count: -1}} {
		if h.Validate() == nil {
			t.Errorf("%+v: no error", h)
		}
	}
	if err := (Hysteresis{Margin: 0.02, Count: 3}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestAssessHeldIssueSaysHeld(t *testing.T) {
	th := Thresholds{Warning: Level(0.8)}
	held := map[string]Held{"mem": {Status: StatusWarning}}
	c := AssessHeld("sys", "system", []Reading{{Metric: "mem", Value: 0.79, Unit: UnitRatio, Thresholds: th}}, nil, Hysteresis{Margin: 0.02}, held)
	if len(c.Issues) != 1 || !strings.Contains(c.Issues[0], "back from the warning threshold 80.0%") {
		t.Fatalf("issues %q", c.Issues)
	}
}
