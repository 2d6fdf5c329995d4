package collector

import (
	"math"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/healthmon/healthmon/scoring"
)

const namespace = "healthmon"

// refreshed is appended to every HELP text: the values come from the last
// evaluation, not from the scrape.
const refreshed = " Refreshed every evaluation interval, not at scrape."

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(namespace+"_"+name, help+refreshed, labels, nil)
}

var (
	overallScoreDesc  = desc("overall_score", "Weighted health score of all counted components, 0..1.")
	overallStatusDesc = desc("overall_status", "Overall health status as a state set: 1 for the current status, 0 for the others.", "status")

	componentInfoDesc        = desc("component_info", "Configured component and its check kind, always 1.", "component", "kind")
	componentStatusDesc      = desc("component_status", "Component health status as a state set.", "component", "status")
	componentScoreDesc       = desc("component_score", "Score weight of the component's status, 0..1; absent while unknown.", "component")
	componentTransitionsDesc = desc("component_status_transitions_total", "Changes of the component's status since healthmon started.", "component", "from", "to")

	metricValueDesc     = desc("metric_value", "Latest reading of a component's metric, in base units (ratios 0..1, seconds, bytes).", "component", "metric", "resource")
	metricThresholdDesc = desc("metric_threshold", "Configured threshold of a component's metric, by level.", "component", "metric", "resource", "level")
	metricStatusDesc    = desc("metric_status", "Status of a component's metric judged against its thresholds, as a state set.", "component", "metric", "resource", "status")

	checkDurationDesc    = desc("check_duration_seconds", "Duration of the component's last check.", "component")
	checkSuccessDesc     = desc("check_success", "1 if the component's last check ran without error (no timeout, panic or failure), else 0.", "component")
	checkLastSuccessDesc = desc("check_last_success_timestamp_seconds", "Unix time of the component's last check that ran without error.", "component")

	evaluationDurationDesc = desc("evaluation_duration_seconds", "Duration of the last complete evaluation of all components.")
	lastEvaluationDesc     = desc("last_evaluation_timestamp_seconds", "Unix time when the last evaluation started.")
	historySnapshotsDesc   = desc("history_snapshots", "Snapshots held in the history.")
	evaluationIntervalDesc = desc("evaluation_interval_seconds", "Configured time between evaluations.")
)

// Exporter is a prometheus.Collector that exposes the latest evaluation
// with const metrics: a scrape never runs a check.
type Exporter struct {
	latest func() *Evaluation
	// Extra collects families that later stages add (predictions); it may
	// be nil.
	Extra []func(ev *Evaluation, ch chan<- prometheus.Metric)
	// ExtraDescs are the descriptors of Extra's families.
	ExtraDescs []*prometheus.Desc
}

// NewExporter returns an exporter of the evaluations latest returns.
func NewExporter(latest func() *Evaluation) *Exporter {
	return &Exporter{latest: latest}
}

// Describe sends every descriptor, so the registry checks the families.
func (x *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		overallScoreDesc, overallStatusDesc, componentInfoDesc, componentStatusDesc, componentScoreDesc,
		componentTransitionsDesc, metricValueDesc, metricThresholdDesc, metricStatusDesc,
		checkDurationDesc, checkSuccessDesc, checkLastSuccessDesc,
		evaluationDurationDesc, lastEvaluationDesc, historySnapshotsDesc, evaluationIntervalDesc,
	} {
		ch <- d
	}
	for _, d := range x.ExtraDescs {
		ch <- d
	}
}

// Collect sends the metrics of the latest evaluation; nothing before the
// first one.
func (x *Exporter) Collect(ch chan<- prometheus.Metric) {
	ev := x.latest()
	if ev == nil {
		return
	}
	snap := ev.Snapshot
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	stateSet := func(d *prometheus.Desc, current scoring.Status, labels ...string) {
		for _, s := range scoring.Statuses {
			v := 0.0
			if s == current {
				v = 1
			}
			gauge(d, v, append(labels, s.String())...)
		}
	}

	if !math.IsNaN(snap.Score) {
		gauge(overallScoreDesc, snap.Score)
	}
	stateSet(overallStatusDesc, snap.Status)
	gauge(evaluationDurationDesc, snap.Duration.Seconds())
	gauge(lastEvaluationDesc, float64(snap.Time.UnixNano())/1e9)
	gauge(historySnapshotsDesc, float64(ev.HistorySize))
	gauge(evaluationIntervalDesc, ev.Interval.Seconds())

	for _, c := range snap.Components {
		gauge(componentInfoDesc, 1, c.Name, c.Kind)
		stateSet(componentStatusDesc, c.Status, c.Name)
		if !math.IsNaN(c.Score) {
			gauge(componentScoreDesc, c.Score, c.Name)
		}
		gauge(checkDurationDesc, c.Duration.Seconds(), c.Name)
		success := 1.0
		if c.Error != "" {
			success = 0
		}
		gauge(checkSuccessDesc, success, c.Name)
		if t, ok := ev.LastSuccess[c.Name]; ok {
			gauge(checkLastSuccessDesc, float64(t.UnixNano())/1e9, c.Name)
		}
		for _, r := range c.Readings {
			gauge(metricValueDesc, r.Value, c.Name, r.Metric, r.Resource)
			for _, lvl := range []scoring.Status{scoring.StatusExcellent, scoring.StatusWarning, scoring.StatusCritical} {
				if v, ok := r.Thresholds.LevelOf(lvl); ok {
					gauge(metricThresholdDesc, v, c.Name, r.Metric, r.Resource, lvl.String())
				}
			}
			if r.Judged() {
				stateSet(metricStatusDesc, r.Status, c.Name, r.Metric, r.Resource)
			}
		}
	}
	for k, v := range ev.Transitions {
		ch <- prometheus.MustNewConstMetric(componentTransitionsDesc, prometheus.CounterValue, float64(v), k.Component, k.From.String(), k.To.String())
	}
	for _, f := range x.Extra {
		f(ev, ch)
	}
}
