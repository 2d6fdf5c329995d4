package scoring

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestThresholdsEvaluate(t *testing.T) {
	higher := Thresholds{Excellent: Level(0.6), Warning: Level(0.8), Critical: Level(0.95)}
	lower := Thresholds{Direction: LowerIsWorse, Excellent: Level(0.9), Warning: Level(0.5), Critical: Level(0.2)}
	onlyWarn := Thresholds{Warning: Level(80)}
	tests := []struct {
		name string
		th   Thresholds
		v    float64
		want Status
	}{
		{"higher: below excellent", higher, 0.5, StatusExcellent},
		{"higher: at excellent is excellent", higher, 0.6, StatusExcellent},
		{"higher: between excellent and warning", higher, 0.7, StatusGood},
		{"higher: just below warning", higher, 0.7999999, StatusGood},
		{"higher: at warning (the seed's >= 80)", higher, 0.8, StatusWarning},
		{"higher: at critical", higher, 0.95, StatusCritical},
		{"higher: above critical", higher, 1.2, StatusCritical},
		{"higher: NaN is unknown", higher, math.NaN(), StatusUnknown},
		{"lower: above excellent", lower, 0.95, StatusExcellent},
		{"lower: good", lower, 0.7, StatusGood},
		{"lower: at warning", lower, 0.5, StatusWarning},
		{"lower: at critical", lower, 0.2, StatusCritical},
		{"lower: below critical", lower, 0, StatusCritical},
		{"no excellent level: best is good", onlyWarn, 1, StatusGood},
		{"no critical level: worst is warning", onlyWarn, 1e9, StatusWarning},
		{"none: good", Thresholds{}, 42, StatusGood},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.th.Evaluate(tt.v); got != tt.want {
				t.Errorf("Evaluate(%v) = %s, want %s", tt.v, got, tt.want)
			}
		})
	}
}

