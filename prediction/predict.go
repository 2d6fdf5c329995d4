package prediction

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/healthmon/healthmon/scoring"
)

// The kinds of predicted issue.
const (
	// KindDegradation: the overall score's trend reaches a worse overall
	// status within the horizon.
	KindDegradation = "degradation"
	// KindMemorySpike and KindCPUSpike: the latest reading is far above the
	// window's median, in robust units and by an absolute margin.
	KindMemorySpike = "memory_spike"
	KindCPUSpike    = "cpu_spike"
	// KindLoadIncrease: a significant rising load trend while the load per
	// core is above its excellent level.
	KindLoadIncrease = "load_increase"
	// KindThresholdBreach: a reading's trend crosses its warning or
	// critical level within the horizon.
	KindThresholdBreach = "threshold_breach"
)

// OverallMetric is the metric label of predictions about the overall score,
// whose component label is empty.
const OverallMetric = "overall_score"

// Spike says which issue a sudden rise of a metric is, and how large a rise
// counts.
type Spike struct {
	// Kind is the issue's kind, e.g. memory_spike.
	Kind string
	// MinDelta is the least rise over the window's median, in the reading's
	// units, that counts (a ratio's 0.1 is 10 points).
	MinDelta float64
}

// Settings are the knobs of prediction.
type Settings struct {
	// TrendWindow is how far back trends are fitted (the seed's 30 min).
	TrendWindow time.Duration
	// Horizon is how far ahead a breach or a degradation is an issue.
	Horizon time.Duration
	// MinPoints is the fewest points a trend needs; they must also span at
	// least half of TrendWindow. Fewer: warm-up, no prediction.
	MinPoints int
	// Fit is the fitting method.
	Fit Fit
	// Confidence is the level of the slope's interval, which must exclude
	// zero for a trend to count.
	Confidence float64
	// CurrentPoints is how many of the newest points give the robust
	// current level (their median) that breach times start from.
	CurrentPoints int
	// SpikeMADs is how many robust standard deviations (1.4826 x the
	// median absolute deviation) above the window's median a spike is.
	SpikeMADs float64
	// Spikes maps a metric name to the spike it can raise.
	Spikes map[string]Spike
	// LoadMetric is the metric of load_increase (load_per_core).
	LoadMetric string
	// LoadMinRise is the least rise over the trend window, as a share of
	// the current level, for load_increase.
	LoadMinRise float64
}

// DefaultSettings returns the defaults.
func DefaultSettings() Settings {
	return Settings{
		TrendWindow:   30 * time.Minute,
		Horizon:       time.Hour,
		MinPoints:     10,
		Fit:           TheilSen,
		Confidence:    0.95,
		CurrentPoints: 10,
		SpikeMADs:     6,
		Spikes: map[string]Spike{
			"memory_used_ratio": {Kind: KindMemorySpike, MinDelta: 0.10},
			"cpu_used_ratio":    {Kind: KindCPUSpike, MinDelta: 0.25},
		},
		LoadMetric:  "load_per_core",
		LoadMinRise: 0.10,
	}
}

// Breach is a predicted crossing of a threshold.
type Breach struct {
	Level scoring.Status `json:"level"`
	// At is when the trend gets there.
	At time.Time `json:"timestamp"`
	// Latest is when it gets there at the slow end of the slope's
	// confidence interval. A threshold_breach is raised when even this is
	// within the horizon, so a wide interval does not cry wolf.
	Latest time.Time `json:"latest_timestamp"`
}

// SeriesPrediction is what was derived from one reading's series.
type SeriesPrediction struct {
	Component string `json:"component"`
	Metric    string `json:"metric"`
	Resource  string `json:"resource,omitempty"`
	Trend     Trend  `json:"trend"`
	// Current is the robust current level: the median of the newest
	// points.
	Current float64 `json:"current"`
	// Breaches are the predicted crossings of the warning and critical
	// levels not yet reached, when the trend heads there; at any distance.
	Breaches []Breach `json:"breaches,omitempty"`
}

