package scoring

import (
	"fmt"
	"math"
	"strings"
)

// Hysteresis keeps a reading that hovers at a threshold from flapping its
// status: a reading enters a worse status as soon as it reaches the
// threshold, but leaves it only once it has moved back past the threshold
// by Margin, or after Count consecutive evaluations on the better side.
// The zero value disables hysteresis.
type Hysteresis struct {
	// Margin is how far back past the threshold a reading must move to
	// leave a worse status at once, as a fraction of the threshold's
	// magnitude (0.02 with a warning level of 0.80 means below 0.784).
	Margin float64
	// Count, when positive, lets a reading leave a worse status after this
	// many consecutive evaluations better than the threshold, even within
	// the margin.
	Count int
}

// Validate checks that the margin is within 0..1 and the count not negative.
func (h Hysteresis) Validate() error {
	if !(h.Margin >= 0 && h.Margin < 1) {
		return fmt.Errorf("margin %g must be within [0, 1)", h.Margin)
	}
	if h.Count < 0 {
		return fmt.Errorf("count %d must not be negative", h.Count)
	}
	return nil
}

// Held is a reading's hysteresis state between evaluations.
type Held struct {
	// Status is the status the reading was given.
	Status Status
	// Better counts the consecutive evaluations in which the reading's own
	// judgement was better than Status while Status was held.
	Better int
}

// Judge sets r.Status from its thresholds like Reading.Judge, but holds the
// previous, worse status while the reading has not cleared the threshold
// by the margin (and not for Count evaluations). It returns the state to
// pass to the next evaluation.
func (h Hysteresis) Judge(r *Reading, prev Held) Held {
	r.Judge()
	raw := r.Status
	if r.Error != "" || !r.Thresholds.Defined() || !raw.Known() || !prev.Status.Known() ||
		prev.Status == StatusFailing || !prev.Status.WorseThan(raw) || (h.Margin <= 0 && h.Count <= 0) {
		return Held{Status: raw}
	}
	// The reading's own judgement is better than the held status: judge it
	// again as if it were Margin worse, so that it must clear the level of
	// the held status by the margin.
	level, ok := r.Thresholds.LevelOf(prev.Status)
	if prev.Status == StatusGood {
		level, ok = r.Thresholds.LevelOf(StatusExcellent)
	}
	cleared := prev.Status
	if ok && h.Margin > 0 {
		shift := h.Margin * math.Abs(level)
		if r.Thresholds.Direction == LowerIsWorse {
			shift = -shift
		}
		cleared = r.Thresholds.Evaluate(r.Value + shift)
	}
	if prev.Status.WorseThan(cleared) {
		r.Status = cleared
		return Held{Status: cleared}
	}
	better := prev.Better + 1
	if h.Count > 0 && better >= h.Count {
		return Held{Status: raw}
	}
	r.Status = prev.Status
	return Held{Status: prev.Status, Better: better}
}

// AssessHeld is Assess with hysteresis. held maps each reading's ID to its
// state and is updated in place: the states of readings no longer reported
// are removed. A nil held map judges without memory.
func AssessHeld(name, kind string, readings []Reading, checkErr error, h Hysteresis, held map[string]Held) ComponentHealth {
	seen := make(map[string]bool, len(readings))
	var kept []Reading // readings whose worse status is held
	c := assess(name, kind, readings, checkErr, func(r *Reading) {
		id := r.ID()
		seen[id] = true
		var prev Held
		if held != nil {
			prev = held[id]
		}
		next := h.Judge(r, prev)
		if held != nil {
			held[id] = next
		}
		if next.Better > 0 || (r.Error == "" && r.Status.WorseThan(r.Thresholds.Evaluate(r.Value))) {
			kept = append(kept, *r)
		}
	})
	for id := range held {
		if !seen[id] {
			delete(held, id)
		}
	}
	// The issue of a held reading must not claim that it is beyond the
	// threshold: say that it is back, and why its status is kept.
	for _, r := range kept {
		prefix := fmt.Sprintf("%s: %s is ", name, r.ID())
		for i, issue := range c.Issues {
			if strings.HasPrefix(issue, prefix) {
				level, _ := r.Thresholds.LevelOf(r.Status)
				c.Issues[i] = fmt.Sprintf("%s: %s is %s, back from the %s threshold %s but not yet by the hysteresis margin; %s is kept so that the status does not flap",
					name, r.ID(), FormatValue(r.Value, r.Unit), r.Status, FormatValue(level, r.Unit), r.Status)
			}
		}
	}
	return c
}
