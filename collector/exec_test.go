package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/healthmon/healthmon/config"
	tools "github.com/healthmon/healthmon/internal/testutil"
	"github.com/healthmon/healthmon/scoring"
)

const pluginDir = "/usr/lib/nagios/plugins"

// plugin returns the path of a monitoring-plugins-basic plugin; it skips
// the test when the plugin is missing, or fails under make test.
func plugin(t *testing.T, name string) string {
	t.Helper()
	return tools.RequireTool(t, filepath.Join(pluginDir, name))
}

// script returns the absolute path of a test plugin in testdata/exec.
func script(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "exec", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// yamlList renders argv as a YAML flow list of quoted strings.
func yamlList(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = strconv.Quote(a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// evalExec builds an evaluator for one exec component from the YAML of
// its exec block (and anything after it, indented for the component),
// evaluates once and returns the component's health.
func evalExec(t *testing.T, block string, logger *slog.Logger) (scoring.ComponentHealth, *Evaluator) {
	t.Helper()
	cfg, err := config.Parse([]byte("global: {timeout: 20s}\ncomponents:\n  - name: plugin\n    kind: exec\n" + block))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, block)
	}
	e, err := NewEvaluator(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	ev := e.Evaluate(context.Background())
	h, ok := ev.Snapshot.Component("plugin")
	if !ok {
		t.Fatal("component plugin missing from the snapshot")
	}
	return h, e
}

func reading(t *testing.T, h scoring.ComponentHealth, metric string) scoring.Reading {
	t.Helper()
	for _, r := range h.Readings {
		if r.Metric == metric {
			return r
		}
	}
	var names []string
	for _, r := range h.Readings {
		names = append(names, r.Metric)
	}
	t.Fatalf("no reading %s; have %v", metric, names)
	return scoring.Reading{}
}

func TestExecCheckDummyExitCodes(t *testing.T) {
	dummy := plugin(t, "check_dummy")
	tests := []struct {
		code   string
		text   string
		status scoring.Status
		// wantIn is text that must appear in the issues or the
		// recommendations: the plugin's first line.
		wantIn string
	}{
		{"0", "all fine", scoring.StatusGood, ""},
		{"1", "queue is long", scoring.StatusWarning, "WARNING: queue is long"},
		{"2", "disk is failing", scoring.StatusCritical, "CRITICAL: disk is failing"},
		{"3", "cannot tell", scoring.StatusFailing, "plugin " + dummy + " exited with 3 (UNKNOWN): UNKNOWN: cannot tell"},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			h, _ := evalExec(t, "    exec:\n      command: "+yamlList([]string{dummy, tc.code, tc.text})+"\n", nil)
			if h.Status != tc.status {
				t.Fatalf("status %s, want %s (issues %q, error %q)", h.Status, tc.status, h.Issues, h.Error)
			}
			ec := reading(t, h, "exit_code")
			if want, _ := strconv.Atoi(tc.code); ec.Value != float64(want) {
				t.Errorf("exit_code = %g, want %d", ec.Value, want)
			}
			all := strings.Join(append(append([]string{}, h.Issues...), h.Recommendations...), "\n")
			if tc.wantIn == "" {
				if len(h.Issues) != 0 {
					t.Errorf("issues for an OK plugin: %q", h.Issues)
				}
				return
			}
			if !strings.Contains(all, tc.wantIn) {
				t.Errorf("issues and recommendations do not carry the plugin's text %q:\n%s", tc.wantIn, all)
			}
			if tc.status == scoring.StatusFailing && !strings.Contains(h.Error, tc.wantIn) {
				t.Errorf("error %q, want %q", h.Error, tc.wantIn)
			}
		})
	}
}

func TestExecCheckExitCodeMapping(t *testing.T) {
	dummy := plugin(t, "check_dummy")
	block := "    exec:\n      command: " + yamlList([]string{dummy, "1", "degraded"}) + "\n      exit_codes: {0: excellent, 1: critical}\n"
	h, _ := evalExec(t, block, nil)
	if h.Status != scoring.StatusCritical {
		t.Fatalf("status %s, want critical by the mapping", h.Status)
	}
	// Exit code 2 is still critical, 3 still failing: the mapping merges over
	// the default.
	block = "    exec:\n      command: " + yamlList([]string{dummy, "0", "fine"}) + "\n      exit_codes: {0: excellent}\n"
	if h, _ = evalExec(t, block, nil); h.Status != scoring.StatusExcellent {
		t.Fatalf("status %s, want excellent", h.Status)
	}
}

