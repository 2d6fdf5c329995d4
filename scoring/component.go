package scoring

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Unit names for readings. Values are base units, as the Prometheus naming
// guide asks: ratios 0..1, seconds, bytes.
const (
	UnitRatio   = "ratio"
	UnitSeconds = "seconds"
	UnitBytes   = "bytes"
	UnitNone    = ""
)

// Reading is one measured value of a component, with the thresholds that
// judge it. It has no JSON form of its own: Value may be NaN, which JSON
// cannot carry; the API renders its own view.
type Reading struct {
	// Metric is the reading's name within its component, e.g.
	// memory_used_ratio. It becomes the metric label.
	Metric string
	// Resource optionally qualifies the metric (a mount point, a Ray
	// resource); it becomes the resource label and must stay bounded.
	Resource string
	// Value is NaN while there is no value yet (the status is then unknown).
	Value      float64
	Unit       string
	Thresholds Thresholds
	// Status is set by Judge.
	Status Status
	// Error, when set, is why the reading could not be taken: its status is
	// failing and the error is the reason.
	Error string
	// Advice is what a person should do when the reading is warning or
	// worse. Empty means a generic recommendation.
	Advice string
	// Reason is what the source itself says of the reading (a plugin's
	// first output line); it ends the issue text when the reading is
	// warning or worse.
	Reason string
}

// Judged reports whether the reading counts toward its component's status:
// it has thresholds or failed to be taken.
func (r Reading) Judged() bool { return r.Error != "" || r.Thresholds.Defined() }

// ID returns metric, or metric{resource} when the reading has a resource.
func (r Reading) ID() string {
	if r.Resource == "" {
		return r.Metric
	}
	return r.Metric + "{" + r.Resource + "}"
}

// Judge sets the status from the error or the thresholds.
func (r *Reading) Judge() {
	switch {
	case r.Error != "":
		r.Status = StatusFailing
	case !r.Thresholds.Defined():
		if math.IsNaN(r.Value) {
			r.Status = StatusUnknown
		} else {
			r.Status = StatusGood
		}
	default:
		r.Status = r.Thresholds.Evaluate(r.Value)
	}
}