// ComponentTrend is the trend of one component's score.
type ComponentTrend struct {
	Component string `json:"component"`
	Trend     Trend  `json:"trend"`
}

// Issue is a predicted issue, with a sentence that explains it.
type Issue struct {
	Kind      string `json:"kind"`
	Component string `json:"component"`
	Metric    string `json:"metric"`
	Resource  string `json:"resource,omitempty"`
	// Level is the threshold or status a breach or degradation reaches.
	Level string `json:"level,omitempty"`
	// BreachAt is when the breach or degradation is predicted.
	BreachAt *time.Time `json:"breach_timestamp,omitempty"`
	Message  string     `json:"message"`
}

// Result is everything one prediction step derived.
type Result struct {
	Time time.Time `json:"timestamp"`
	// Warmup is true while the history is too short for any trend.
	Warmup bool `json:"warmup"`
	// Points is how many snapshots the trend window holds.
	Points int `json:"points"`
	// Score is the overall score's trend.
	Score      Trend              `json:"score_trend"`
	Components []ComponentTrend   `json:"component_trends"`
	Series     []SeriesPrediction `json:"series"`
	Issues     []Issue            `json:"issues"`
}

// ScoreSlope returns the overall score's slope per second and true when
// it is significant.
func (r *Result) ScoreSlope() (float64, bool) {
	if r == nil || !r.Score.Significant {
		return 0, false
	}
	return r.Score.Slope, true
}

// Predict derives trends, breach times and predicted issues from the
// history's trend window ending at snap, the newest snapshot, which must be
// in h already: its readings give the thresholds.
func Predict(h *History, snap scoring.Snapshot, s Settings, p scoring.Policy) *Result {
	return predictWindow(h.Window(snap.Time.Add(-s.TrendWindow)), snap, s, p)
}