func TestExecCheckLoad(t *testing.T) {
	load := plugin(t, "check_load")
	// Thresholds no host reaches: OK, and the perfdata carries them.
	h, _ := evalExec(t, "    exec:\n      command: "+yamlList([]string{load, "-w", "1000,1000,1000", "-c", "2000,2000,2000"})+"\n", nil)
	if h.Status != scoring.StatusGood {
		t.Fatalf("status %s, want good (%q)", h.Status, h.Issues)
	}
	for _, m := range []string{"load1", "load5", "load15"} {
		r := reading(t, h, m)
		if math.IsNaN(r.Value) || r.Value < 0 || r.Unit != scoring.UnitNone {
			t.Errorf("%s = %g %q", m, r.Value, r.Unit)
		}
		th := r.Thresholds
		if th.Direction != scoring.HigherIsWorse || th.Warning == nil || th.Critical == nil {
			t.Fatalf("%s thresholds = %+v", m, th)
		}
		if *th.Warning <= 1000 || *th.Warning > 1000.0001 || *th.Critical <= 2000 || *th.Critical > 2000.0001 {
			t.Errorf("%s thresholds = %g/%g, want just beyond 1000/2000 (-w/-c)", m, *th.Warning, *th.Critical)
		}
		if r.Status != scoring.StatusGood {
			t.Errorf("%s status %s", m, r.Status)
		}
	}

	// -w 0 warns whenever the load is above 0, and healthmon agrees with the
	// plugin on every reading.
	h, _ = evalExec(t, "    exec:\n      command: "+yamlList([]string{load, "-w", "0,0,0", "-c", "1000,1000,1000"})+"\n", nil)
	anyAbove := false
	for _, m := range []string{"load1", "load5", "load15"} {
		r := reading(t, h, m)
		want := scoring.StatusGood
		if r.Value > 0 {
			want, anyAbove = scoring.StatusWarning, true
		}
		if r.Status != want {
			t.Errorf("%s = %g judged %s, want %s", m, r.Value, r.Status, want)
		}
	}
	ec := reading(t, h, "exit_code")
	if anyAbove && (ec.Value != 1 || h.Status != scoring.StatusWarning) {
		t.Errorf("load above 0 but exit_code %g, component %s", ec.Value, h.Status)
	}

	// Thresholds in the configuration replace the plugin's, by metric.
	h, _ = evalExec(t, "    exec:\n      command: "+yamlList([]string{load, "-w", "1000,1000,1000", "-c", "2000,2000,2000"})+
		"\n    thresholds:\n      load1: {warning: 0, critical: 5000}\n", nil)
	r := reading(t, h, "load1")
	if r.Thresholds.Warning == nil || *r.Thresholds.Warning != 0 || *r.Thresholds.Critical != 5000 {
		t.Errorf("load1 thresholds = %+v, want the configured 0/5000", r.Thresholds)
	}
	if r.Status != scoring.StatusWarning {
		t.Errorf("load1 %g under warning 0 is %s", r.Value, r.Status)
	}
}

