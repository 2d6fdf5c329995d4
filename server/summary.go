package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/common/model"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/prediction"
)

// DefaultSummaryWindow is the window of /api/v1/summary without ?window=.
const DefaultSummaryWindow = time.Hour

// SummaryView is the JSON form of /api/v1/summary.
type SummaryView struct {
	Window string `json:"window"`
	prediction.Summary
}

// SummaryHandler serves the seed's health summary over ?window= (default
// 1h, a Prometheus duration such as 30m, 6h or 1d): average, minimum and
// maximum score, the share of time in each overall status, the trend, and
// each component's share of time in each status. A bad window is a 400.
// settings gives the fit of the trend; now is the clock (time.Now if nil).
func SummaryHandler(h *prediction.History, settings func() prediction.Settings, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		window := DefaultSummaryWindow
		if q := r.URL.Query().Get("window"); q != "" {
			d, err := model.ParseDuration(q)
			if err != nil || d <= 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf("bad window %q: want a positive duration such as 30m, 1h or 1d", q)})
				return
			}
			window = time.Duration(d)
		}
		view := SummaryView{Window: model.Duration(window).String(), Summary: prediction.Summarize(h, window, now(), settings())}
		body, err := json.MarshalIndent(view, "", "  ")
		if err != nil {
			http.Error(w, "rendering summary: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(append(body, '\n'))
	})
}

// PredictionView is the "predictions" part of /api/v1/health.
type PredictionView struct {
	// Warmup is true while the history is too short to predict.
	Warmup bool `json:"warmup"`
	// ScoreSlope is the overall score's trend per second; null without
	// enough evidence.
	ScoreSlope *float64 `json:"score_slope_per_second"`
	// ComponentSlopes are the components' score trends per second, for
	// those with a significant one.
	ComponentSlopes map[string]float64 `json:"component_score_slopes_per_second"`
	// Issues are the predicted issues, each with a sentence.
	Issues []prediction.Issue `json:"issues"`
	// Breaches are the predicted threshold crossings at any distance.
	Breaches []BreachView `json:"breaches"`
}

// BreachView is one predicted threshold crossing.
type BreachView struct {
	Component string    `json:"component"`
	Metric    string    `json:"metric"`
	Resource  string    `json:"resource,omitempty"`
	Level     string    `json:"level"`
	Timestamp time.Time `json:"timestamp"`
}

// NewPredictionView renders an evaluation's predictions.
func NewPredictionView(p *prediction.Result) PredictionView {
	v := PredictionView{Warmup: true, ComponentSlopes: map[string]float64{}, Issues: []prediction.Issue{}, Breaches: []BreachView{}}
	if p == nil {
		return v
	}
	v.Warmup = p.Warmup
	if s, ok := p.ScoreSlope(); ok {
		v.ScoreSlope = &s
	}
	for _, c := range p.Components {
		if c.Trend.Significant {
			v.ComponentSlopes[c.Component] = c.Trend.Slope
		}
	}
	v.Issues = append(v.Issues, p.Issues...)
	for _, s := range p.Series {
		for _, b := range s.Breaches {
			v.Breaches = append(v.Breaches, BreachView{Component: s.Component, Metric: s.Metric, Resource: s.Resource, Level: b.Level.String(), Timestamp: b.At.UTC()})
		}
	}
	return v
}

// ExtendHealthWithPredictions adds "predictions" to the health view; it is
// the ExtendHealth of Options.
func ExtendHealthWithPredictions(ev *collector.Evaluation, v *HealthView) {
	if v.Extra == nil {
		v.Extra = map[string]any{}
	}
	v.Extra["predictions"] = NewPredictionView(ev.Prediction)
}
