package config

import (
	"fmt"
	"math"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/healthmon/healthmon/prediction"
	"github.com/healthmon/healthmon/scoring"
)

// Prediction is the `prediction:` section: trends, breach prediction,
// spikes and status hysteresis. Every field is optional.
type Prediction struct {
	// TrendWindow is how far back trends are fitted (the seed's 30 min).
	TrendWindow model.Duration `yaml:"trend_window"`
	// Horizon is how far ahead a predicted breach or degradation is an
	// issue.
	Horizon model.Duration `yaml:"horizon"`
	// MinPoints is the fewest points for a trend; they must also span half
	// of the trend window.
	MinPoints int `yaml:"min_points"`
	// Fit is theil_sen (robust, the default) or ols.
	Fit string `yaml:"fit"`
	// Confidence is the level of the slope's interval, which must exclude
	// zero.
	Confidence float64 `yaml:"confidence"`
	// CurrentPoints is how many newest points give the robust current
	// level (their median).
	CurrentPoints int                  `yaml:"current_points"`
	Spike         SpikeConfig          `yaml:"spike"`
	Load          LoadConfig           `yaml:"load"`
	Hysteresis    HysteresisConfig     `yaml:"hysteresis"`
	settings      *prediction.Settings // set when decoded
}

// SpikeConfig says what a spike is.
type SpikeConfig struct {
	// MADFactor is how many robust standard deviations above the window's
	// median the latest reading must be.
	MADFactor float64 `yaml:"mad_factor"`
	// Metrics maps a metric name to the spike kind it raises and the
	// least absolute rise, in the reading's units.
	Metrics map[string]SpikeMetric `yaml:"metrics"`
}

// SpikeMetric is one metric watched for spikes.
type SpikeMetric struct {
	Kind     string  `yaml:"kind"`
	MinDelta float64 `yaml:"min_delta"`
}

// LoadConfig configures load_increase.
type LoadConfig struct {
	// Metric is the load metric (load_per_core).
	Metric string `yaml:"metric"`
	// MinRise is the least rise over the trend window as a share of the
	// current level.
	MinRise float64 `yaml:"min_rise"`
}

// HysteresisConfig keeps statuses from flapping at a threshold.
type HysteresisConfig struct {
	// Margin: leaving a worse status needs the reading back past the
	// threshold by this share of the threshold's value.
	Margin float64 `yaml:"margin"`
	// Count: or this many consecutive evaluations on the better side; 0
	// turns the count off.
	Count int `yaml:"count"`
}

// DefaultHysteresis is the hysteresis when the section does not set it.
var DefaultHysteresis = HysteresisConfig{Margin: 0.02, Count: 3}

func defaultPrediction() Prediction {
	d := prediction.DefaultSettings()
	p := Prediction{
		TrendWindow:   model.Duration(d.TrendWindow),
		Horizon:       model.Duration(d.Horizon),
		MinPoints:     d.MinPoints,
		Fit:           d.Fit.String(),
		Confidence:    d.Confidence,
		CurrentPoints: d.CurrentPoints,
		Spike:         SpikeConfig{MADFactor: d.SpikeMADs, Metrics: map[string]SpikeMetric{}},
		Load:          LoadConfig{Metric: d.LoadMetric, MinRise: d.LoadMinRise},
		Hysteresis:    DefaultHysteresis,
	}
	for m, s := range d.Spikes {
		p.Spike.Metrics[m] = SpikeMetric{Kind: s.Kind, MinDelta: s.MinDelta}
	}
	return p
}

