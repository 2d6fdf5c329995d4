package collector

import (
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/procfs"
)

// ProcessCollector exposes healthmon's own process_* metrics, the standard
// names of client_golang's process collector, at less cost per scrape: the
// start time is read once (it cannot change), and the network-namespace
// counters (process_network_*), which describe the whole namespace rather
// than this process and cost a read of /proc/self/net/netstat, are left
// out. Where /proc is not there it exposes nothing.
type ProcessCollector struct {
	proc      procfs.Proc
	ok        bool
	startTime float64

	cpu, rss, vsize, maxVsize, fds, maxFDs, start *prometheus.Desc
}

// NewProcessCollector returns the collector of this process's metrics.
func NewProcessCollector() *ProcessCollector {
	c := &ProcessCollector{
		cpu:      prometheus.NewDesc("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", nil, nil),
		rss:      prometheus.NewDesc("process_resident_memory_bytes", "Resident memory size in bytes.", nil, nil),
		vsize:    prometheus.NewDesc("process_virtual_memory_bytes", "Virtual memory size in bytes.", nil, nil),
		maxVsize: prometheus.NewDesc("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.", nil, nil),
		fds:      prometheus.NewDesc("process_open_fds", "Number of open file descriptors.", nil, nil),
		maxFDs:   prometheus.NewDesc("process_max_fds", "Maximum number of open file descriptors.", nil, nil),
		start:    prometheus.NewDesc("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", nil, nil),
	}
	p, err := procfs.NewProc(os.Getpid())
	if err != nil {
		return c
	}
	stat, err := p.Stat()
	if err != nil {
		return c
	}
	start, err := stat.StartTime()
	if err != nil {
		return c
	}
	c.proc, c.ok, c.startTime = p, true, start
	return c
}

// Describe implements prometheus.Collector.
func (c *ProcessCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.cpu, c.rss, c.vsize, c.maxVsize, c.fds, c.maxFDs, c.start} {
		ch <- d
	}
}

// Collect implements prometheus.Collector; a file that cannot be read
// leaves its metrics out, as client_golang's collector does by default.
func (c *ProcessCollector) Collect(ch chan<- prometheus.Metric) {
	if !c.ok {
		return
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	gauge(c.start, c.startTime)
	if stat, err := c.proc.Stat(); err == nil {
		ch <- prometheus.MustNewConstMetric(c.cpu, prometheus.CounterValue, stat.CPUTime())
		gauge(c.rss, float64(stat.ResidentMemory()))
		gauge(c.vsize, float64(stat.VirtualMemory()))
	}
	if n, err := c.proc.FileDescriptorsLen(); err == nil {
		gauge(c.fds, float64(n))
	}
	if limits, err := c.proc.Limits(); err == nil {
		gauge(c.maxFDs, float64(limits.OpenFiles))
		gauge(c.maxVsize, float64(limits.AddressSpace))
	}
}
