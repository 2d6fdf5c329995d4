// Package scoring turns readings into health: the statuses, thresholds with a
// direction, a component's status from its worst reading, and the snapshot's
// overall status and weighted score as the seed design defines them.
//
// It imports nothing of healthmon's own; every later stage builds on it.
package scoring

import (
	"fmt"
	"strings"
)

// Status is a health status. The zero value is StatusUnknown: a reading or a
// component with no value yet, exposed but never counted in a score.
type Status int

// The statuses, ordered from unknown, then best to worst.
const (
	StatusUnknown Status = iota
	StatusExcellent
	StatusGood
	StatusWarning
	StatusCritical
	StatusFailing
)

// Statuses lists every status in the order used for state sets.
var Statuses = []Status{StatusExcellent, StatusGood, StatusWarning, StatusCritical, StatusFailing, StatusUnknown}

var statusNames = [...]string{"unknown", "excellent", "good", "warning", "critical", "failing"}

// String returns the lower-case name used in labels, JSON and config.
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return fmt.Sprintf("status(%d)", int(s))
	}
	return statusNames[s]
}

// ParseStatus is the inverse of String.
func ParseStatus(name string) (Status, error) {
	for i, n := range statusNames {
		if strings.EqualFold(n, name) {
			return Status(i), nil
		}
	}
	return StatusUnknown, fmt.Errorf("unknown status %q (want one of %s)", name, strings.Join(statusNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler so statuses read as words in
// JSON and YAML.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Status) UnmarshalText(b []byte) error {
	v, err := ParseStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Known reports whether s carries a judgement (is not unknown).
func (s Status) Known() bool { return s != StatusUnknown }

// WorseThan reports whether s is strictly worse than o. Unknown is neither
// better nor worse than anything: it is not a judgement.
func (s Status) WorseThan(o Status) bool {
	if !s.Known() || !o.Known() {
		return false
	}
	return s > o
}

// Worst returns the worst known status of the arguments, or unknown when none
// is known.
func Worst(statuses ...Status) Status {
	worst := StatusUnknown
	for _, s := range statuses {
		if !s.Known() {
			continue
		}
		if !worst.Known() || s > worst {
			worst = s
		}
	}
	return worst
}
