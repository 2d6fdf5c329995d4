package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/healthmon/healthmon/prediction"
)

var (
	scoreSlopeDesc = desc("overall_score_slope_per_second",
		"Robust trend of the overall score over the trend window, per second; absent without enough evidence (too few points, or a confidence interval that includes zero).")
	metricSlopeDesc = desc("metric_slope_per_second",
		"Robust trend of a reading over the trend window, in base units per second; absent without enough evidence.", "component", "metric", "resource")
	breachDesc = desc("metric_predicted_breach_timestamp_seconds",
		"Unix time when the reading's trend crosses its warning or critical threshold, extrapolated from its robust current level; absent when the trend is flat, receding or not significant, or the level is already reached.", "component", "metric", "resource", "level")
	predictedIssueDesc = desc("predicted_issue",
		"1 while a predicted issue is active: degradation (component empty, metric overall_score), memory_spike, cpu_spike, load_increase or threshold_breach (within the horizon).", "component", "metric", "resource", "kind")
	predictionWarmupDesc = desc("prediction_warmup",
		"1 while the history holds too few points over the trend window for any prediction, else 0.")

	historyLoadErrorsDesc = prometheus.NewDesc(namespace+"_history_load_errors_total",
		"Saved history files that could not be read back and were moved aside.", nil, nil)
	historySaveErrorsDesc = prometheus.NewDesc(namespace+"_history_save_errors_total",
		"Failed saves of the history to the storage path.", nil, nil)
	historyLastSaveDesc = prometheus.NewDesc(namespace+"_history_last_save_timestamp_seconds",
		"Unix time of the last successful save of the history; absent before the first.", nil, nil)
	historyRestoredDesc = prometheus.NewDesc(namespace+"_history_restored_snapshots",
		"Snapshots restored from the storage path at start.", nil, nil)
)

// AddPredictionFamilies makes the exporter expose the trends and predicted
// issues of each evaluation.
func AddPredictionFamilies(x *Exporter) {
	x.ExtraDescs = append(x.ExtraDescs, scoreSlopeDesc, metricSlopeDesc, breachDesc, predictedIssueDesc, predictionWarmupDesc)
	x.Extra = append(x.Extra, collectPrediction)
}

func collectPrediction(ev *Evaluation, ch chan<- prometheus.Metric) {
	p := ev.Prediction
	if p == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	warm := 0.0
	if p.Warmup {
		warm = 1
	}
	gauge(predictionWarmupDesc, warm)
	if slope, ok := p.ScoreSlope(); ok {
		gauge(scoreSlopeDesc, slope)
	}
	for _, s := range p.Series {
		if s.Trend.Significant {
			gauge(metricSlopeDesc, s.Trend.Slope, s.Component, s.Metric, s.Resource)
		}
		for _, b := range s.Breaches {
			gauge(breachDesc, float64(b.At.UnixNano())/1e9, s.Component, s.Metric, s.Resource, b.Level.String())
		}
	}
	seen := map[[4]string]bool{}
	for _, i := range p.Issues {
		k := [4]string{i.Component, i.Metric, i.Resource, i.Kind}
		if seen[k] {
			continue // one series per issue, whatever its level
		}
		seen[k] = true
		gauge(predictedIssueDesc, 1, k[:]...)
	}
}

// StoreCollector exposes the persistence counters of the history's store.
type StoreCollector struct {
	store *prediction.Store
}

// NewStoreCollector returns a collector of the store's counters.
func NewStoreCollector(s *prediction.Store) *StoreCollector { return &StoreCollector{store: s} }

// Describe implements prometheus.Collector.
func (c *StoreCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- historyLoadErrorsDesc
	ch <- historySaveErrorsDesc
	ch <- historyLastSaveDesc
	ch <- historyRestoredDesc
}

// Collect implements prometheus.Collector.
func (c *StoreCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.store.Stats()
	ch <- prometheus.MustNewConstMetric(historyLoadErrorsDesc, prometheus.CounterValue, float64(s.LoadErrors))
	ch <- prometheus.MustNewConstMetric(historySaveErrorsDesc, prometheus.CounterValue, float64(s.SaveErrors))
	ch <- prometheus.MustNewConstMetric(historyRestoredDesc, prometheus.GaugeValue, float64(s.Restored))
	if !s.LastSave.IsZero() {
		ch <- prometheus.MustNewConstMetric(historyLastSaveDesc, prometheus.GaugeValue, float64(s.LastSave.UnixNano())/1e9)
	}
}