func TestExecCheckDisk(t *testing.T) {
	disk := plugin(t, "check_disk")
	var st syscall.Statfs_t
	if err := syscall.Statfs("/", &st); err != nil {
		t.Fatal(err)
	}
	size := float64(st.Blocks) * float64(st.Frsize)
	// Percent thresholds on free space become byte thresholds on used space.
	h, _ := evalExec(t, "    exec:\n      command: "+yamlList([]string{disk, "-w", "1%", "-c", "0%", "-W", "1%", "-K", "0%", "-P", "-p", "/"})+"\n", nil)
	if h.Status == scoring.StatusFailing {
		t.Fatalf("check_disk failed: %s", h.Error)
	}
	used := reading(t, h, "root_bytes")
	if used.Unit != scoring.UnitBytes {
		t.Errorf("root_bytes unit %q", used.Unit)
	}
	wantUsed := float64(st.Blocks-st.Bfree) * float64(st.Frsize)
	// Within the root reserve, which check_disk may count as used: a unit
	// read wrong (1000 for 1024) would be far off.
	if math.Abs(used.Value-wantUsed) > 0.06*size {
		t.Errorf("root_bytes = %.0f, statfs says about %.0f used of %.0f", used.Value, wantUsed, size)
	}
	th := used.Thresholds
	if th.Direction != scoring.HigherIsWorse || th.Warning == nil || th.Critical == nil {
		t.Fatalf("root_bytes thresholds = %+v", th)
	}
	// check_disk counts the percentages of the space users can have.
	if r := *th.Warning / size; r < 0.9 || r > 1 {
		t.Errorf("warning at %.0f bytes is %.3f of the file system, want about 0.99 (1%% free)", *th.Warning, r)
	}
	if *th.Critical <= *th.Warning {
		t.Errorf("critical %g not above warning %g", *th.Critical, *th.Warning)
	}
	inodes := reading(t, h, "root_inodes")
	if inodes.Unit != scoring.UnitNone || inodes.Value <= 0 || inodes.Thresholds.Warning == nil {
		t.Errorf("root_inodes = %+v", inodes)
	}
	// Consistency with the plugin: the readings are judged as it judges.
	if ec := reading(t, h, "exit_code"); ec.Value == 0 && (used.Status != scoring.StatusGood || h.Status != scoring.StatusGood) {
		t.Errorf("plugin OK but root_bytes %s, component %s (%q)", used.Status, h.Status, h.Issues)
	}

	// A mount point that does not exist: check_disk's own error.
	h, _ = evalExec(t, "    exec:\n      command: "+yamlList([]string{disk, "-w", "10%", "-c", "5%", "-p", "/no/such/mount"})+"\n", nil)
	if h.Status != scoring.StatusCritical && h.Status != scoring.StatusFailing {
		t.Errorf("missing mount point: status %s (%s)", h.Status, h.Error)
	}
}

func TestExecCheckProcs(t *testing.T) {
	procs := plugin(t, "check_procs")
	// Two-sided ranges: no level with a direction expresses them; the exit
	// code judges.
	h, _ := evalExec(t, "    exec:\n      command: "+yamlList([]string{procs, "-w", "1:100000", "-c", "1:200000"})+"\n", nil)
	if h.Status != scoring.StatusGood {
		t.Fatalf("status %s (%q %s)", h.Status, h.Issues, h.Error)
	}
	r := reading(t, h, "procs")
	if r.Value < 1 || r.Thresholds.Defined() {
		t.Errorf("procs = %g with thresholds %+v, want a count without thresholds", r.Value, r.Thresholds)
	}
	// A process that does not exist, with at least one required: critical,
	// by the plugin and by the reading (lower_is_worse below 1).
	h, _ = evalExec(t, "    exec:\n      command: "+yamlList([]string{procs, "-c", "1:", "-C", "no-such-process-healthmon"})+"\n", nil)
	if h.Status != scoring.StatusCritical {
		t.Fatalf("status %s, want critical", h.Status)
	}
	r = reading(t, h, "procs")
	if r.Value != 0 || r.Status != scoring.StatusCritical || r.Thresholds.Direction != scoring.LowerIsWorse {
		t.Errorf("procs = %g %s %+v", r.Value, r.Status, r.Thresholds)
	}
	if !strings.Contains(strings.Join(h.Issues, " "), "PROCS CRITICAL: 0 processes with command name 'no-such-process-healthmon'") {
		t.Errorf("issues do not carry the plugin's text: %q", h.Issues)
	}
}

// TestExecCheckTCPSeconds: check_tcp against a loopback listener reports
// its time in s; refused is critical.
func TestExecCheckTCPSeconds(t *testing.T) {
	tcp := plugin(t, "check_tcp")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	h, _ := evalExec(t, "    exec:\n      command: "+yamlList([]string{tcp, "-H", "127.0.0.1", "-p", port, "-w", "5", "-c", "9"})+"\n", nil)
	if h.Status != scoring.StatusGood {
		t.Fatalf("status %s (%q)", h.Status, h.Issues)
	}
	r := reading(t, h, "time_seconds")
	if r.Unit != scoring.UnitSeconds || r.Value < 0 || r.Value > 5 || r.Thresholds.Warning == nil {
		t.Errorf("time_seconds = %+v", r)
	}
	ln.Close()
	h, _ = evalExec(t, "    exec:\n      command: "+yamlList([]string{tcp, "-H", "127.0.0.1", "-p", port})+"\n", nil)
	if h.Status != scoring.StatusCritical || !strings.Contains(strings.Join(h.Issues, " "), "Connection refused") {
		t.Errorf("refused: %s %q", h.Status, h.Issues)
	}
}

