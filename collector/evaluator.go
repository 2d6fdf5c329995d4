package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/prediction"
	"github.com/healthmon/healthmon/scoring"
)

// Transition is a change of a component's status between two evaluations.
type Transition struct {
	Component string
	From, To  scoring.Status
}

// Evaluation is everything one evaluation produced, published as a whole so
// that a scrape or an API call always sees one consistent state.
type Evaluation struct {
	Snapshot scoring.Snapshot
	// LastSuccess is when each component's check last ran without error.
	LastSuccess map[string]time.Time
	// Transitions counts status changes since start, by component and
	// statuses. Only changes between known statuses count.
	Transitions map[Transition]uint64
	// HistorySize is how many snapshots the history holds.
	HistorySize int
	// Interval is the configured time between evaluations, so that alerts
	// can tell a stale evaluation from a slow schedule.
	Interval time.Duration
	// Prediction holds the trends and predicted issues derived from the
	// history after this snapshot.
	Prediction *prediction.Result
}

// component is one check with the state the evaluator keeps for it.
type component struct {
	name    string
	kind    string
	cfg     *config.Component // nil for checks registered in Go
	timeout time.Duration
	check   Check

	// running is set while a check's goroutine is alive, so a check that
	// ignores its context and hangs is not started a second time.
	running atomic.Bool
}

// Evaluator runs every check concurrently, each under its own timeout and
// with panics recovered, scores the results into a snapshot and keeps the
// history. It is safe for concurrent use.
type Evaluator struct {
	logger *slog.Logger
	now    func() time.Time

	evalMu sync.Mutex // serialises evaluations

	mu         sync.Mutex // guards the fields below
	interval   time.Duration
	policy     scoring.Policy
	components []*component
	lastStatus map[string]scoring.Status
	lastOK     map[string]time.Time
	trans      map[Transition]uint64
	history    *prediction.History
	predict    prediction.Settings
	hysteresis scoring.Hysteresis
	// held is each component's readings' hysteresis state, by reading ID.
	held map[string]map[string]scoring.Held
	// after is called after each evaluation of Run (to save the history).
	after func(*Evaluation)

	latest atomic.Pointer[Evaluation]
}

// NewEvaluator builds the checks of a configuration.
func NewEvaluator(cfg *config.Config, logger *slog.Logger) (*Evaluator, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Evaluator{
		logger:     logger,
		now:        time.Now,
		lastStatus: map[string]scoring.Status{},
		lastOK:     map[string]time.Time{},
		trans:      map[Transition]uint64{},
		history:    prediction.NewHistory(cfg.Global.HistorySize),
		held:       map[string]map[string]scoring.Held{},
	}
	if err := e.Apply(cfg); err != nil {
		return nil, err
	}
	return e, nil
}