// UnmarshalYAML applies the defaults and validates, naming the field and
// its line.
func (p *Prediction) UnmarshalYAML(node *yaml.Node) error {
	*p = defaultPrediction()
	// Configured spike metrics replace the defaults rather than merge.
	defSpikes := p.Spike.Metrics
	p.Spike.Metrics = nil
	type plain Prediction
	if err := node.Decode((*plain)(p)); err != nil {
		return err
	}
	if p.Spike.Metrics == nil {
		p.Spike.Metrics = defSpikes
	}
	fit, err := prediction.ParseFit(p.Fit)
	if err != nil {
		return fieldError(node, "fit", "prediction.fit", "%s", err)
	}
	sub := func(parent string) *yaml.Node {
		if n := valueNode(node, parent); n != nil {
			return n
		}
		return node
	}
	switch {
	case p.TrendWindow <= 0:
		return fieldError(node, "trend_window", "prediction.trend_window", "must be greater than zero, got %s", p.TrendWindow)
	case p.Horizon <= 0:
		return fieldError(node, "horizon", "prediction.horizon", "must be greater than zero, got %s", p.Horizon)
	case p.MinPoints < 3:
		return fieldError(node, "min_points", "prediction.min_points", "must be at least 3, got %d", p.MinPoints)
	case !(p.Confidence >= 0.5 && p.Confidence < 1):
		return fieldError(node, "confidence", "prediction.confidence", "must be within [0.5, 1), got %g", p.Confidence)
	case p.CurrentPoints < 1:
		return fieldError(node, "current_points", "prediction.current_points", "must be at least 1, got %d", p.CurrentPoints)
	case !(p.Spike.MADFactor > 0) || math.IsInf(p.Spike.MADFactor, 0):
		return fieldError(sub("spike"), "mad_factor", "prediction.spike.mad_factor", "must be a positive number, got %g", p.Spike.MADFactor)
	case !(p.Load.MinRise >= 0) || math.IsInf(p.Load.MinRise, 0):
		return fieldError(sub("load"), "min_rise", "prediction.load.min_rise", "must not be negative, got %g", p.Load.MinRise)
	}
	for m, s := range p.Spike.Metrics {
		where := "prediction.spike.metrics." + m
		line := node
		if n := valueNode(valueNode(sub("spike"), "metrics"), m); n != nil {
			line = n
		}
		if s.Kind == "" {
			return fieldError(line, "kind", where+".kind", "is required (e.g. memory_spike)")
		}
		if !(s.MinDelta >= 0) || math.IsInf(s.MinDelta, 0) {
			return fieldError(line, "min_delta", where+".min_delta", "must not be negative, got %g", s.MinDelta)
		}
	}
	if err := p.Hysteresis.scoring().Validate(); err != nil {
		return fieldError(sub("hysteresis"), "margin", "prediction.hysteresis", "%s", err)
	}
	s := prediction.Settings{
		TrendWindow:   time.Duration(p.TrendWindow),
		Horizon:       time.Duration(p.Horizon),
		MinPoints:     p.MinPoints,
		Fit:           fit,
		Confidence:    p.Confidence,
		CurrentPoints: p.CurrentPoints,
		SpikeMADs:     p.Spike.MADFactor,
		Spikes:        map[string]prediction.Spike{},
		LoadMetric:    p.Load.Metric,
		LoadMinRise:   p.Load.MinRise,
	}
	for m, sp := range p.Spike.Metrics {
		s.Spikes[m] = prediction.Spike{Kind: sp.Kind, MinDelta: sp.MinDelta}
	}
	p.settings = &s
	return nil
}

func (h HysteresisConfig) scoring() scoring.Hysteresis {
	return scoring.Hysteresis{Margin: h.Margin, Count: h.Count}
}

// Settings returns the prediction settings; the defaults when the section
// is absent.
func (p Prediction) Settings() prediction.Settings {
	if p.settings == nil {
		return prediction.DefaultSettings()
	}
	return *p.settings
}

// StatusHysteresis returns the hysteresis of statuses; the default when
// the section is absent.
func (p Prediction) StatusHysteresis() scoring.Hysteresis {
	if p.settings == nil {
		return DefaultHysteresis.scoring()
	}
	return p.Hysteresis.scoring()
}

// String describes the settings in one line, for logs.
func (p Prediction) String() string {
	s := p.Settings()
	return fmt.Sprintf("trend_window=%s horizon=%s fit=%s", s.TrendWindow, s.Horizon, s.Fit)
}
