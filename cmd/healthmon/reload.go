package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/healthmon/healthmon/collector"
)

// reloader reloads the configuration file on SIGHUP and POST /-/reload: the
// new file is parsed, validated and its checks built before anything is
// swapped; on any error the running configuration stays.
type reloader struct {
	path   string
	eval   *collector.Evaluator
	logger *slog.Logger

	mu          sync.Mutex
	successful  bool
	lastSuccess time.Time
}

var (
	reloadSuccessfulDesc = prometheus.NewDesc("healthmon_config_last_reload_successful",
		"1 if the last configuration load or reload succeeded, else 0.", nil, nil)
	reloadTimestampDesc = prometheus.NewDesc("healthmon_config_last_reload_success_timestamp_seconds",
		"Unix time of the last successful configuration load or reload.", nil, nil)
)

func newReloader(path string, eval *collector.Evaluator, logger *slog.Logger) *reloader {
	return &reloader{path: path, eval: eval, logger: logger, successful: true, lastSuccess: time.Now()}
}

// Reload loads the file again and applies it whole, or keeps the old one.
func (r *reloader) Reload(_ context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.apply()
	if err != nil {
		r.successful = false
		r.logger.Error("Configuration reload failed; the previous configuration keeps running", "err", err)
		return err
	}
	r.successful = true
	r.lastSuccess = time.Now()
	r.logger.Info("Configuration reloaded", "config", configName(r.path))
	return nil
}

func (r *reloader) apply() error {
	cfg, err := loadConfig(r.path)
	if err != nil {
		return err
	}
	if err := r.eval.Apply(cfg); err != nil {
		return fmt.Errorf("%s: %w", configName(r.path), err)
	}
	return nil
}

// Describe implements prometheus.Collector.
func (r *reloader) Describe(ch chan<- *prometheus.Desc) {
	ch <- reloadSuccessfulDesc
	ch <- reloadTimestampDesc
}

// Collect implements prometheus.Collector.
func (r *reloader) Collect(ch chan<- prometheus.Metric) {
	r.mu.Lock()
	ok, at := r.successful, r.lastSuccess
	r.mu.Unlock()
	v := 0.0
	if ok {
		v = 1
	}
	ch <- prometheus.MustNewConstMetric(reloadSuccessfulDesc, prometheus.GaugeValue, v)
	ch <- prometheus.MustNewConstMetric(reloadTimestampDesc, prometheus.GaugeValue, float64(at.UnixNano())/1e9)
}