func TestExecCheckPerfdataUnitsAndLongText(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, _ := evalExec(t, "    exec:\n      command: ["+script(t, "perfdata.sh")+"]\n", logger)
	if h.Status != scoring.StatusCritical {
		// rta 250 ms is beyond its crit 200 ms.
		t.Errorf("status %s, want critical from rta (%q)", h.Status, h.Issues)
	}
	tests := []struct {
		metric string
		value  float64
		unit   string
		status scoring.Status
	}{
		{"exit_code", 1, "", scoring.StatusWarning},
		{"rta_seconds", 0.25, scoring.UnitSeconds, scoring.StatusCritical},
		{"loss_ratio", 0.25, scoring.UnitRatio, scoring.StatusWarning},
		{"free_space_bytes", 2 << 30, scoring.UnitBytes, scoring.StatusGood},
		{"hits_total", 42, "", scoring.StatusGood},
		{"cpu_seconds", 0.5, scoring.UnitSeconds, scoring.StatusGood},
		{"band", 15, "", scoring.StatusGood},
		{"ok_item_bytes", 1024, scoring.UnitBytes, scoring.StatusGood},
	}
	for _, tc := range tests {
		r := reading(t, h, tc.metric)
		if math.Abs(r.Value-tc.value) > 1e-9 || r.Unit != tc.unit || r.Status != tc.status {
			t.Errorf("%s = %g %q %s, want %g %q %s", tc.metric, r.Value, r.Unit, r.Status, tc.value, tc.unit, tc.status)
		}
	}
	if len(h.Readings) != len(tests) {
		t.Errorf("%d readings, want %d", len(h.Readings), len(tests))
	}
	if !strings.Contains(logs.String(), "malformed perfdata skipped") || !strings.Contains(logs.String(), `broken=x`) {
		t.Errorf("the malformed item was not logged:\n%s", logs.String())
	}
}

// processGone reports whether pid has exited (a zombie waiting for a
// parent that does not reap counts as gone: it runs no more).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

func TestExecCheckTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	const timeout = 2 * time.Second
	cfg, err := config.Parse([]byte("components:\n  - name: plugin\n    kind: exec\n    timeout: 2s\n    exec:\n      command: " +
		yamlList([]string{script(t, "hang.sh"), pidFile}) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEvaluator(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register("other", timeout, fixed(scoring.Reading{Metric: "m", Value: 0.1, Thresholds: ratioTh})); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ev := e.Evaluate(context.Background())
	took := time.Since(start)
	if took > timeout+time.Second {
		t.Errorf("evaluation took %s, more than the timeout %s plus one second", took, timeout)
	}
	h, _ := ev.Snapshot.Component("plugin")
	t.Logf("evaluation took %s; error: %s", took, h.Error)
	if h.Status != scoring.StatusFailing || !strings.Contains(h.Error, "timed out after 2s") {
		t.Errorf("status %s, error %q; want failing, timed out", h.Status, h.Error)
	}
	if o, _ := ev.Snapshot.Component("other"); o.Status != scoring.StatusExcellent || o.Error != "" {
		t.Errorf("the other component is %s (%s)", o.Status, o.Error)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the plugin did not write its child's PID: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	// The child is dead by the time the check returned; allow the kernel a
	// moment to deliver the signal, within timeout plus one second.
	deadline := start.Add(timeout + time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d of the plugin still runs after the timeout plus one second", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The check returned and can run again (it is not still running).
	ev = e.Evaluate(context.Background())
	if h, _ := ev.Snapshot.Component("plugin"); strings.Contains(h.Error, "still running") {
		t.Errorf("second evaluation: %q", h.Error)
	}
}

func TestExecCheckOutputCapBoundsMemory(t *testing.T) {
	cfg, err := config.Parse([]byte("components:\n  - name: plugin\n    kind: exec\n    exec:\n      command: [" + script(t, "bigoutput.sh") + "]\n"))
	if err != nil {
		t.Fatal(err)
	}
	chk, err := NewCheck(cfg.Components[0], slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	readings, err := chk.Check(context.Background())
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	const written = 10 << 20
	// Everything allocated during the check, garbage included, stays far
	// below what the plugin wrote: the output beyond the cap was discarded.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > written/4 {
		t.Errorf("the check allocated %d bytes for %d bytes of output", alloc, written)
	} else {
		t.Logf("allocated %d bytes while the plugin wrote %d", alloc, written)
	}
	got := map[string]float64{}
	for _, r := range readings {
		got[r.Metric] = r.Value
	}
	if got["exit_code"] != 0 || got["written_bytes"] != written {
		t.Errorf("readings = %v", got)
	}
	// The capped buffer itself holds no more than max_output_bytes.
	x := chk.(*execCheck)
	res, err := x.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.stdout.buf) != config.DefaultMaxOutputBytes || res.stdout.total < written || !res.stdout.truncated() {
		t.Errorf("kept %d of %d bytes, want %d kept", len(res.stdout.buf), res.stdout.total, config.DefaultMaxOutputBytes)
	}
}

func TestExecCheckSecretsNeverShow(t *testing.T) {
	const argSecret, envSecret = "hunter2-arg-secret", "s3cret-env-token"
	out := filepath.Join(t.TempDir(), "seen")
	t.Setenv("HEALTHMON_SHOULD_NOT_LEAK", "1")
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	block := fmt.Sprintf(`    exec:
      command: [%q, -a, {secret: %s}, plain]
      env: {OUT: %q, EXIT: "1"}
      secret_env: {TOKEN: %s}
`, script(t, "echoargs.sh"), argSecret, out, envSecret)
	h, e := evalExec(t, block, logger)

	// The plugin got the secrets and a clean environment.
	seen, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-a\n" + argSecret + "\nplain\n", "TOKEN=" + envSecret, "LC_ALL=C", "PATH="} {
		if !strings.Contains(string(seen), want) {
			t.Errorf("the plugin did not get %q:\n%s", want, seen)
		}
	}
	if strings.Contains(string(seen), "HEALTHMON_SHOULD_NOT_LEAK") {
		t.Errorf("the plugin inherited healthmon's environment:\n%s", seen)
	}

	// Nothing healthmon shows carries them.
	if h.Status != scoring.StatusWarning {
		t.Errorf("status %s, want warning (exit 1)", h.Status)
	}
	view, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewExporter(e.Latest))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var metrics strings.Builder
	for _, mf := range mfs {
		metrics.WriteString(mf.String())
	}
	if n, err := testutil.GatherAndCount(reg, "healthmon_metric_value"); err != nil || n == 0 {
		t.Errorf("no metric values exposed: %d %v", n, err)
	}
	for where, text := range map[string]string{"health": string(view), "metrics": metrics.String(), "logs": logs.String()} {
		for _, s := range []string{argSecret, envSecret} {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the secret %q:\n%s", where, s, text)
			}
		}
	}
	if !strings.Contains(string(view), "OK - args -a \\u003csecret\\u003e plain token \\u003csecret\\u003e") {
		t.Errorf("the plugin's text is not in the health view with its secrets masked:\n%s", view)
	}

	// A program that cannot start: the error shows the command, masked.
	block = fmt.Sprintf("    exec:\n      command: [/no/such/plugin, {secret: %s}]\n", argSecret)
	h, _ = evalExec(t, block, logger)
	if h.Status != scoring.StatusFailing || !strings.Contains(h.Error, "run /no/such/plugin <secret>: ") || strings.Contains(h.Error, argSecret) {
		t.Errorf("missing program: %s %q", h.Status, h.Error)
	}
}

