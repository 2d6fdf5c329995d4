package server

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/prediction"
	"github.com/healthmon/healthmon/scoring"
)

var now0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// history of two hours, one snapshot a minute: component a is excellent
// throughout; b is warning during the last 15 minutes.
func summaryHistory() *prediction.History {
	h := prediction.NewHistory(1000)
	p := scoring.DefaultPolicy()
	for i := 120; i >= 0; i-- {
		at := now0.Add(-time.Duration(i) * time.Minute)
		b := scoring.StatusExcellent
		if i < 15 {
			b = scoring.StatusWarning
		}
		h.Add(scoring.NewSnapshot(at, p, []scoring.ComponentHealth{{Name: "a", Status: scoring.StatusExcellent}, {Name: "b", Status: b}}))
	}
	return h
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestSummaryHandler(t *testing.T) {
	srv := httptest.NewServer(SummaryHandler(summaryHistory(), prediction.DefaultSettings, func() time.Time { return now0 }))
	defer srv.Close()

	tests := []struct {
		query     string
		snapshots int
		warning   float64 // share of time warning overall
		avg       float64
	}{
		{"", 61, 15.0 / 61, (46*1.0 + 15*0.75) / 61},
		{"?window=30m", 31, 15.0 / 31, (16*1.0 + 15*0.75) / 31},
		{"?window=1d", 121, 15.0 / 121, (106*1.0 + 15*0.75) / 121},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, body := get(t, srv.URL+tt.query)
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			var v struct {
				Window    string `json:"window"`
				Snapshots int    `json:"snapshots"`
				Score     struct {
					Average, Min, Max float64
				} `json:"score"`
				Status     map[string]float64            `json:"status_distribution"`
				Direction  string                        `json:"trend_direction"`
				Trend      map[string]any                `json:"trend"`
				Components map[string]map[string]float64 `json:"components"`
			}
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatal(err)
			}
			if v.Snapshots != tt.snapshots || math.Abs(v.Status["warning"]-tt.warning) > 1e-9 || math.Abs(v.Score.Average-tt.avg) > 1e-9 {
				t.Fatalf("summary %s", body)
			}
			if v.Score.Min != 0.75 || v.Score.Max != 1 || v.Trend == nil || v.Direction == "" {
				t.Fatalf("summary %s", body)
			}
			if v.Components["a"]["excellent"] != 1 || math.Abs(v.Components["b"]["warning"]-tt.warning) > 1e-9 {
				t.Fatalf("components %v", v.Components)
			}
		})
	}
	for _, bad := range []string{"abc", "-1h", "0s", "1x"} {
		code, body := get(t, srv.URL+"?window="+bad)
		if code != http.StatusBadRequest || !strings.Contains(string(body), "bad window") {
			t.Errorf("window %q: %d %s", bad, code, body)
		}
	}
}

func TestHealthPredictions(t *testing.T) {
	h := prediction.NewHistory(100)
	p := scoring.DefaultPolicy()
	th := scoring.Thresholds{Warning: scoring.Level(0.8), Critical: scoring.Level(0.95)}
	var ev *collector.Evaluation
	for i := range 40 {
		r := []scoring.Reading{{Metric: "memory_used_ratio", Value: 0.5 + 0.005*float64(i), Thresholds: th}}
		snap := scoring.NewSnapshot(now0.Add(time.Duration(i)*time.Minute), p, []scoring.ComponentHealth{scoring.Assess("sys", "system", r, nil)})
		h.Add(snap)
		ev = &collector.Evaluation{Snapshot: snap, Prediction: prediction.Predict(h, snap, prediction.DefaultSettings(), p)}
	}
	srv := httptest.NewServer(HealthHandler(func() *collector.Evaluation { return ev }, ExtendHealthWithPredictions))
	defer srv.Close()
	code, body := get(t, srv.URL)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	var v struct {
		Predictions struct {
			Warmup   bool               `json:"warmup"`
			Slopes   map[string]float64 `json:"component_score_slopes_per_second"`
			Issues   []prediction.Issue `json:"issues"`
			Breaches []BreachView       `json:"breaches"`
		} `json:"predictions"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	pr := v.Predictions
	// The component stays good throughout: its score has no trend.
	if pr.Warmup || len(pr.Breaches) != 2 || len(pr.Issues) != 1 || pr.Slopes == nil || len(pr.Slopes) != 0 {
		t.Fatalf("predictions %s", body)
	}
	i := pr.Issues[0]
	// 0.5 + 0.005/min reaches 0.8 at minute 60, 21 minutes after the last.
	if i.Kind != "threshold_breach" || i.Level != "warning" || i.BreachAt == nil || i.BreachAt.Sub(now0.Add(time.Hour)).Abs() > time.Second ||
		!strings.Contains(i.Message, "reaches its warning threshold") {
		t.Fatalf("issue %+v", i)
	}
}
