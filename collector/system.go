package collector

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

func init() { registerKind("system", newSystemCheck) }

// systemCheck reads the host's memory, CPU, disk and load with gopsutil
// (which honours HOST_PROC, HOST_SYS and HOST_ROOT for containers).
type systemCheck struct {
	mounts []string

	// CPU use is the difference of CPU times between two checks, so no
	// check ever sleeps to measure; the first check has no value yet.
	mu      sync.Mutex
	lastCPU *cpu.TimesStat
}

func newSystemCheck(c *config.Component, _ *slog.Logger) (Check, error) {
	return &systemCheck{mounts: c.System.MountPoints}, nil
}

const (
	adviceMemory = "Find the processes holding the most memory (ps aux --sort=-rss | head) and look for leaks or runaway caches; add memory or move work elsewhere if the load is legitimate."
	adviceCPU    = "Find what is using the CPU (top, pidstat 5) and whether it is expected; throttle or move batch work, or add cores."
	adviceDisk   = "Free space on this filesystem: find the largest directories (du -xh --max-depth=2 | sort -h | tail), rotate or delete old logs and data, or grow the volume."
	adviceLoad   = "The run queue is longer than the cores can serve: look for processes in R or D state (ps -eo stat,pid,cmd | grep '^[RD]'), slow disks (iostat -x) or too many concurrent jobs."
)

func (s *systemCheck) Check(ctx context.Context) ([]scoring.Reading, error) {
	var readings []scoring.Reading
	// failed maps a part of the host (memory, cpu, load) to why it could
	// not be read.
	failed := map[string]error{}

	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		failed["memory"] = err
	} else if vm.Total > 0 {
		readings = append(readings,
			scoring.Reading{Metric: config.MetricMemoryUsedRatio, Value: 1 - float64(vm.Available)/float64(vm.Total), Unit: scoring.UnitRatio, Advice: adviceMemory},
			scoring.Reading{Metric: config.MetricMemoryAvailableBytes, Value: float64(vm.Available), Unit: scoring.UnitBytes, Advice: adviceMemory},
		)
	}

	cores, err := cpu.CountsWithContext(ctx, true)
	if err != nil || cores < 1 {
		cores = runtime.NumCPU()
	}
	readings = append(readings, scoring.Reading{Metric: config.MetricCPUCores, Value: float64(cores)})

	cpuRatio, err := s.cpuUsed(ctx)
	if err != nil {
		failed["cpu"] = err
	} else {
		readings = append(readings, scoring.Reading{Metric: config.MetricCPUUsedRatio, Value: cpuRatio, Unit: scoring.UnitRatio, Advice: adviceCPU})
	}

	for _, m := range s.mounts {
		used := scoring.Reading{Metric: config.MetricDiskUsedRatio, Resource: m, Unit: scoring.UnitRatio, Advice: adviceDisk}
		free := scoring.Reading{Metric: config.MetricDiskFreeBytes, Resource: m, Unit: scoring.UnitBytes, Advice: adviceDisk}
		u, err := disk.UsageWithContext(ctx, m)
		switch {
		case err != nil:
			used.Value, used.Error = math.NaN(), fmt.Sprintf("mount point %s: %v", m, err)
			free.Value = math.NaN()
		case u.Used+u.Free == 0:
			used.Value, used.Error = math.NaN(), fmt.Sprintf("mount point %s: filesystem reports no blocks", m)
			free.Value = math.NaN()
		default:
			used.Value = float64(u.Used) / float64(u.Used+u.Free)
			free.Value = float64(u.Free)
		}
		readings = append(readings, used, free)
	}

	avg, err := load.AvgWithContext(ctx)
	if err != nil {
		failed["load"] = err
	} else {
		readings = append(readings,
			scoring.Reading{Metric: config.MetricLoad1, Value: avg.Load1},
			scoring.Reading{Metric: config.MetricLoad5, Value: avg.Load5},
			scoring.Reading{Metric: config.MetricLoad15, Value: avg.Load15},
			scoring.Reading{Metric: config.MetricLoadPerCore, Value: avg.Load5 / float64(cores), Advice: adviceLoad},
		)
	}

	// Uptime tells a recent reboot; it is informational unless thresholds
	// are set, and its absence fails nothing.
	if up, err := host.UptimeWithContext(ctx); err == nil {
		readings = append(readings, scoring.Reading{Metric: config.MetricUptimeSeconds, Value: float64(up), Unit: scoring.UnitSeconds})
	}

	if len(failed) == 3 {
		return readings, fmt.Errorf("no host readings: memory: %v; cpu: %v; load: %v", failed["memory"], failed["cpu"], failed["load"])
	}
	// A partial failure keeps what was read and fails the part that was not.
	for _, part := range []string{"memory", "cpu", "load"} {
		if err := failed[part]; err != nil {
			readings = append(readings, scoring.Reading{Metric: "read_error", Resource: part, Value: math.NaN(), Error: err.Error()})
		}
	}
	return readings, ctx.Err()
}

// cpuUsed returns the busy share of all CPUs since the previous call, NaN on
// the first.
func (s *systemCheck) cpuUsed(ctx context.Context) (float64, error) {
	times, err := cpu.TimesWithContext(ctx, false)
	if err != nil {
		return 0, err
	}
	if len(times) == 0 {
		return 0, fmt.Errorf("no CPU times reported")
	}
	now := times[0]
	s.mu.Lock()
	prev := s.lastCPU
	s.lastCPU = &now
	s.mu.Unlock()
	if prev == nil {
		return math.NaN(), nil
	}
	prevAll, prevBusy := cpuBusy(*prev)
	nowAll, nowBusy := cpuBusy(now)
	if nowAll <= prevAll {
		// No time elapsed in the counters' resolution: no new value.
		return math.NaN(), nil
	}
	return math.Min(1, math.Max(0, (nowBusy-prevBusy)/(nowAll-prevAll))), nil
}

// cpuBusy returns all and busy CPU seconds; guest time is already counted in
// user time on Linux, so it is not added twice.
func cpuBusy(t cpu.TimesStat) (all, busy float64) {
	all = t.User + t.System + t.Idle + t.Nice + t.Iowait + t.Irq + t.Softirq + t.Steal
	return all, all - t.Idle - t.Iowait
}
