package collector

import (
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// TestProcessCollectorMatchesClientGolang: the same names, types and help
// as client_golang's process collector, and values of this process.
func TestProcessCollectorMatchesClientGolang(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	ours := prometheus.NewPedanticRegistry()
	ours.MustRegister(NewProcessCollector())
	theirs := prometheus.NewRegistry()
	theirs.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	got, err := ours.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want, err := theirs.Gather()
	if err != nil {
		t.Fatal(err)
	}
	ref := map[string]string{}
	for _, mf := range want {
		ref[mf.GetName()] = mf.GetType().String() + " " + mf.GetHelp()
	}
	if len(got) != 7 {
		t.Errorf("%d families, want 7", len(got))
	}
	for _, mf := range got {
		if r, ok := ref[mf.GetName()]; !ok || r != mf.GetType().String()+" "+mf.GetHelp() {
			t.Errorf("%s: %s %q differs from client_golang's %q", mf.GetName(), mf.GetType(), mf.GetHelp(), r)
		}
		if strings.HasPrefix(mf.GetName(), "process_network") {
			t.Errorf("%s exposed", mf.GetName())
		}
	}
	values := map[string]float64{}
	for _, mf := range got {
		m := mf.GetMetric()[0]
		values[mf.GetName()] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
	}
	for name, min := range map[string]float64{"process_resident_memory_bytes": 1 << 20, "process_open_fds": 3, "process_max_fds": 3, "process_start_time_seconds": 1e9} {
		if values[name] < min {
			t.Errorf("%s = %v, want at least %v", name, values[name], min)
		}
	}
}
