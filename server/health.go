// Package server holds healthmon's HTTP API: the JSON views of snapshots
// for other systems, and the operational endpoints.
package server

import (
	"encoding/json"
	"math"
	"net/http"
	"time"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/scoring"
)

// HealthView is the JSON form of an evaluation served at /api/v1/health.
type HealthView struct {
	Status            scoring.Status  `json:"status"`
	Score             *float64        `json:"score"`
	Timestamp         time.Time       `json:"timestamp"`
	EvaluationSeconds float64         `json:"evaluation_duration_seconds"`
	Counts            map[string]int  `json:"status_counts"`
	Components        []ComponentView `json:"components"`
	// Extra holds what later stages add (predictions), by key.
	Extra map[string]any `json:"-"`
}

// ComponentView is the JSON form of a component's health.
type ComponentView struct {
	Name            string         `json:"name"`
	Kind            string         `json:"kind"`
	Status          scoring.Status `json:"status"`
	Score           *float64       `json:"score"`
	CheckSuccess    bool           `json:"check_success"`
	Error           string         `json:"error,omitempty"`
	CheckDuration   float64        `json:"check_duration_seconds"`
	CheckedAt       time.Time      `json:"checked_at"`
	LastSuccess     *time.Time     `json:"last_success,omitempty"`
	Readings        []ReadingView  `json:"readings"`
	Issues          []string       `json:"issues"`
	Recommendations []string       `json:"recommendations"`
}

// ReadingView is the JSON form of a reading; a value not yet known is null.
type ReadingView struct {
	Metric     string              `json:"metric"`
	Resource   string              `json:"resource,omitempty"`
	Value      *float64            `json:"value"`
	Unit       string              `json:"unit,omitempty"`
	Status     *scoring.Status     `json:"status,omitempty"`
	Thresholds *scoring.Thresholds `json:"thresholds,omitempty"`
	Error      string              `json:"error,omitempty"`
}

// finite returns a pointer to v, or nil for NaN and infinities, which JSON
// cannot carry.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// NewHealthView renders an evaluation.
func NewHealthView(ev *collector.Evaluation) HealthView {
	snap := ev.Snapshot
	v := HealthView{
		Status:            snap.Status,
		Score:             finite(snap.Score),
		Timestamp:         snap.Time.UTC(),
		EvaluationSeconds: snap.Duration.Seconds(),
		Counts:            map[string]int{},
		Components:        make([]ComponentView, 0, len(snap.Components)),
	}
	for s, n := range snap.Counts() {
		v.Counts[s.String()] = n
	}
	for _, c := range snap.Components {
		cv := ComponentView{
			Name: c.Name, Kind: c.Kind, Status: c.Status, Score: finite(c.Score),
			CheckSuccess: c.Error == "", Error: c.Error,
			CheckDuration: c.Duration.Seconds(), CheckedAt: c.CheckedAt.UTC(),
			Readings: make([]ReadingView, 0, len(c.Readings)),
			Issues:   c.Issues, Recommendations: c.Recommendations,
		}
		if t, ok := ev.LastSuccess[c.Name]; ok {
			t = t.UTC()
			cv.LastSuccess = &t
		}
		for _, r := range c.Readings {
			rv := ReadingView{Metric: r.Metric, Resource: r.Resource, Value: finite(r.Value), Unit: r.Unit, Error: r.Error}
			if r.Judged() {
				st := r.Status
				rv.Status = &st
			}
			if r.Thresholds.Defined() {
				t := r.Thresholds
				rv.Thresholds = &t
			}
			cv.Readings = append(cv.Readings, rv)
		}
		v.Components = append(v.Components, cv)
	}
	return v
}

// MarshalJSON flattens Extra into the object.
func (v HealthView) MarshalJSON() ([]byte, error) {
	type plain HealthView
	base, err := json.Marshal(plain(v))
	if err != nil || len(v.Extra) == 0 {
		return base, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(base, &m); err != nil {
		return nil, err
	}
	for k, x := range v.Extra {
		raw, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		m[k] = raw
	}
	return json.Marshal(m)
}

// Unhealthy reports whether a status should make the health endpoint
// answer 503: critical or failing, as a load balancer expects.
func Unhealthy(s scoring.Status) bool {
	return s == scoring.StatusCritical || s == scoring.StatusFailing
}

// HealthHandler serves the latest evaluation as JSON: 200, or 503 when the
// overall status is critical or failing, or before the first evaluation.
func HealthHandler(latest func() *collector.Evaluation, extend func(*collector.Evaluation, *HealthView)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev := latest()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if ev == nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]string{"status": "unknown", "error": "no evaluation has completed yet"})
			return
		}
		view := NewHealthView(ev)
		if extend != nil {
			extend(ev, &view)
		}
		body, err := json.MarshalIndent(view, "", "  ")
		if err != nil {
			http.Error(w, "rendering health: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if Unhealthy(ev.Snapshot.Status) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write(append(body, '\n'))
	})
}