func TestThresholdsValidate(t *testing.T) {
	tests := []struct {
		name    string
		th      Thresholds
		wantErr string
	}{
		{"ordered higher", Thresholds{Excellent: Level(1), Warning: Level(2), Critical: Level(3)}, ""},
		{"ordered lower", Thresholds{Direction: LowerIsWorse, Excellent: Level(3), Warning: Level(2), Critical: Level(1)}, ""},
		{"warning above critical", Thresholds{Warning: Level(0.99), Critical: Level(0.95)}, "critical (0.95) must be above warning (0.99) for a higher_is_worse reading"},
		{"equal warning and critical", Thresholds{Warning: Level(1), Critical: Level(1)}, "critical (1) must be above warning (1)"},
		{"excellent beyond warning", Thresholds{Excellent: Level(0.9), Warning: Level(0.8)}, "warning (0.8) must be above excellent (0.9)"},
		{"lower reversed", Thresholds{Direction: LowerIsWorse, Warning: Level(1), Critical: Level(2)}, "critical (2) must be below warning (1) for a lower_is_worse reading"},
		{"NaN", Thresholds{Warning: Level(math.NaN())}, "warning must be a finite number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.th.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// statuses builds a list of n copies of each status in turn.
func statuses(pairs ...any) []Status {
	var out []Status
	for i := 0; i < len(pairs); i += 2 {
		for j := 0; j < pairs[i+1].(int); j++ {
			out = append(out, pairs[i].(Status))
		}
	}
	return out
}

// TestOverallSeedRules pins the seed's aggregation at its edges.
func TestOverallSeedRules(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		name       string
		in         []Status
		want       Status
		wantScore  float64
		scoreCheck bool
	}{
		{"one failing makes the whole failing", statuses(StatusExcellent, 9, StatusFailing, 1), StatusFailing, 0.9, true},
		{"failing wins over critical share", statuses(StatusCritical, 5, StatusFailing, 1), StatusFailing, 1.0 / 6, true},
		{"exactly 30% critical is critical", statuses(StatusExcellent, 7, StatusCritical, 3), StatusCritical, (7 + 0.6) / 10, true},
		{"exactly 30% critical of 20", statuses(StatusExcellent, 14, StatusCritical, 6), StatusCritical, 0, false},
		{"just under 30% critical is not critical", statuses(StatusExcellent, 71, StatusCritical, 29), StatusGood, (71 + 29*0.2) / 100, true},
		{"2 of 7 critical (28.6%) is not critical", statuses(StatusExcellent, 5, StatusCritical, 2), StatusGood, 0, false},
		{"exactly 50% warning is warning", statuses(StatusExcellent, 5, StatusWarning, 5), StatusWarning, 0.75, true},
		{"just under 50% warning is not warning", statuses(StatusExcellent, 51, StatusWarning, 49), StatusGood, (51 + 49*0.5) / 100, true},
		{"score exactly 0.9 is excellent", statuses(StatusExcellent, 1, StatusGood, 1), StatusExcellent, 0.9, true},
		{"score exactly 0.9 with a critical minority is excellent, as the seed says", statuses(StatusExcellent, 8, StatusGood, 1, StatusCritical, 1), StatusExcellent, 0.9, true},
		{"score just under 0.9 is good", statuses(StatusExcellent, 4, StatusGood, 5), StatusGood, (4 + 4) / 9.0, true},
		{"all good", statuses(StatusGood, 3), StatusGood, 0.8, true},
		{"all excellent", statuses(StatusExcellent, 3), StatusExcellent, 1, true},
		{"unknown is not counted", statuses(StatusExcellent, 1, StatusUnknown, 5), StatusExcellent, 1, true},
		{"unknown does not dilute the critical share", statuses(StatusExcellent, 7, StatusCritical, 3, StatusUnknown, 10), StatusCritical, 0, false},
		{"only unknown is unknown", statuses(StatusUnknown, 2), StatusUnknown, math.NaN(), true},
		{"nothing is unknown", nil, StatusUnknown, math.NaN(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, score := p.Overall(tt.in)
			if got != tt.want {
				t.Errorf("status = %s, want %s (score %v)", got, tt.want, score)
			}
			if tt.scoreCheck {
				if math.IsNaN(tt.wantScore) != math.IsNaN(score) || (!math.IsNaN(score) && math.Abs(score-tt.wantScore) > 1e-9) {
					t.Errorf("score = %v, want %v", score, tt.wantScore)
				}
			}
		})
	}
}

func TestOverallConfigurablePolicy(t *testing.T) {
	p := DefaultPolicy()
	p.Weights[StatusGood] = 0.95
	p.CriticalRatio = 0.5
	if got, score := p.Overall(statuses(StatusGood, 4)); got != StatusExcellent || score != 0.95 {
		t.Errorf("with good weighing 0.95: %s %v, want excellent 0.95", got, score)
	}
	if got, _ := p.Overall(statuses(StatusExcellent, 7, StatusCritical, 3)); got == StatusCritical {
		t.Errorf("30%% critical is critical although critical_ratio is 0.5")
	}
}

func TestPolicyValidate(t *testing.T) {
	p := DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("default policy: %v", err)
	}
	p.Weights[StatusWarning] = 1.5
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "warning weight 1.5") {
		t.Errorf("weight 1.5: %v", err)
	}
	p = DefaultPolicy()
	p.CriticalRatio = 0
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "critical_ratio") {
		t.Errorf("ratio 0: %v", err)
	}
}

