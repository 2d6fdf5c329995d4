package main

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/prediction"
)

// openStore restores the evaluator's history from dir and saves it after
// every evaluation. An empty dir disables persistence (nil store). A file
// that cannot be read is moved aside by the store and never stops a start.
func openStore(dir string, eval *collector.Evaluator, logger *slog.Logger) *prediction.Store {
	if dir == "" {
		logger.Info("History persistence is disabled (--storage.path is empty)")
		return nil
	}
	store := prediction.NewStore(dir, logger)
	if n, err := store.Restore(eval.History()); err == nil {
		logger.Info("Restored the history", "path", store.Path(), "snapshots", n)
	}
	eval.AfterEvaluation(func(*collector.Evaluation) { saveHistory(store, eval, logger) })
	return store
}

// saveHistory writes the history; a failure is logged and counted, and the
// next evaluation tries again.
func saveHistory(store *prediction.Store, eval *collector.Evaluator, logger *slog.Logger) {
	if store == nil {
		return
	}
	start := time.Now()
	if err := store.Save(eval.History()); err != nil {
		logger.Warn("Cannot save the history", "err", err)
		return
	}
	logger.Debug("Saved the history", "path", store.Path(), "duration", time.Since(start))
}

// storeCollectors returns the store's metrics, none without a store.
func storeCollectors(store *prediction.Store) []prometheus.Collector {
	if store == nil {
		return nil
	}
	return []prometheus.Collector{collector.NewStoreCollector(store)}
}
