// Package collector holds the checks (one file per kind), the evaluator that
// runs them concurrently under their own deadlines, and the Prometheus
// collector that exposes the resulting snapshots.
package collector

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

// Check measures one component. It returns its readings, or an error when
// the component could not be checked at all; a reading that alone failed
// carries its own Error. A Check must honour ctx: the evaluator abandons it
// at its deadline all the same, but a check that ignores ctx keeps a
// goroutine busy and is not started again until it returns.
type Check interface {
	Check(ctx context.Context) ([]scoring.Reading, error)
}

// CheckFunc adapts a function to the Check interface; it is how Go programs
// that embed healthmon register their own checks.
type CheckFunc func(ctx context.Context) ([]scoring.Reading, error)

// Check calls f.
func (f CheckFunc) Check(ctx context.Context) ([]scoring.Reading, error) { return f(ctx) }

// Factory builds the check of one configured component.
type Factory func(c *config.Component, logger *slog.Logger) (Check, error)

// factories is filled by each kind's file in init.
var factories = map[string]Factory{}

// registerKind makes a check kind available; called from init.
func registerKind(kind string, f Factory) {
	if _, dup := factories[kind]; dup {
		panic("collector: kind registered twice: " + kind)
	}
	factories[kind] = f
}

// Kinds lists the kinds that have a check.
func Kinds() []string {
	out := make([]string, 0, len(factories))
	for k := range factories {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// NewCheck builds the check of a configured component.
func NewCheck(c *config.Component, logger *slog.Logger) (Check, error) {
	f, ok := factories[c.Kind]
	if !ok {
		return nil, fmt.Errorf("component %s: no check for kind %q", c.Name, c.Kind)
	}
	chk, err := f(c, logger.With("component", c.Name, "kind", c.Kind))
	if err != nil {
		return nil, fmt.Errorf("component %s: %w", c.Name, err)
	}
	return chk, nil
}