func TestAssess(t *testing.T) {
	th := Thresholds{Excellent: Level(0.6), Warning: Level(0.8), Critical: Level(0.95)}
	t.Run("worst reading wins, issues and recommendations paired", func(t *testing.T) {
		c := Assess("system", "system", []Reading{
			{Metric: "memory_used_ratio", Value: 0.97, Unit: UnitRatio, Thresholds: th, Advice: "Free memory."},
			{Metric: "disk_used_ratio", Resource: "/", Value: 0.85, Unit: UnitRatio, Thresholds: th},
			{Metric: "memory_available_bytes", Value: 1 << 20, Unit: UnitBytes},
		}, nil)
		if c.Status != StatusCritical {
			t.Fatalf("status = %s, want critical", c.Status)
		}
		if len(c.Issues) != 2 || len(c.Recommendations) != 2 {
			t.Fatalf("issues %q recommendations %q, want 2 each", c.Issues, c.Recommendations)
		}
		if want := "system: memory_used_ratio is 97.0%, at or above the critical threshold 95.0%"; c.Issues[0] != want {
			t.Errorf("issue = %q, want %q", c.Issues[0], want)
		}
		if c.Recommendations[0] != "Free memory." {
			t.Errorf("recommendation = %q", c.Recommendations[0])
		}
		if !strings.Contains(c.Issues[1], "disk_used_ratio{/} is 85.0%") {
			t.Errorf("issue = %q", c.Issues[1])
		}
		if c.Readings[2].Judged() {
			t.Errorf("a reading without thresholds is judged")
		}
	})
	t.Run("check error is failing with the reason", func(t *testing.T) {
		c := Assess("api", "http", nil, errors.New("connection refused"))
		if c.Status != StatusFailing || c.Error != "connection refused" {
			t.Fatalf("got %s %q", c.Status, c.Error)
		}
		if len(c.Issues) != 1 || !strings.Contains(c.Issues[0], "connection refused") || len(c.Recommendations) != 1 {
			t.Errorf("issues %q recommendations %q", c.Issues, c.Recommendations)
		}
	})
	t.Run("a reading that failed is failing", func(t *testing.T) {
		c := Assess("system", "system", []Reading{
			{Metric: "memory_used_ratio", Value: 0.1, Thresholds: th},
			{Metric: "disk_used_ratio", Resource: "/nope", Value: math.NaN(), Error: "no such file or directory", Thresholds: th},
		}, nil)
		if c.Status != StatusFailing || c.Readings[1].Status != StatusFailing {
			t.Fatalf("status %s reading %s", c.Status, c.Readings[1].Status)
		}
		if !strings.Contains(c.Issues[0], "no such file or directory") {
			t.Errorf("issue %q", c.Issues[0])
		}
	})
	t.Run("unknown readings do not count", func(t *testing.T) {
		c := Assess("system", "system", []Reading{
			{Metric: "cpu_used_ratio", Value: math.NaN(), Thresholds: th},
			{Metric: "memory_used_ratio", Value: 0.1, Thresholds: th},
		}, nil)
		if c.Status != StatusExcellent {
			t.Fatalf("status %s, want excellent", c.Status)
		}
		only := Assess("system", "system", []Reading{{Metric: "cpu_used_ratio", Value: math.NaN(), Thresholds: th}}, nil)
		if only.Status != StatusUnknown {
			t.Fatalf("only unknown: %s", only.Status)
		}
	})
	t.Run("duplicate readings are dropped with an issue", func(t *testing.T) {
		c := Assess("x", "exec", []Reading{{Metric: "a", Value: 1}, {Metric: "a", Value: 2}, {Metric: "a", Resource: "r", Value: 3}}, nil)
		if len(c.Readings) != 2 || c.Readings[0].Value != 1 || len(c.Issues) != 1 || len(c.Recommendations) != 1 {
			t.Fatalf("readings %+v issues %q", c.Readings, c.Issues)
		}
	})
}

func TestNewSnapshotScoresComponents(t *testing.T) {
	s := NewSnapshot(testTime, DefaultPolicy(), []ComponentHealth{{Name: "a", Status: StatusWarning}, {Name: "b", Status: StatusUnknown}})
	if s.Components[0].Score != 0.5 || !math.IsNaN(s.Components[1].Score) {
		t.Errorf("component scores %v %v", s.Components[0].Score, s.Components[1].Score)
	}
	if s.Status != StatusWarning || s.Score != 0.5 {
		t.Errorf("overall %s %v", s.Status, s.Score)
	}
	if c := s.Counts(); c[StatusWarning] != 1 || c[StatusUnknown] != 1 {
		t.Errorf("counts %v", c)
	}
}

func TestStatusText(t *testing.T) {
	for _, s := range Statuses {
		var back Status
		if err := back.UnmarshalText([]byte(s.String())); err != nil || back != s {
			t.Errorf("%s round trip: %v %v", s, back, err)
		}
	}
	if _, err := ParseStatus("fine"); err == nil {
		t.Error("ParseStatus accepted an unknown name")
	}
	if Worst(StatusGood, StatusUnknown, StatusWarning) != StatusWarning || Worst(StatusUnknown) != StatusUnknown {
		t.Error("Worst")
	}
}

func TestFormatValue(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		unit string
		want string
	}{
		{0.855, UnitRatio, "85.5%"},
		{1536, UnitBytes, "1.5KiB"},
		{3 << 30, UnitBytes, "3.0GiB"},
		{0.0123, UnitSeconds, "12.3ms"},
		{90, UnitSeconds, "1m30s"},
		{math.NaN(), UnitRatio, "n/a"},
		{2.5, UnitNone, "2.5"},
	} {
		if got := FormatValue(tt.v, tt.unit); got != tt.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}

var testTime = mustTime("2026-01-02T03:04:05Z")
