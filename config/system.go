package config

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/healthmon/healthmon/scoring"
)

// SystemConfig configures the host resource check (CPU, memory, disk, load).
type SystemConfig struct {
	// MountPoints whose disk usage is checked; default ["/"].
	MountPoints []string `yaml:"mount_points"`
}

// The system kind's metrics.
const (
	MetricMemoryUsedRatio      = "memory_used_ratio"
	MetricMemoryAvailableBytes = "memory_available_bytes"
	MetricCPUUsedRatio         = "cpu_used_ratio"
	MetricCPUCores             = "cpu_cores"
	MetricDiskUsedRatio        = "disk_used_ratio"
	MetricDiskFreeBytes        = "disk_free_bytes"
	MetricLoad1                = "load1"
	MetricLoad5                = "load5"
	MetricLoad15               = "load15"
	MetricLoadPerCore          = "load_per_core"
	MetricUptimeSeconds        = "uptime_seconds"
)

var nan = math.NaN()

// systemDefaults are the system kind's default thresholds: memory 80%/95% as
// in the seed; the others chosen so that a busy host warns before it
// suffers, and an idle one scores excellent.
var systemDefaults = map[string]*Threshold{
	MetricMemoryUsedRatio:      th(scoring.HigherIsWorse, 0.60, 0.80, 0.95),
	MetricMemoryAvailableBytes: th(scoring.LowerIsWorse, nan, nan, nan),
	MetricCPUUsedRatio:         th(scoring.HigherIsWorse, 0.50, 0.85, 0.95),
	MetricCPUCores:             th(scoring.LowerIsWorse, nan, nan, nan),
	MetricDiskUsedRatio:        th(scoring.HigherIsWorse, 0.70, 0.85, 0.95),
	MetricDiskFreeBytes:        th(scoring.LowerIsWorse, nan, nan, nan),
	MetricLoad1:                th(scoring.HigherIsWorse, nan, nan, nan),
	MetricLoad5:                th(scoring.HigherIsWorse, nan, nan, nan),
	MetricLoad15:               th(scoring.HigherIsWorse, nan, nan, nan),
	MetricLoadPerCore:          th(scoring.HigherIsWorse, 0.70, 1.50, 3.00),
	MetricUptimeSeconds:        th(scoring.LowerIsWorse, nan, nan, nan),
}

func init() {
	registerKind("system", kindSpec{
		present:      func(c *Component) bool { return c.System != nil },
		prepare:      prepareSystem,
		defaults:     systemDefaults,
		fixedMetrics: true,
	})
}

func prepareSystem(c *Component) error {
	if c.System == nil {
		c.System = &SystemConfig{}
	}
	if len(c.System.MountPoints) == 0 {
		c.System.MountPoints = []string{"/"}
	}
	seen := map[string]bool{}
	for _, m := range c.System.MountPoints {
		if !filepath.IsAbs(m) {
			return fmt.Errorf("mount_points: %q is not an absolute path", m)
		}
		if seen[m] {
			return fmt.Errorf("mount_points: %q is listed twice", m)
		}
		seen[m] = true
	}
	return nil
}