func TestExecCheckWorkingDirAndSignal(t *testing.T) {
	dir := t.TempDir()
	sh := tools.RequireTool(t, "sh")
	// working_dir is where the plugin runs.
	h, _ := evalExec(t, "    exec:\n      command: "+yamlList([]string{sh, "-c", `echo "OK - in $(pwd)"`})+"\n      working_dir: "+strconv.Quote(dir)+"\n", nil)
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	if reason := reading(t, h, "exit_code").Reason; h.Status != scoring.StatusGood || reason != "OK - in "+real {
		t.Errorf("working_dir: %s, reason %q", h.Status, reason)
	}
	// A plugin killed by a signal is failing with the signal named.
	h, _ = evalExec(t, "    exec:\n      command: "+yamlList([]string{sh, "-c", `echo "half a line"; kill -SEGV $$`})+"\n", nil)
	if h.Status != scoring.StatusFailing || !strings.Contains(h.Error, "killed by signal segmentation fault: half a line") {
		t.Errorf("signal: %s %q", h.Status, h.Error)
	}
	// No output at all: the reason says so, with stderr's first line.
	h, _ = evalExec(t, "    exec:\n      command: "+yamlList([]string{sh, "-c", `echo "boom on stderr" >&2; exit 2`})+"\n", nil)
	if h.Status != scoring.StatusCritical || !strings.Contains(strings.Join(h.Issues, " "), "no output; stderr: boom on stderr") {
		t.Errorf("stderr only: %s %q", h.Status, h.Issues)
	}
}

func BenchmarkExecCheckDummy(b *testing.B) {
	dummy := filepath.Join(pluginDir, "check_dummy")
	if _, err := os.Stat(dummy); err != nil {
		b.Skip(err)
	}
	cfg, err := config.Parse([]byte("components:\n  - name: plugin\n    kind: exec\n    exec:\n      command: [" + dummy + ", \"0\", ok]\n"))
	if err != nil {
		b.Fatal(err)
	}
	chk, err := NewCheck(cfg.Components[0], slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := chk.Check(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestExecCheckLeftoversAndLimits: what a plugin leaves running in its
// group is killed when it exits; a descendant that left the group cannot
// hold the check; perfdata items beyond the limit are dropped.
func TestExecCheckLeftoversAndLimits(t *testing.T) {
	sh := tools.RequireTool(t, "sh")
	setsid := tools.RequireTool(t, "setsid")
	dir := t.TempDir()
	readPID := func(name string) int {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}

	// A child left behind, holding stdout: killed at once, and the check
	// does not wait for it.
	start := time.Now()
	h, _ := evalExec(t, "    exec:\n      command: "+yamlList([]string{sh, "-c", `sleep 1000 & echo $! > left.pid; echo "OK - left a child"`})+
		"\n      working_dir: "+strconv.Quote(dir)+"\n", nil)
	if took := time.Since(start); h.Status != scoring.StatusGood || took > 10*time.Second {
		t.Errorf("left child: %s after %s (%s)", h.Status, took, h.Error)
	}
	pid := readPID("left.pid")
	deadline := time.Now().Add(time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the child %d the plugin left in its group still runs", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A descendant in a session of its own holds the pipe: the check
	// stops reading after the drain delay and returns the plugin's result.
	start = time.Now()
	h, _ = evalExec(t, "    exec:\n      command: "+yamlList([]string{sh, "-c", setsid + ` sleep 1000 & echo $! > escaped.pid; echo "OK - escaped"`})+
		"\n      working_dir: "+strconv.Quote(dir)+"\n", nil)
	escaped := readPID("escaped.pid")
	t.Cleanup(func() { _ = syscall.Kill(escaped, syscall.SIGKILL) })
	if took := time.Since(start); h.Status != scoring.StatusGood || took > 10*time.Second {
		t.Errorf("escaped child: %s after %s (%s)", h.Status, took, h.Error)
	}
	if reason := reading(t, h, "exit_code").Reason; reason != "OK - escaped" {
		t.Errorf("the plugin's output was lost: %q", reason)
	}

	// 200 perfdata items: the first 128 are kept.
	h, _ = evalExec(t, "    exec:\n      command: "+yamlList([]string{sh, "-c", `printf 'OK |'; i=0; while [ $i -lt 200 ]; do printf ' m%d=%d' $i $i; i=$((i+1)); done; echo`})+"\n", nil)
	if n := len(h.Readings); n != 1+maxPerfdataReadings {
		t.Errorf("%d readings, want exit_code and %d perfdata", n, maxPerfdataReadings)
	}
	if r := reading(t, h, "m127"); r.Value != 127 {
		t.Errorf("m127 = %g", r.Value)
	}
}