// FormatValue renders v in the reading's unit for people: ratios as
// percentages, bytes in binary units, seconds as durations.
func FormatValue(v float64, unit string) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	switch unit {
	case UnitRatio:
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	case UnitBytes:
		return formatBytes(v)
	case UnitSeconds:
		if math.Abs(v) < 1 {
			return strconv.FormatFloat(v*1000, 'f', 1, 64) + "ms"
		}
		return time.Duration(v * float64(time.Second)).Round(time.Millisecond).String()
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func formatBytes(v float64) string {
	const unit = 1024
	abs := math.Abs(v)
	if abs < unit {
		return strconv.FormatFloat(v, 'f', 0, 64) + "B"
	}
	div, exp := float64(unit), 0
	for n := abs / unit; n >= unit && exp < 5; n /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(v/div, 'f', 1, 64) + string("KMGTPE"[exp]) + "iB"
}

// ComponentHealth is the judged state of one component after one check.
type ComponentHealth struct {
	Name string
	Kind string
	// Status is the worst status of the judged readings, failing when the
	// check failed, unknown when no judged reading has a value yet.
	Status Status
	// Score is the weight of Status under the snapshot's policy; NaN while
	// unknown.
	Score    float64
	Readings []Reading
	// Issues and Recommendations are parallel: one recommendation for each
	// issue, a sentence a person can act on.
	Issues          []string
	Recommendations []string
	// Error is the check's own failure (timeout, panic, connection refused).
	Error    string
	Duration time.Duration
	// CheckedAt is when the check finished.
	CheckedAt time.Time
}

// Assess judges the readings of one check and builds the component's
// health. A non-nil checkErr makes the component failing with the error as
// its issue; readings returned alongside an error are still kept.
func Assess(name, kind string, readings []Reading, checkErr error) ComponentHealth {
	return assess(name, kind, readings, checkErr, (*Reading).Judge)
}

// assess is Assess with the judgement of each reading given, so that
// AssessHeld can add hysteresis.
func assess(name, kind string, readings []Reading, checkErr error, judge func(*Reading)) ComponentHealth {
	c := ComponentHealth{Name: name, Kind: kind, Issues: []string{}, Recommendations: []string{}}
	c.Readings, c.Issues = uniqueReadings(name, readings)
	for range c.Issues {
		c.Recommendations = append(c.Recommendations, fmt.Sprintf("Make the readings of %s unique: give each metric its own name or resource.", name))
	}
	statuses := make([]Status, 0, len(c.Readings)+1)
	for i := range c.Readings {
		r := &c.Readings[i]
		judge(r)
		if !r.Judged() {
			continue
		}
		statuses = append(statuses, r.Status)
		if issue, rec, ok := describe(name, r); ok {
			c.Issues = append(c.Issues, issue)
			c.Recommendations = append(c.Recommendations, rec)
		}
	}
	if checkErr != nil {
		c.Error = checkErr.Error()
		statuses = append(statuses, StatusFailing)
		c.Issues = append(c.Issues, fmt.Sprintf("%s check failed: %s", name, c.Error))
		c.Recommendations = append(c.Recommendations, fmt.Sprintf("Check that %s is reachable from this host and that its %s check is configured right; the error above says what failed.", name, kind))
	}
	c.Status = Worst(statuses...)
	if len(statuses) == 0 && checkErr == nil {
		// A check with only informational readings ran fine.
		c.Status = StatusGood
		for _, r := range c.Readings {
			if math.IsNaN(r.Value) {
				c.Status = StatusUnknown
			}
		}
	}
	return c
}

// uniqueReadings makes names valid UTF-8 and keeps the first of readings
// that share a metric and resource, since two series with the same labels
// would break the exposition; each dropped one becomes an issue.
func uniqueReadings(component string, readings []Reading) ([]Reading, []string) {
	out := make([]Reading, 0, len(readings))
	seen := make(map[[2]string]bool, len(readings))
	var issues []string
	for _, r := range readings {
		r.Metric = strings.ToValidUTF8(r.Metric, "\uFFFD")
		r.Resource = strings.ToValidUTF8(r.Resource, "\uFFFD")
		key := [2]string{r.Metric, r.Resource}
		if seen[key] {
			issues = append(issues, fmt.Sprintf("%s: reading %s was reported more than once; the later ones were dropped", component, r.ID()))
			continue
		}
		seen[key] = true
		out = append(out, r)
	}
	if issues == nil {
		issues = []string{}
	}
	return out, issues
}

// describe returns the issue and the recommendation for a reading that is
// warning or worse.
func describe(component string, r *Reading) (issue, rec string, ok bool) {
	switch r.Status {
	case StatusFailing:
		issue = fmt.Sprintf("%s: %s could not be read: %s", component, r.ID(), r.Error)
	case StatusWarning, StatusCritical:
		level, _ := r.Thresholds.LevelOf(r.Status)
		rel := "at or above"
		if r.Thresholds.Direction == LowerIsWorse {
			rel = "at or below"
		}
		issue = fmt.Sprintf("%s: %s is %s, %s the %s threshold %s", component, r.ID(),
			FormatValue(r.Value, r.Unit), rel, r.Status, FormatValue(level, r.Unit))
	default:
		return "", "", false
	}
	if r.Reason != "" {
		issue += ": " + r.Reason
	}
	rec = r.Advice
	if rec == "" {
		rec = fmt.Sprintf("Look at what drives %s on %s and bring it back within its thresholds, or revise the thresholds if this level is expected.", r.ID(), component)
	}
	if r.Status == StatusFailing && r.Advice == "" {
		rec = fmt.Sprintf("Fix what stops %s from being read on %s (the error says what), or remove it from the configuration.", r.ID(), component)
	}
	return issue, rec, true
}
