package collector

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	tools "github.com/healthmon/healthmon/internal/testutil"
	"github.com/healthmon/healthmon/prediction"
	"github.com/healthmon/healthmon/scoring"
)

// labelsOf renders a metric's labels as name=value pairs joined by commas.
func labelsOf(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return strings.Join(parts, ",")
}

func TestPredictionFamilies(t *testing.T) {
	e := emptyEvaluator(t)
	noop := CheckFunc(func(context.Context) ([]scoring.Reading, error) { return nil, nil })
	if err := e.Register("sys", time.Second, noop); err != nil {
		t.Fatal(err)
	}
	x := NewExporter(e.Latest)
	AddPredictionFamilies(x)
	reg := prometheus.NewRegistry()
	reg.MustRegister(x)

	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var ev *Evaluation
	for i := range 40 {
		mem := 0.5 + 0.004*float64(i) // warning 0.8 at minute 75, critical 0.95 at 112.5
		ev = e.EvaluateAt(t0.Add(time.Duration(i)*time.Minute), map[string][]scoring.Reading{"sys": {
			{Metric: "memory_used_ratio", Value: mem, Thresholds: ratioTh},
			{Metric: "disk_used_ratio", Resource: "/", Value: 0.3, Thresholds: ratioTh},
		}})
		if i < 15 && !ev.Prediction.Warmup {
			t.Fatalf("minute %d: no warm-up", i)
		}
	}
	if ev.Prediction.Warmup {
		t.Fatal("still warming up after 40 minutes")
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if got[mf.GetName()] == nil {
				got[mf.GetName()] = map[string]float64{}
			}
			got[mf.GetName()][labelsOf(m)] = m.GetGauge().GetValue()
		}
	}
	slope := got["healthmon_metric_slope_per_second"]
	if len(slope) != 1 || math.Abs(slope["component=sys,metric=memory_used_ratio,resource="]-0.004/60) > 1e-12 {
		t.Fatalf("slopes %v", slope)
	}
	breach := got["healthmon_metric_predicted_breach_timestamp_seconds"]
	wantWarn := float64(t0.Add(75 * time.Minute).Unix())
	wantCrit := float64(t0.Add(112*time.Minute + 30*time.Second).Unix())
	if len(breach) != 2 || math.Abs(breach["component=sys,level=warning,metric=memory_used_ratio,resource="]-wantWarn) > 1 ||
		math.Abs(breach["component=sys,level=critical,metric=memory_used_ratio,resource="]-wantCrit) > 1 {
		t.Fatalf("breaches %v, want warning at %v and critical at %v", breach, wantWarn, wantCrit)
	}
	if issues := got["healthmon_predicted_issue"]; len(issues) != 1 || issues["component=sys,kind=threshold_breach,metric=memory_used_ratio,resource="] != 1 {
		t.Fatalf("issues %v", issues)
	}
	if w := got["healthmon_prediction_warmup"]; w[""] != 0 {
		t.Fatalf("warm-up %v", w)
	}
	// The score is flat (excellent, then good at 0.6): not significant
	// before minute 25, and a single step is no trend at all.
	if s, ok := got["healthmon_overall_score_slope_per_second"]; ok {
		t.Fatalf("score slope exposed for a step: %v", s)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) != 0 {
		t.Fatalf("lint: %v %v", err, problems)
	}
	// The real promtool agrees.
	promtool := tools.RequireTool(t, "promtool")
	var text bytes.Buffer
	enc := expfmt.NewEncoder(&text, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = &text
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestStoreCollector(t *testing.T) {
	dir := t.TempDir()
	st := prediction.NewStore(dir, nil)
	c := NewStoreCollector(st)
	if n := testutil.CollectAndCount(c); n != 3 {
		t.Fatalf("%d metrics before any save, want 3", n)
	}
	h := prediction.NewHistory(10)
	h.Add(scoring.NewSnapshot(time.Now(), scoring.DefaultPolicy(), nil))
	if err := st.Save(h); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, prediction.FileName), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _ = st.Restore(prediction.NewHistory(10))
	want := `
# HELP healthmon_history_load_errors_total Saved history files that could not be read back and were moved aside.
# TYPE healthmon_history_load_errors_total counter
healthmon_history_load_errors_total 1
# HELP healthmon_history_save_errors_total Failed saves of the history to the storage path.
# TYPE healthmon_history_save_errors_total counter
healthmon_history_save_errors_total 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "healthmon_history_load_errors_total", "healthmon_history_save_errors_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(c, "healthmon_history_last_save_timestamp_seconds"); n != 1 {
		t.Fatalf("last save timestamp: %d series", n)
	}
}