// Apply swaps in the components and settings of a new configuration as a
// whole: every check is built first, and on any error nothing changes.
// Components kept by name keep their state; Go-registered checks stay.
func (e *Evaluator) Apply(cfg *config.Config) error {
	e.mu.Lock()
	prev := make(map[string]*component, len(e.components))
	for _, c := range e.components {
		if c.cfg != nil {
			prev[c.name] = c
		}
	}
	e.mu.Unlock()
	built := make([]*component, 0, len(cfg.Components))
	for _, c := range cfg.Components {
		// An unchanged component keeps its check, so a reload loses none of
		// the check's own state (the system kind's last CPU sample, open
		// connections) and a hung check is still not started twice.
		if p, ok := prev[c.Name]; ok && p.timeout == c.CheckTimeout(cfg.Global) && sameComponent(p.cfg, c) {
			built = append(built, p)
			continue
		}
		chk, err := NewCheck(c, e.logger)
		if err != nil {
			return err
		}
		built = append(built, &component{name: c.Name, kind: c.Kind, cfg: c, timeout: c.CheckTimeout(cfg.Global), check: chk})
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	names := map[string]bool{}
	for _, c := range built {
		names[c.name] = true
	}
	for _, c := range e.components {
		if c.cfg == nil {
			if names[c.name] {
				return fmt.Errorf("component %s: name already taken by a check registered in Go", c.name)
			}
			built = append(built, c)
		}
	}
	sort.Slice(built, func(i, j int) bool { return built[i].name < built[j].name })
	e.components = built
	e.interval = time.Duration(cfg.Global.Interval)
	e.policy = cfg.Scoring.Policy()
	e.predict = cfg.Prediction.Settings()
	e.hysteresis = cfg.Prediction.StatusHysteresis()
	e.history.Resize(cfg.Global.HistorySize)
	return nil
}

// sameComponent reports whether two configured components would build the
// same check: equal but for where they sit in their files.
func sameComponent(a, b *config.Component) bool {
	x, y := *a, *b
	x.Line, y.Line = 0, 0
	x.Thresholds, y.Thresholds = nil, nil
	if !reflect.DeepEqual(x, y) || len(a.Thresholds) != len(b.Thresholds) {
		return false
	}
	for k, t := range a.Thresholds {
		u, ok := b.Thresholds[k]
		if !ok || (t == nil) != (u == nil) || (t != nil && !reflect.DeepEqual(t.Thresholds(), u.Thresholds())) {
			return false
		}
	}
	return true
}

// Register adds a check written in Go under a component name, with the same
// timeout and panic isolation as the configured kinds.
func (e *Evaluator) Register(name string, timeout time.Duration, chk Check) error {
	if name == "" || chk == nil {
		return errors.New("register: a name and a check are required")
	}
	if timeout <= 0 {
		return fmt.Errorf("register %s: timeout must be positive", name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.components {
		if c.name == name {
			return fmt.Errorf("register %s: a component of that name exists", name)
		}
	}
	e.components = append(e.components, &component{name: name, kind: "go", timeout: timeout, check: chk})
	sort.Slice(e.components, func(i, j int) bool { return e.components[i].name < e.components[j].name })
	return nil
}

// Interval returns the configured time between evaluations.
func (e *Evaluator) Interval() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.interval
}

// Latest returns the last evaluation, nil before the first.
func (e *Evaluator) Latest() *Evaluation { return e.latest.Load() }

// History returns the snapshot history.
func (e *Evaluator) History() *prediction.History { return e.history }

// PredictionSettings returns the prediction settings in force.
func (e *Evaluator) PredictionSettings() prediction.Settings {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.predict
}

// AfterEvaluation sets a function that Run calls after each evaluation,
// outside the evaluator's locks (healthmon saves the history there).
func (e *Evaluator) AfterEvaluation(f func(*Evaluation)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.after = f
}

// Run evaluates now and then every interval until ctx is done.
func (e *Evaluator) Run(ctx context.Context) {
	for {
		ev := e.Evaluate(ctx)
		e.mu.Lock()
		after := e.after
		e.mu.Unlock()
		if after != nil {
			after(ev)
		}
		// Read the interval each pass: a reload may change it.
		t := time.NewTimer(e.Interval())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// result is what one check produced.
type result struct {
	readings []scoring.Reading
	err      error
	duration time.Duration
	done     time.Time
	// absent: a replayed component with no readings yet, unknown.
	absent bool
}

// EvaluateAt scores readings recorded at a time, by component name, as if
// the checks had returned them then, without running any check: `healthmon
// replay` feeds recorded series through it. A component without readings
// is unknown.
func (e *Evaluator) EvaluateAt(at time.Time, readings map[string][]scoring.Reading) *Evaluation {
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	e.mu.Lock()
	components, policy := e.components, e.policy
	e.mu.Unlock()
	results := make([]result, len(components))
	for i, c := range components {
		rs, ok := readings[c.name]
		results[i] = result{readings: append([]scoring.Reading(nil), rs...), done: at, absent: !ok}
	}
	return e.publish(at, 0, policy, components, results)
}

// Evaluate runs every check once, concurrently, and publishes the snapshot.
// It returns when every check has returned or reached its deadline. When
// ctx is done before then, nothing is published and the previous evaluation
// is returned (the cut-short one only when there is no previous).
func (e *Evaluator) Evaluate(ctx context.Context) *Evaluation {
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	// Checks run without e.mu held, so a reload need not wait for them.
	e.mu.Lock()
	components, policy := e.components, e.policy
	e.mu.Unlock()

	start := e.now()
	results := make([]result, len(components))
	var wg sync.WaitGroup
	for i, c := range components {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.runCheck(ctx, c)
		}()
	}
	wg.Wait()
	// An evaluation cut short by its caller (a shutdown) is not recorded:
	// its checks did not fail, they were stopped.
	if ctx.Err() != nil {
		if prev := e.latest.Load(); prev != nil {
			return prev
		}
	}
	return e.publish(start, -1, policy, components, results)
}

// publish scores the results into a snapshot taken at start, adds it to the
// history, predicts, and publishes the evaluation. A negative duration is
// measured up to now.
func (e *Evaluator) publish(start time.Time, duration time.Duration, policy scoring.Policy, components []*component, results []result) *Evaluation {
	e.mu.Lock()
	defer e.mu.Unlock()
	healths := make([]scoring.ComponentHealth, len(components))
	for i, c := range components {
		r := results[i]
		if c.cfg != nil {
			c.cfg.ApplyThresholds(r.readings)
		}
		if r.absent {
			healths[i] = scoring.ComponentHealth{Name: c.name, Kind: c.kind, Status: scoring.StatusUnknown, CheckedAt: r.done, Issues: []string{}, Recommendations: []string{}}
			continue
		}
		h := scoring.AssessHeld(c.name, c.kind, r.readings, r.err, e.hysteresis, e.heldFor(c.name))
		h.Duration, h.CheckedAt = r.duration, r.done
		healths[i] = h
		if r.err == nil {
			e.lastOK[c.name] = r.done
		}
	}
	snap := scoring.NewSnapshot(start, policy, healths)
	snap.Duration = duration
	if duration < 0 {
		snap.Duration = e.now().Sub(start)
	}
	e.recordTransitions(snap)
	for name := range e.held {
		if _, kept := snap.Component(name); !kept {
			delete(e.held, name)
		}
	}
	e.history.Add(snap)

	ev := &Evaluation{
		Snapshot:    snap,
		LastSuccess: make(map[string]time.Time, len(e.lastOK)),
		Transitions: make(map[Transition]uint64, len(e.trans)),
		HistorySize: e.history.Len(),
		Interval:    e.interval,
		Prediction:  prediction.Predict(e.history, snap, e.predict, policy),
	}
	for _, c := range components {
		if t, ok := e.lastOK[c.name]; ok {
			ev.LastSuccess[c.name] = t
		}
	}
	for k, v := range e.trans {
		if _, kept := snap.Component(k.Component); kept {
			ev.Transitions[k] = v
		}
	}
	e.latest.Store(ev)
	return ev
}

// heldFor returns a component's hysteresis state. A component met for the
// first time starts from the statuses of the newest snapshot in the
// history, so a restart does not forget a status it was holding. Must hold
// e.mu.
func (e *Evaluator) heldFor(name string) map[string]scoring.Held {
	h, ok := e.held[name]
	if !ok {
		h = map[string]scoring.Held{}
		for id, st := range e.history.LastReadingStatuses(name) {
			h[id] = scoring.Held{Status: st}
		}
		e.held[name] = h
	}
	return h
}

// recordTransitions counts and logs status changes. Must hold e.mu.
func (e *Evaluator) recordTransitions(snap scoring.Snapshot) {
	present := make(map[string]bool, len(snap.Components))
	for _, c := range snap.Components {
		present[c.Name] = true
		prev, seen := e.lastStatus[c.Name]
		e.lastStatus[c.Name] = c.Status
		if !seen || prev == c.Status {
			continue
		}
		if prev.Known() && c.Status.Known() {
			e.trans[Transition{Component: c.Name, From: prev, To: c.Status}]++
		}
		level := slog.LevelInfo
		if c.Status.WorseThan(prev) && c.Status >= scoring.StatusWarning {
			level = slog.LevelWarn
		}
		args := []any{"component", c.Name, "from", prev.String(), "to", c.Status.String()}
		if len(c.Issues) > 0 {
			args = append(args, "issues", c.Issues)
		}
		e.logger.Log(context.Background(), level, "component status changed", args...)
	}
	// Forget components that are gone, so their series leave /metrics.
	for name := range e.lastStatus {
		if !present[name] {
			delete(e.lastStatus, name)
			delete(e.lastOK, name)
		}
	}
	for k := range e.trans {
		if !present[k.Component] {
			delete(e.trans, k)
		}
	}
}

// cancelGrace is how long a check may take to return after its deadline
// before it is abandoned as hung.
const cancelGrace = 100 * time.Millisecond

// runCheck runs one check under its own deadline. It returns at the
// deadline even if the check does not, and turns a panic into an error.
func (e *Evaluator) runCheck(ctx context.Context, c *component) result {
	start := e.now()
	if !c.running.CompareAndSwap(false, true) {
		return result{err: fmt.Errorf("the previous check is still running past its %s timeout; not started again until it returns", c.timeout), done: e.now()}
	}
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		var r result
		func() {
			defer func() {
				if p := recover(); p != nil {
					e.logger.Error("check panicked", "component", c.name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					r = result{err: fmt.Errorf("check panicked: %v", p)}
				}
			}()
			r.readings, r.err = c.check.Check(cctx)
		}()
		// Cleared before the result is sent, so that the next evaluation,
		// which may start as soon as it is received, never finds the check
		// still marked as running.
		c.running.Store(false)
		done <- r
	}()
	var r result
	select {
	case r = <-done:
	case <-cctx.Done():
		// A check that honours its context returns at once; give it a
		// moment so that it is not counted as still running next time.
		grace := time.NewTimer(cancelGrace)
		select {
		case r = <-done:
		case <-grace.C:
			r.err = cctx.Err()
		}
		grace.Stop()
	}
	if r.err != nil && cctx.Err() != nil && (errors.Is(r.err, context.DeadlineExceeded) || errors.Is(r.err, context.Canceled)) {
		switch {
		case ctx.Err() != nil:
			r.err = fmt.Errorf("check cancelled: %w", ctx.Err())
		case r.err == cctx.Err():
			r.err = fmt.Errorf("check timed out after %s", c.timeout)
		default:
			r.err = fmt.Errorf("check timed out after %s: %w", c.timeout, r.err)
		}
	}
	r.done = e.now()
	r.duration = r.done.Sub(start)
	return r
}