func predictWindow(w Window, snap scoring.Snapshot, s Settings, p scoring.Policy) *Result {
	res := &Result{Time: snap.Time, Points: w.Len(), Components: []ComponentTrend{}, Series: []SeriesPrediction{}, Issues: []Issue{}}
	if s.MinPoints < 3 {
		s.MinPoints = 3
	}
	if s.CurrentPoints < 1 {
		s.CurrentPoints = 1
	}
	if w.Len() < s.MinPoints || w.Times[w.Len()-1].Sub(w.Times[0]) < s.TrendWindow/2 {
		res.Warmup = true
		return res
	}
	f := newFitter(s.Fit, s.Confidence)
	scores := newFitter(s.Fit, s.Confidence)
	scores.white = true
	origin := w.Times[0]
	secs := make([]float64, w.Len())
	for i, t := range w.Times {
		secs[i] = t.Sub(origin).Seconds()
	}
	now := snap.Time
	// usable returns the points of a series that have values, or false
	// when they are too few or span too little of the window.
	usable := func(vs []float64) ([]float64, []float64, bool) {
		t, v := make([]float64, 0, len(vs)), make([]float64, 0, len(vs))
		for i, x := range vs {
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				t, v = append(t, secs[i]), append(v, x)
			}
		}
		ok := len(t) >= s.MinPoints && t[len(t)-1]-t[0] >= (s.TrendWindow/2).Seconds()
		return t, v, ok
	}
	at := func(sec float64) time.Time { return origin.Add(time.Duration(sec * float64(time.Second))) }

	if t, v, ok := usable(w.Score); ok {
		res.Score = scores.fit(t, v)
		if iss, ok := degradation(t, v, res.Score, now, at, s, p); ok {
			res.Issues = append(res.Issues, iss)
		}
	}
	names := make([]string, 0, len(w.Components))
	for name := range w.Components {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if t, v, ok := usable(w.Components[name].Score); ok {
			res.Components = append(res.Components, ComponentTrend{Component: name, Trend: scores.fit(t, v)})
		}
	}

	for _, c := range snap.Components {
		for _, r := range c.Readings {
			key := SeriesKey{Component: c.Name, Metric: r.Metric, Resource: r.Resource}
			t, v, ok := usable(w.Series[key])
			if !ok || r.Error != "" || math.IsNaN(r.Value) {
				continue
			}
			sp := SeriesPrediction{Component: c.Name, Metric: r.Metric, Resource: r.Resource}
			worse := 1.0
			if r.Thresholds.Direction == scoring.LowerIsWorse {
				worse = -1
			}
			// A spike is judged against the window before it, and left out
			// of the trend: one burst must not bend it.
			if spike, ok := s.Spikes[r.Metric]; ok && len(v) > s.MinPoints {
				base := v[:len(v)-1]
				med := median(base)
				dev := (v[len(v)-1] - med) * worse
				sd := mad(base, med)
				if dev >= spike.MinDelta && (sd == 0 || dev/sd >= s.SpikeMADs) {
					spread := "the window was flat"
					if sd > 0 {
						spread = fmt.Sprintf("%.0f robust standard deviations", dev/sd)
					}
					res.Issues = append(res.Issues, Issue{Kind: spike.Kind, Component: c.Name, Metric: r.Metric, Resource: r.Resource,
						Message: fmt.Sprintf("%s: %s jumped to %s, %s from the last %s's median of %s (%s)",
							c.Name, r.ID(), scoring.FormatValue(v[len(v)-1], r.Unit), scoring.FormatValue(dev, r.Unit), s.TrendWindow, scoring.FormatValue(med, r.Unit), spread)})
					t, v = t[:len(t)-1], v[:len(v)-1]
				}
			}
			sp.Trend = f.fit(t, v)
			var anchor float64
			sp.Current, anchor = currentLevel(t, v, s.CurrentPoints, sp.Trend)
			if sp.Trend.Significant && sp.Trend.Slope*worse > 0 {
				for _, lvl := range []scoring.Status{scoring.StatusWarning, scoring.StatusCritical} {
					level, ok := r.Thresholds.LevelOf(lvl)
					if !ok || (level-sp.Current)*worse <= 0 {
						continue // no such level, or already reached
					}
					when := at(anchor + (level-sp.Current)/sp.Trend.Slope)
					latest := at(anchor + (level-sp.Current)/slowEnd(sp.Trend))
					if when.Before(now) {
						when = now
					}
					if latest.Before(when) {
						latest = when
					}
					sp.Breaches = append(sp.Breaches, Breach{Level: lvl, At: when, Latest: latest})
				}
			}
			for _, b := range sp.Breaches {
				if b.Latest.Sub(now) <= s.Horizon {
					when := b.At
					level, _ := r.Thresholds.LevelOf(b.Level)
					res.Issues = append(res.Issues, Issue{Kind: KindThresholdBreach, Component: c.Name, Metric: r.Metric, Resource: r.Resource,
						Level: b.Level.String(), BreachAt: &when,
						Message: fmt.Sprintf("%s: %s is %s and moving %s per minute; at this rate it reaches its %s threshold %s in %s",
							c.Name, r.ID(), scoring.FormatValue(sp.Current, r.Unit), scoring.FormatValue(sp.Trend.Slope*60, r.Unit), b.Level, scoring.FormatValue(level, r.Unit), b.At.Sub(now).Round(time.Second))})
					break // the nearest level only
				}
			}
			if r.Metric == s.LoadMetric && sp.Trend.Significant && sp.Trend.Slope*worse > 0 {
				excellent, ok := r.Thresholds.LevelOf(scoring.StatusExcellent)
				rise := slowEnd(sp.Trend) * s.TrendWindow.Seconds() * worse
				if ok && (sp.Current-excellent)*worse > 0 && rise >= s.LoadMinRise*math.Abs(sp.Current) {
					res.Issues = append(res.Issues, Issue{Kind: KindLoadIncrease, Component: c.Name, Metric: r.Metric, Resource: r.Resource,
						Message: fmt.Sprintf("%s: %s is %s, above its excellent level %s, and rose by %s over the last %s",
							c.Name, r.ID(), scoring.FormatValue(sp.Current, r.Unit), scoring.FormatValue(excellent, r.Unit), scoring.FormatValue(rise, r.Unit), s.TrendWindow)})
				}
			}
			res.Series = append(res.Series, sp)
		}
	}
	return res
}

