package scoring

import (
	"fmt"
	"math"
)

// Direction says which way a reading gets worse.
type Direction int

const (
	// HigherIsWorse is for usage ratios, latencies, ages: the default.
	HigherIsWorse Direction = iota
	// LowerIsWorse is for free bytes, alive ratios, days to expiry.
	LowerIsWorse
)

// String returns the name used in config and JSON.
func (d Direction) String() string {
	if d == LowerIsWorse {
		return "lower_is_worse"
	}
	return "higher_is_worse"
}

// MarshalText implements encoding.TextMarshaler.
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Direction) UnmarshalText(b []byte) error {
	switch string(b) {
	case "higher_is_worse", "":
		*d = HigherIsWorse
	case "lower_is_worse":
		*d = LowerIsWorse
	default:
		return fmt.Errorf("unknown direction %q (want higher_is_worse or lower_is_worse)", string(b))
	}
	return nil
}

// Thresholds are the levels that judge a reading. Any level may be absent
// (nil). A reading at or beyond Critical is critical, at or beyond Warning is
// warning, at or better than Excellent is excellent, and good otherwise.
type Thresholds struct {
	Direction Direction `json:"direction"`
	Excellent *float64  `json:"excellent,omitempty"`
	Warning   *float64  `json:"warning,omitempty"`
	Critical  *float64  `json:"critical,omitempty"`
}

// Level returns a pointer to v, for building Thresholds in code.
func Level(v float64) *float64 { return &v }

// Defined reports whether any level is set. A reading without thresholds is
// informational: exposed, never judged.
func (t Thresholds) Defined() bool {
	return t.Excellent != nil || t.Warning != nil || t.Critical != nil
}

// worse reports whether a is strictly worse than b in this direction.
func (t Thresholds) worse(a, b float64) bool {
	if t.Direction == LowerIsWorse {
		return a < b
	}
	return a > b
}

// reached reports whether v is at or beyond level in the worse direction.
func (t Thresholds) reached(v, level float64) bool {
	return v == level || t.worse(v, level)
}

// Validate checks that the levels are ordered for the direction: excellent
// better than warning, warning better than critical, and all finite.
func (t Thresholds) Validate() error {
	levels := []struct {
		name string
		v    *float64
	}{{"excellent", t.Excellent}, {"warning", t.Warning}, {"critical", t.Critical}}
	for _, l := range levels {
		if l.v != nil && (math.IsNaN(*l.v) || math.IsInf(*l.v, 0)) {
			return fmt.Errorf("%s must be a finite number", l.name)
		}
	}
	order := "above"
	if t.Direction == LowerIsWorse {
		order = "below"
	}
	for i := 0; i < len(levels); i++ {
		for j := i + 1; j < len(levels); j++ {
			a, b := levels[i], levels[j]
			if a.v == nil || b.v == nil {
				continue
			}
			if !t.worse(*b.v, *a.v) {
				return fmt.Errorf("%s (%g) must be %s %s (%g) for a %s reading", b.name, *b.v, order, a.name, *a.v, t.Direction)
			}
		}
	}
	return nil
}

// Evaluate returns the status of value v. NaN is unknown; a reading without
// thresholds is good.
func (t Thresholds) Evaluate(v float64) Status {
	switch {
	case math.IsNaN(v):
		return StatusUnknown
	case t.Critical != nil && t.reached(v, *t.Critical):
		return StatusCritical
	case t.Warning != nil && t.reached(v, *t.Warning):
		return StatusWarning
	case t.Excellent != nil && !t.worse(v, *t.Excellent):
		return StatusExcellent
	}
	return StatusGood
}

// LevelOf returns the threshold that corresponds to a status, if set.
func (t Thresholds) LevelOf(s Status) (float64, bool) {
	var p *float64
	switch s {
	case StatusExcellent:
		p = t.Excellent
	case StatusWarning:
		p = t.Warning
	case StatusCritical:
		p = t.Critical
	}
	if p == nil {
		return 0, false
	}
	return *p, true
}
