package prediction

import (
	"math"
	"sort"
	"time"
)

// Summary is the seed's health summary over a window: score statistics,
// the share of time in each overall status, the trend, and per component
// the share of time in each status.
type Summary struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Snapshots int       `json:"snapshots"`
	// Score statistics; nil when no snapshot had a score.
	Score *ScoreStats `json:"score"`
	// StatusShare is the share of time in each overall status, 0..1.
	StatusShare map[string]float64 `json:"status_distribution"`
	// Trend is the score's trend over the window; Direction says it in a
	// word: improving, degrading, or stable when not significant.
	Trend     Trend  `json:"trend"`
	Direction string `json:"trend_direction"`
	// Components maps each component to its share of time in each status.
	Components map[string]map[string]float64 `json:"components"`
}

// ScoreStats are the average (over snapshots), minimum and maximum score.
type ScoreStats struct {
	Average float64 `json:"average"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
}

// Summarize summarises the snapshots of the window ending at now. Each
// snapshot stands for the time until the next one, capped at twice the
// median gap so that a stop of the process does not count as time spent
// in the status before it; the newest stands for the median gap.
func Summarize(h *History, window time.Duration, now time.Time, s Settings) Summary {
	w := h.Window(now.Add(-window))
	sum := Summary{From: now.Add(-window), To: now, Snapshots: w.Len(), StatusShare: map[string]float64{},
		Components: map[string]map[string]float64{}, Direction: "stable"}
	if w.Len() == 0 {
		return sum
	}
	weights := timeWeights(w.Times)
	var total float64
	for _, x := range weights {
		total += x
	}
	var stats ScoreStats
	scored := 0
	t, v := []float64{}, []float64{}
	for i, sc := range w.Score {
		sum.StatusShare[w.Status[i].String()] += weights[i] / total
		if math.IsNaN(sc) {
			continue
		}
		if scored == 0 || sc < stats.Min {
			stats.Min = sc
		}
		if scored == 0 || sc > stats.Max {
			stats.Max = sc
		}
		stats.Average += sc
		scored++
		t, v = append(t, w.Times[i].Sub(w.Times[0]).Seconds()), append(v, sc)
	}
	if scored > 0 {
		stats.Average /= float64(scored)
		sum.Score = &stats
	}
	if len(t) >= 3 {
		f := newFitter(s.Fit, s.Confidence)
		f.white = true // a score is a step function: its steps are the signal
		sum.Trend = f.fit(t, v)
		if sum.Trend.Significant {
			sum.Direction = "improving"
			if sum.Trend.Slope < 0 {
				sum.Direction = "degrading"
			}
		}
	}
	for name, cw := range w.Components {
		var present float64
		shares := map[string]float64{}
		for i := range cw.Status {
			if cw.Present[i] {
				present += weights[i]
				shares[cw.Status[i].String()] += weights[i]
			}
		}
		for st := range shares {
			shares[st] /= present
		}
		sum.Components[name] = shares
	}
	return sum
}

// timeWeights returns how long each snapshot stands for.
func timeWeights(times []time.Time) []float64 {
	n := len(times)
	w := make([]float64, n)
	if n == 1 {
		w[0] = 1
		return w
	}
	gaps := make([]float64, n-1)
	for i := range gaps {
		gaps[i] = times[i+1].Sub(times[i]).Seconds()
	}
	sorted := append([]float64(nil), gaps...)
	sort.Float64s(sorted)
	med := sorted[len(sorted)/2]
	if med <= 0 {
		med = 1
	}
	for i, g := range gaps {
		w[i] = math.Min(g, 2*med)
	}
	w[n-1] = med
	return w
}