// currentLevel returns the robust current level and the time it stands
// for (the newest point's): the median of the newest k points, each first
// carried forward to the newest time along a significant trend, so that
// the median neither lags the trend nor follows a burst.
func currentLevel(t, v []float64, k int, tr Trend) (level, at float64) {
	k = min(k, len(v))
	last := t[len(t)-1]
	slope := 0.0
	if tr.Significant {
		slope = tr.Slope
	}
	moved := make([]float64, k)
	for i := range moved {
		j := len(v) - k + i
		moved[i] = v[j] + slope*(last-t[j])
	}
	return median(moved), last
}

// slowEnd returns the bound of a significant slope's interval nearest to
// zero: the slowest the trend can be at the confidence level.
func slowEnd(tr Trend) float64 {
	if tr.Slope > 0 {
		return tr.Lower
	}
	return tr.Upper
}

// scoreBand returns the overall status a score stands for: excellent at or
// above the excellent score, else the status whose weight is nearest, cut
// half way between neighbouring weights.
func scoreBand(score float64, p scoring.Policy) scoring.Status {
	if score >= p.ExcellentScore {
		return scoring.StatusExcellent
	}
	order := []scoring.Status{scoring.StatusGood, scoring.StatusWarning, scoring.StatusCritical}
	for i, st := range order {
		next := scoring.StatusFailing
		if i+1 < len(order) {
			next = order[i+1]
		}
		if score >= (p.Weight(st)+p.Weight(next))/2 {
			return st
		}
	}
	return scoring.StatusFailing
}

// bandFloor returns the lowest score of a band.
func bandFloor(st scoring.Status, p scoring.Policy) float64 {
	switch st {
	case scoring.StatusExcellent:
		return p.ExcellentScore
	case scoring.StatusGood:
		return (p.Weight(scoring.StatusGood) + p.Weight(scoring.StatusWarning)) / 2
	case scoring.StatusWarning:
		return (p.Weight(scoring.StatusWarning) + p.Weight(scoring.StatusCritical)) / 2
	case scoring.StatusCritical:
		return (p.Weight(scoring.StatusCritical) + p.Weight(scoring.StatusFailing)) / 2
	}
	return math.Inf(-1)
}

// degradation reports a falling score that leaves its band within the
// horizon.
func degradation(t, v []float64, tr Trend, now time.Time, at func(float64) time.Time, s Settings, p scoring.Policy) (Issue, bool) {
	if !tr.Significant || tr.Slope >= 0 {
		return Issue{}, false
	}
	current, anchor := currentLevel(t, v, s.CurrentPoints, tr)
	band := scoreBand(current, p)
	floor := bandFloor(band, p)
	if math.IsInf(floor, -1) {
		return Issue{}, false
	}
	when := at(anchor + (floor-current)/tr.Slope)
	if when.Before(now) {
		when = now
	}
	if at(anchor+(floor-current)/slowEnd(tr)).Sub(now) > s.Horizon {
		return Issue{}, false
	}
	worse := scoreBand(floor-1e-9, p)
	return Issue{Kind: KindDegradation, Metric: OverallMetric, Level: worse.String(), BreachAt: &when,
		Message: fmt.Sprintf("The overall score is %.2f and falling by %.3f per hour; at this rate it drops below %.2f, %s, in %s",
			current, -tr.Slope*3600, floor, worse, when.Sub(now).Round(time.Second))}, true
}
