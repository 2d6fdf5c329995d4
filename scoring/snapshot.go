package scoring

import (
	"fmt"
	"math"
	"time"
)

// Policy holds the numbers of the seed's aggregation rules. DefaultPolicy
// returns them as the seed gives them; every one is configurable.
type Policy struct {
	// Weights of each status in the score (excellent 1.0 ... failing 0.0).
	Weights map[Status]float64
	// CriticalRatio: the overall status is critical when at least this share
	// of counted components is critical.
	CriticalRatio float64
	// WarningRatio: warning when at least this share is warning.
	WarningRatio float64
	// ExcellentScore: excellent when the score is at least this.
	ExcellentScore float64
}

// DefaultPolicy returns the seed's numbers.
func DefaultPolicy() Policy {
	return Policy{
		Weights: map[Status]float64{
			StatusExcellent: 1.0,
			StatusGood:      0.8,
			StatusWarning:   0.5,
			StatusCritical:  0.2,
			StatusFailing:   0.0,
		},
		CriticalRatio:  0.3,
		WarningRatio:   0.5,
		ExcellentScore: 0.9,
	}
}

// Validate checks that the weights and ratios are within 0..1 and that
// every status has a weight.
func (p Policy) Validate() error {
	for _, s := range []Status{StatusExcellent, StatusGood, StatusWarning, StatusCritical, StatusFailing} {
		w, ok := p.Weights[s]
		if !ok {
			return fmt.Errorf("weights: %s has no weight", s)
		}
		if !(w >= 0 && w <= 1) {
			return fmt.Errorf("weights: %s weight %g must be within 0..1", s, w)
		}
	}
	for name, v := range map[string]float64{"critical_ratio": p.CriticalRatio, "warning_ratio": p.WarningRatio, "excellent_score": p.ExcellentScore} {
		if !(v > 0 && v <= 1) {
			return fmt.Errorf("%s %g must be within (0, 1]", name, v)
		}
	}
	return nil
}

// Weight returns the weight of s, NaN for unknown.
func (p Policy) Weight(s Status) float64 {
	if w, ok := p.Weights[s]; ok && s.Known() {
		return w
	}
	return math.NaN()
}

// epsilon absorbs the rounding of shares and sums of weights, so that a
// share of exactly 30% or a score of exactly 0.9 meets its rule however the
// float arithmetic rounds.
const epsilon = 1e-9

// Overall applies the seed's rules to the components' statuses. Components
// whose status is unknown are not counted; with none counted the result is
// unknown with a NaN score.
//
//   - failing if any component is failing;
//   - else critical if at least CriticalRatio of them are critical;
//   - else warning if at least WarningRatio of them are warning;
//   - else excellent if the weighted score is at least ExcellentScore;
//   - else good.
func (p Policy) Overall(statuses []Status) (Status, float64) {
	counts := map[Status]int{}
	total := 0
	sum := 0.0
	for _, s := range statuses {
		if !s.Known() {
			continue
		}
		counts[s]++
		total++
		sum += p.Weight(s)
	}
	if total == 0 {
		return StatusUnknown, math.NaN()
	}
	score := sum / float64(total)
	n := float64(total)
	switch {
	case counts[StatusFailing] > 0:
		return StatusFailing, score
	case float64(counts[StatusCritical]) >= p.CriticalRatio*n-epsilon:
		return StatusCritical, score
	case float64(counts[StatusWarning]) >= p.WarningRatio*n-epsilon:
		return StatusWarning, score
	case score >= p.ExcellentScore-epsilon:
		return StatusExcellent, score
	}
	return StatusGood, score
}

// Snapshot is the judged state of every component at one evaluation.
type Snapshot struct {
	// Time is when the evaluation started.
	Time   time.Time
	Status Status
	Score  float64
	// Components are sorted by name.
	Components []ComponentHealth
	// Duration is how long the whole evaluation took.
	Duration time.Duration
}

// NewSnapshot scores the components under the policy: each component's
// score is its status's weight, and the overall status and score follow
// Policy.Overall.
func NewSnapshot(at time.Time, p Policy, components []ComponentHealth) Snapshot {
	statuses := make([]Status, len(components))
	for i := range components {
		components[i].Score = p.Weight(components[i].Status)
		statuses[i] = components[i].Status
	}
	status, score := p.Overall(statuses)
	return Snapshot{Time: at, Status: status, Score: score, Components: components}
}

// Counts returns how many components have each status.
func (s Snapshot) Counts() map[Status]int {
	counts := make(map[Status]int, len(Statuses))
	for _, c := range s.Components {
		counts[c.Status]++
	}
	return counts
}

// Component returns the named component's health.
func (s Snapshot) Component(name string) (ComponentHealth, bool) {
	for _, c := range s.Components {
		if c.Name == name {
			return c, true
		}
	}
	return ComponentHealth{}, false
}
