package collector

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/healthmon/healthmon/scoring"
)

func TestExporterNothingBeforeFirstEvaluation(t *testing.T) {
	e := emptyEvaluator(t)
	if n := testutil.CollectAndCount(NewExporter(e.Latest)); n != 0 {
		t.Fatalf("%d metrics before the first evaluation", n)
	}
}

// TestExporterExposition compares the full exposition of a known state.
func TestExporterExposition(t *testing.T) {
	e := emptyEvaluator(t)
	at := time.Unix(1700000000, 0)
	e.now = func() time.Time { return at }
	if err := e.Register("api", time.Second, CheckFunc(func(context.Context) ([]scoring.Reading, error) {
		return nil, errors.New("connection refused")
	})); err != nil {
		t.Fatal(err)
	}
	if err := e.Register("disk", time.Second, fixed(
		scoring.Reading{Metric: "used_ratio", Resource: "/", Value: 0.9, Unit: scoring.UnitRatio, Thresholds: ratioTh},
		scoring.Reading{Metric: "free_bytes", Resource: "/", Value: 1024, Unit: scoring.UnitBytes},
		scoring.Reading{Metric: "cpu_ratio", Value: math.NaN(), Thresholds: scoring.Thresholds{Warning: scoring.Level(0.8)}},
	)); err != nil {
		t.Fatal(err)
	}
	e.Evaluate(context.Background())

	want := `
# HELP healthmon_check_last_success_timestamp_seconds Unix time of the component's last check that ran without error. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_check_last_success_timestamp_seconds gauge
healthmon_check_last_success_timestamp_seconds{component="disk"} 1.7e+09
# HELP healthmon_check_success 1 if the component's last check ran without error (no timeout, panic or failure), else 0. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_check_success gauge
healthmon_check_success{component="api"} 0
healthmon_check_success{component="disk"} 1
# HELP healthmon_component_score Score weight of the component's status, 0..1; absent while unknown. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_component_score gauge
healthmon_component_score{component="api"} 0
healthmon_component_score{component="disk"} 0.5
# HELP healthmon_component_status Component health status as a state set. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_component_status gauge
healthmon_component_status{component="api",status="critical"} 0
healthmon_component_status{component="api",status="excellent"} 0
healthmon_component_status{component="api",status="failing"} 1
healthmon_component_status{component="api",status="good"} 0
healthmon_component_status{component="api",status="unknown"} 0
healthmon_component_status{component="api",status="warning"} 0
healthmon_component_status{component="disk",status="critical"} 0
healthmon_component_status{component="disk",status="excellent"} 0
healthmon_component_status{component="disk",status="failing"} 0
healthmon_component_status{component="disk",status="good"} 0
healthmon_component_status{component="disk",status="unknown"} 0
healthmon_component_status{component="disk",status="warning"} 1
# HELP healthmon_metric_status Status of a component's metric judged against its thresholds, as a state set. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_metric_status gauge
healthmon_metric_status{component="disk",metric="cpu_ratio",resource="",status="critical"} 0
healthmon_metric_status{component="disk",metric="cpu_ratio",resource="",status="excellent"} 0
healthmon_metric_status{component="disk",metric="cpu_ratio",resource="",status="failing"} 0
healthmon_metric_status{component="disk",metric="cpu_ratio",resource="",status="good"} 0
healthmon_metric_status{component="disk",metric="cpu_ratio",resource="",status="unknown"} 1
healthmon_metric_status{component="disk",metric="cpu_ratio",resource="",status="warning"} 0
healthmon_metric_status{component="disk",metric="used_ratio",resource="/",status="critical"} 0
healthmon_metric_status{component="disk",metric="used_ratio",resource="/",status="excellent"} 0
healthmon_metric_status{component="disk",metric="used_ratio",resource="/",status="failing"} 0
healthmon_metric_status{component="disk",metric="used_ratio",resource="/",status="good"} 0
healthmon_metric_status{component="disk",metric="used_ratio",resource="/",status="unknown"} 0
healthmon_metric_status{component="disk",metric="used_ratio",resource="/",status="warning"} 1
# HELP healthmon_metric_threshold Configured threshold of a component's metric, by level. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_metric_threshold gauge
healthmon_metric_threshold{component="disk",level="critical",metric="used_ratio",resource="/"} 0.95
healthmon_metric_threshold{component="disk",level="excellent",metric="used_ratio",resource="/"} 0.5
healthmon_metric_threshold{component="disk",level="warning",metric="cpu_ratio",resource=""} 0.8
healthmon_metric_threshold{component="disk",level="warning",metric="used_ratio",resource="/"} 0.8
# HELP healthmon_metric_value Latest reading of a component's metric, in base units (ratios 0..1, seconds, bytes). Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_metric_value gauge
healthmon_metric_value{component="disk",metric="cpu_ratio",resource=""} NaN
healthmon_metric_value{component="disk",metric="free_bytes",resource="/"} 1024
healthmon_metric_value{component="disk",metric="used_ratio",resource="/"} 0.9
# HELP healthmon_overall_score Weighted health score of all counted components, 0..1. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_overall_score gauge
healthmon_overall_score 0.25
# HELP healthmon_overall_status Overall health status as a state set: 1 for the current status, 0 for the others. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_overall_status gauge
healthmon_overall_status{status="critical"} 0
healthmon_overall_status{status="excellent"} 0
healthmon_overall_status{status="failing"} 1
healthmon_overall_status{status="good"} 0
healthmon_overall_status{status="unknown"} 0
healthmon_overall_status{status="warning"} 0
# HELP healthmon_last_evaluation_timestamp_seconds Unix time when the last evaluation started. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_last_evaluation_timestamp_seconds gauge
healthmon_last_evaluation_timestamp_seconds 1.7e+09
# HELP healthmon_history_snapshots Snapshots held in the history. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_history_snapshots gauge
healthmon_history_snapshots 1
# HELP healthmon_evaluation_interval_seconds Configured time between evaluations. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_evaluation_interval_seconds gauge
healthmon_evaluation_interval_seconds 60
# HELP healthmon_component_info Configured component and its check kind, always 1. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_component_info gauge
healthmon_component_info{component="api",kind="go"} 1
healthmon_component_info{component="disk",kind="go"} 1
`
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewExporter(e.Latest))
	names := []string{
		"healthmon_check_last_success_timestamp_seconds", "healthmon_check_success", "healthmon_component_score",
		"healthmon_component_status", "healthmon_metric_status", "healthmon_metric_threshold", "healthmon_metric_value",
		"healthmon_overall_score", "healthmon_overall_status", "healthmon_last_evaluation_timestamp_seconds",
		"healthmon_history_snapshots", "healthmon_component_info", "healthmon_evaluation_interval_seconds",
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	// Every family is there, and the pedantic registry finds nothing wrong.
	if n, err := testutil.GatherAndCount(reg); err != nil || n == 0 {
		t.Fatalf("gather: %d %v", n, err)
	}
	lint, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range lint {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
