package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/healthmon/healthmon/prediction"
	"github.com/healthmon/healthmon/scoring"
)

const oneComponent = "components: [{name: s, kind: system}]\n"

func TestPredictionDefaults(t *testing.T) {
	cfg, err := Parse([]byte(oneComponent))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Prediction.Settings()
	if s.TrendWindow != 30*time.Minute || s.Horizon != time.Hour || s.Fit != prediction.TheilSen || s.MinPoints != 10 || len(s.Spikes) != 2 {
		t.Fatalf("defaults %+v", s)
	}
	if h := cfg.Prediction.StatusHysteresis(); h != (scoring.Hysteresis{Margin: 0.02, Count: 3}) {
		t.Fatalf("hysteresis %+v", h)
	}
	// An empty section is the defaults too.
	cfg, err = Parse([]byte("prediction: {}\n" + oneComponent))
	if err != nil {
		t.Fatal(err)
	}
	if s2 := cfg.Prediction.Settings(); s2.TrendWindow != s.TrendWindow || len(s2.Spikes) != 2 || s2.LoadMetric != "load_per_core" {
		t.Fatalf("empty section %+v", s2)
	}
}

func TestPredictionSection(t *testing.T) {
	cfg, err := Parse([]byte(`prediction:
  trend_window: 1h
  horizon: 2h
  min_points: 20
  fit: ols
  confidence: 0.99
  current_points: 3
  spike:
    mad_factor: 4
    metrics:
      gpu_used_ratio: {kind: gpu_spike, min_delta: 0.2}
  load: {metric: load1, min_rise: 0.5}
  hysteresis: {margin: 0.05, count: 0}
` + oneComponent))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Prediction.Settings()
	want := prediction.Settings{TrendWindow: time.Hour, Horizon: 2 * time.Hour, MinPoints: 20, Fit: prediction.OLS, Confidence: 0.99,
		CurrentPoints: 3, SpikeMADs: 4, LoadMetric: "load1", LoadMinRise: 0.5}
	spikes := s.Spikes
	s.Spikes = nil
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("settings %+v, want %+v", s, want)
	}
	if len(spikes) != 1 || spikes["gpu_used_ratio"] != (prediction.Spike{Kind: "gpu_spike", MinDelta: 0.2}) {
		t.Fatalf("configured spike metrics do not replace the defaults: %v", spikes)
	}
	if h := cfg.Prediction.StatusHysteresis(); h != (scoring.Hysteresis{Margin: 0.05}) {
		t.Fatalf("hysteresis %+v", h)
	}
}

func TestPredictionErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"bad fit", "prediction:\n  fit: linear\n", `line 2: field prediction.fit: unknown fit "linear"`},
		{"zero window", "prediction:\n  trend_window: 0s\n", "line 2: field prediction.trend_window: must be greater than zero"},
		{"negative horizon", "prediction:\n  horizon: -1h\n", "line 2: field prediction.horizon"},
		{"few points", "prediction:\n\n  min_points: 2\n", "line 3: field prediction.min_points: must be at least 3"},
		{"confidence", "prediction:\n  confidence: 1.5\n", "line 2: field prediction.confidence"},
		{"mad factor", "prediction:\n  spike:\n    mad_factor: 0\n", "line 3: field prediction.spike.mad_factor"},
		{"spike kind", "prediction:\n  spike:\n    metrics:\n      x: {min_delta: 1}\n", "line 4: field prediction.spike.metrics.x.kind: is required"},
		{"hysteresis", "prediction:\n  hysteresis:\n    margin: 2\n", "line 3: field prediction.hysteresis: margin 2 must be within [0, 1)"},
		{"unknown field", "prediction:\n  windw: 1h\n", `line 2: field prediction.windw: unknown field "windw"`},
		{"unknown nested field", "prediction:\n  hysteresis:\n    cnt: 1\n", "line 3: field prediction.hysteresis.cnt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml + oneComponent))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}
