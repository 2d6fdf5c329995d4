package collector

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

// emptyEvaluator returns an evaluator with no configured components, for
// Go-registered test checks.
func emptyEvaluator(t *testing.T) *Evaluator {
	t.Helper()
	cfg := &config.Config{Global: config.DefaultGlobal}
	e, err := NewEvaluator(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func fixed(readings ...scoring.Reading) Check {
	return CheckFunc(func(context.Context) ([]scoring.Reading, error) {
		out := make([]scoring.Reading, len(readings))
		copy(out, readings)
		return out, nil
	})
}

var ratioTh = scoring.Thresholds{Excellent: scoring.Level(0.5), Warning: scoring.Level(0.8), Critical: scoring.Level(0.95)}

// TestHangingAndPanickingChecks: a check that hangs forever and one that
// panics are failing with a reason within their timeout plus one second;
// the others stay fresh, evaluation after evaluation.
func TestHangingAndPanickingChecks(t *testing.T) {
	e := emptyEvaluator(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	const timeout = 300 * time.Millisecond
	hang := CheckFunc(func(context.Context) ([]scoring.Reading, error) {
		<-release // ignores its context on purpose
		return nil, nil
	})
	panicky := CheckFunc(func(context.Context) ([]scoring.Reading, error) { panic("boom") })
	calls := 0
	healthy := CheckFunc(func(context.Context) ([]scoring.Reading, error) {
		calls++
		return []scoring.Reading{{Metric: "queue_ratio", Value: 0.1, Thresholds: ratioTh}}, nil
	})
	for name, c := range map[string]Check{"hang": hang, "panic": panicky, "healthy": healthy} {
		if err := e.Register(name, timeout, c); err != nil {
			t.Fatal(err)
		}
	}

	var prevChecked time.Time
	for round := 1; round <= 3; round++ {
		start := time.Now()
		ev := e.Evaluate(context.Background())
		if took := time.Since(start); took > timeout+time.Second {
			t.Fatalf("round %d: evaluation took %s, more than the timeout %s plus one second", round, took, timeout)
		}
		snap := ev.Snapshot
		h, _ := snap.Component("hang")
		p, _ := snap.Component("panic")
		ok, _ := snap.Component("healthy")
		if h.Status != scoring.StatusFailing || p.Status != scoring.StatusFailing {
			t.Fatalf("round %d: hang %s, panic %s; want both failing", round, h.Status, p.Status)
		}
		wantHang := "check timed out after 300ms"
		if round > 1 {
			wantHang = "still running past its 300ms timeout"
		}
		if !strings.Contains(h.Error, wantHang) || !strings.Contains(strings.Join(h.Issues, " "), wantHang) {
			t.Errorf("round %d: hang error %q issues %q, want %q", round, h.Error, h.Issues, wantHang)
		}
		if !strings.Contains(p.Error, "check panicked: boom") {
			t.Errorf("round %d: panic error %q", round, p.Error)
		}
		if ok.Status != scoring.StatusExcellent || ok.Error != "" {
			t.Errorf("round %d: healthy is %s (%s)", round, ok.Status, ok.Error)
		}
		if !ok.CheckedAt.After(prevChecked) {
			t.Errorf("round %d: healthy component not refreshed: checked at %s, before %s", round, ok.CheckedAt, prevChecked)
		}
		prevChecked = ok.CheckedAt
		if snap.Status != scoring.StatusFailing {
			t.Errorf("round %d: overall %s, want failing", round, snap.Status)
		}
		if _, seen := ev.LastSuccess["hang"]; seen {
			t.Errorf("round %d: a hung check has a last success", round)
		}
		if _, seen := ev.LastSuccess["healthy"]; !seen {
			t.Errorf("round %d: healthy check has no last success", round)
		}
	}
	if calls != 3 {
		t.Errorf("healthy check ran %d times, want 3", calls)
	}
}

func TestCheckHonouringContextReportsTimeout(t *testing.T) {
	e := emptyEvaluator(t)
	slow := CheckFunc(func(ctx context.Context) ([]scoring.Reading, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if err := e.Register("slow", 50*time.Millisecond, slow); err != nil {
		t.Fatal(err)
	}
	ev := e.Evaluate(context.Background())
	c, _ := ev.Snapshot.Component("slow")
	if c.Status != scoring.StatusFailing || !strings.Contains(c.Error, "timed out after 50ms") {
		t.Fatalf("got %s %q", c.Status, c.Error)
	}
	// The next evaluation can start it again: it returned.
	ev = e.Evaluate(context.Background())
	c, _ = ev.Snapshot.Component("slow")
	if strings.Contains(c.Error, "still running") {
		t.Fatalf("a check that returned is reported as still running: %q", c.Error)
	}
}

func TestMissingMountPointIsFailingReading(t *testing.T) {
	cfg, err := config.Parse([]byte(`
components:
  - name: system
    kind: system
    system: {mount_points: ["/", "/no/such/mount/point"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEvaluator(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := e.Evaluate(context.Background())
	sys, _ := ev.Snapshot.Component("system")
	if sys.Error != "" {
		t.Fatalf("the check failed as a whole: %s", sys.Error)
	}
	if sys.Status != scoring.StatusFailing {
		t.Errorf("status %s, want failing", sys.Status)
	}
	var missing, root *scoring.Reading
	for i, r := range sys.Readings {
		if r.Metric == config.MetricDiskUsedRatio && r.Resource == "/no/such/mount/point" {
			missing = &sys.Readings[i]
		}
		if r.Metric == config.MetricDiskUsedRatio && r.Resource == "/" {
			root = &sys.Readings[i]
		}
	}
	if missing == nil || missing.Status != scoring.StatusFailing || !strings.Contains(missing.Error, "no such file or directory") {
		t.Fatalf("missing mount reading: %+v", missing)
	}
	if root == nil || math.IsNaN(root.Value) || root.Value <= 0 || root.Value > 1 {
		t.Fatalf("root reading: %+v", root)
	}
	if !strings.Contains(strings.Join(sys.Issues, "\n"), "/no/such/mount/point") {
		t.Errorf("issues do not name the mount point: %q", sys.Issues)
	}
}

func TestSystemCheckReadsTheHost(t *testing.T) {
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEvaluator(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := e.Evaluate(context.Background())
	sys, _ := first.Snapshot.Component("system")
	got := map[string]scoring.Reading{}
	for _, r := range sys.Readings {
		got[r.ID()] = r
	}
	for _, m := range []string{"memory_used_ratio", "memory_available_bytes", "cpu_cores", "disk_used_ratio{/}", "disk_free_bytes{/}", "load1", "load5", "load15", "load_per_core", "uptime_seconds"} {
		r, ok := got[m]
		if !ok || math.IsNaN(r.Value) || r.Value < 0 {
			t.Errorf("%s: %+v", m, r)
		}
	}
	if r := got["memory_used_ratio"]; r.Value > 1 || r.Thresholds.Warning == nil || *r.Thresholds.Warning != 0.8 {
		t.Errorf("memory_used_ratio %+v", r)
	}
	if r := got["cpu_used_ratio"]; !math.IsNaN(r.Value) || r.Status != scoring.StatusUnknown {
		t.Errorf("first cpu_used_ratio should be unknown (no earlier sample), got %+v", r)
	}
	// Burn a little CPU so the counters move, then the second evaluation
	// has a CPU value from the difference.
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	second := e.Evaluate(context.Background())
	sys, _ = second.Snapshot.Component("system")
	for _, r := range sys.Readings {
		if r.Metric == "cpu_used_ratio" && (math.IsNaN(r.Value) || r.Value < 0 || r.Value > 1) {
			t.Errorf("second cpu_used_ratio = %v", r.Value)
		}
	}
	if second.HistorySize != 2 {
		t.Errorf("history size %d, want 2", second.HistorySize)
	}
}

func TestTransitionsCounted(t *testing.T) {
	e := emptyEvaluator(t)
	v := 0.1
	if err := e.Register("q", time.Second, CheckFunc(func(context.Context) ([]scoring.Reading, error) {
		return []scoring.Reading{{Metric: "m", Value: v, Thresholds: ratioTh}}, nil
	})); err != nil {
		t.Fatal(err)
	}
	for _, x := range []float64{0.1, 0.9, 0.9, 0.1, 0.9} {
		v = x
		e.Evaluate(context.Background())
	}
	tr := e.Latest().Transitions
	if got := tr[Transition{"q", scoring.StatusExcellent, scoring.StatusWarning}]; got != 2 {
		t.Errorf("excellent->warning = %d, want 2", got)
	}
	if got := tr[Transition{"q", scoring.StatusWarning, scoring.StatusExcellent}]; got != 1 {
		t.Errorf("warning->excellent = %d, want 1", got)
	}
}

func TestRegisterRefusesDuplicates(t *testing.T) {
	e := emptyEvaluator(t)
	if err := e.Register("a", time.Second, fixed()); err != nil {
		t.Fatal(err)
	}
	if err := e.Register("a", time.Second, fixed()); err == nil {
		t.Error("a duplicate name was accepted")
	}
	if err := e.Register("b", 0, fixed()); err == nil {
		t.Error("a zero timeout was accepted")
	}
}

func TestHistoryIsBounded(t *testing.T) {
	cfg := &config.Config{Global: config.DefaultGlobal}
	cfg.Global.HistorySize = 5
	e, err := NewEvaluator(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register("a", time.Second, fixed(scoring.Reading{Metric: "m", Value: 1})); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		e.Evaluate(context.Background())
	}
	if n := e.History().Len(); n != 5 {
		t.Fatalf("history holds %d, want 5", n)
	}
}
