package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/internal/harness"
	"github.com/healthmon/healthmon/internal/testutil"
	"github.com/healthmon/healthmon/prediction"
	"github.com/healthmon/healthmon/scoring"
	"github.com/healthmon/healthmon/server"
)

func TestMain(m *testing.M) {
	code := m.Run()
	harness.Cleanup()
	os.Exit(code)
}

// inProcess runs an evaluator with the system check plus extra Go checks
// in its loop, served on loopback as healthmon serves them, until the test
// ends.
type inProcess struct {
	eval *collector.Evaluator
	srv  *httptest.Server
	logs *harness.SyncBuffer

	mu  sync.Mutex
	all []*collector.Evaluation // every evaluation, in order
}

// history returns every evaluation so far.
func (p *inProcess) history() []*collector.Evaluation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*collector.Evaluation(nil), p.all...)
}

func startInProcess(t *testing.T, interval time.Duration, register func(*collector.Evaluator)) *inProcess {
	t.Helper()
	cfg, err := config.Parse(fmt.Appendf(nil, "global: {interval: %s}\ncomponents:\n  - {name: system, kind: system}\n", interval))
	if err != nil {
		t.Fatal(err)
	}
	logs := &harness.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	eval, err := collector.NewEvaluator(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	register(eval)
	p := &inProcess{eval: eval, logs: logs}
	eval.AfterEvaluation(func(ev *collector.Evaluation) {
		p.mu.Lock()
		p.all = append(p.all, ev)
		p.mu.Unlock()
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector.NewExporter(eval.Latest))
	mux, err := server.NewMux(server.Options{TelemetryPath: "/metrics", Gatherer: reg, Latest: eval.Latest, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	p.srv = httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		eval.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		p.srv.Close()
	})
	return p
}

// evaluations waits for n more evaluations and returns the last.
func (p *inProcess) evaluations(t *testing.T, n int) *collector.Evaluation {
	t.Helper()
	var seen []time.Time
	harness.Eventually(t, 60*time.Second, fmt.Sprintf("%d evaluations", n), func() bool {
		if ev := p.eval.Latest(); ev != nil && (len(seen) == 0 || ev.Snapshot.Time.After(seen[len(seen)-1])) {
			seen = append(seen, ev.Snapshot.Time)
		}
		return len(seen) > n
	})
	return p.eval.Latest()
}

// get fetches a path of the in-process server.
func (p *inProcess) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(p.srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// TestHangingCheck registers a check that ignores its context and never
// returns. The loop goes on: each evaluation ends at the check's timeout
// (then at once, as it is not started twice), the component is failing
// with the reason, the system check is unaffected, and /metrics and
// /api/v1/health answer throughout.
func TestHangingCheck(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var calls atomic.Int32
	const timeout = 300 * time.Millisecond
	p := startInProcess(t, 200*time.Millisecond, func(e *collector.Evaluator) {
		err := e.Register("hangs", timeout, collector.CheckFunc(func(context.Context) ([]scoring.Reading, error) {
			calls.Add(1)
			<-release // ignores its context on purpose
			return nil, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
	})

	ev := p.evaluations(t, 4)
	h, _ := ev.Snapshot.Component("hangs")
	if h.Status != scoring.StatusFailing || !strings.Contains(h.Error, "still running") {
		t.Errorf("hung check: %s %q, want failing and still running", h.Status, h.Error)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the hung check was started %d times, want once", n)
	}
	if sys, _ := ev.Snapshot.Component("system"); sys.Error != "" || sys.Status == scoring.StatusFailing {
		t.Errorf("the system check suffered: %s %q", sys.Status, sys.Error)
	}
	// The first evaluation ends at the timeout, the next ones at once; none
	// waits for the hung check.
	evs := p.history()
	firstHang, _ := evs[0].Snapshot.Component("hangs")
	t.Logf("hung check (timeout %s): started %d time(s) in %d evaluations; the first took %s (%q), the last %s (%q)",
		timeout, calls.Load(), len(evs), evs[0].Snapshot.Duration, firstHang.Error, ev.Snapshot.Duration, h.Error)
	if !strings.Contains(firstHang.Error, "timed out after 300ms") {
		t.Errorf("the first evaluation of the hung check: %q, want timed out after 300ms", firstHang.Error)
	}
	for i, e := range evs {
		if e.Snapshot.Duration > timeout+time.Second {
			t.Errorf("evaluation %d took %s with a hung check of timeout %s", i, e.Snapshot.Duration, timeout)
		}
	}
	for _, path := range []string{"/metrics", "/api/v1/health", "/-/ready"} {
		if code, body := p.get(t, path); code != http.StatusOK && code != http.StatusServiceUnavailable || body == "" {
			t.Errorf("GET %s during a hung check: %d", path, code)
		}
	}
	if _, body := p.get(t, "/metrics"); !strings.Contains(body, `healthmon_check_success{component="hangs"} 0`) ||
		!strings.Contains(body, `healthmon_component_status{component="hangs",status="failing"} 1`) {
		t.Error("/metrics does not show the hung check failing")
	}
}

// TestPanickingCheck registers a check that panics every time. The panic is
// recovered each time, logged with its stack, the component is failing with
// the panic's message, the other component is unaffected, and the loop and
// the server go on.
func TestPanickingCheck(t *testing.T) {
	var calls atomic.Int32
	p := startInProcess(t, 100*time.Millisecond, func(e *collector.Evaluator) {
		err := e.Register("panics", time.Second, collector.CheckFunc(func(context.Context) ([]scoring.Reading, error) {
			calls.Add(1)
			var readings []scoring.Reading
			_ = readings[len(readings)] // a real runtime panic: index out of range
			return readings, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
	})
	ev := p.evaluations(t, 3)
	h, _ := ev.Snapshot.Component("panics")
	if h.Status != scoring.StatusFailing || !strings.Contains(h.Error, "panic") || !strings.Contains(h.Error, "index out of range") {
		t.Errorf("panicking check: %s %q, want failing with the panic", h.Status, h.Error)
	}
	t.Logf("panicking check: ran %d times, recovered each time; its error: %q", calls.Load(), h.Error)
	if n := calls.Load(); n < 3 {
		t.Errorf("the panicking check ran %d times, want one per evaluation", n)
	}
	if sys, _ := ev.Snapshot.Component("system"); sys.Error != "" {
		t.Errorf("the system check suffered: %q", sys.Error)
	}
	logs := p.logs.String()
	if !strings.Contains(logs, "check panicked") || !strings.Contains(logs, "fault_test.go") {
		t.Errorf("the panic is not logged with its stack:\n%.2000s", logs)
	}
	if code, body := p.get(t, "/metrics"); code != http.StatusOK || !strings.Contains(body, `healthmon_check_success{component="panics"} 0`) {
		t.Errorf("GET /metrics after panics: %d", code)
	}
}

// processesWith lists the PIDs whose command line contains marker.
func processesWith(marker string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), marker) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "healthmon.yml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func lastEvaluation(t *testing.T, p *harness.Proc) float64 {
	t.Helper()
	v, _ := harness.Value(p.Metrics(t), "healthmon_last_evaluation_timestamp_seconds")
	return v
}

// waitEvaluations waits until n more evaluations have been published.
func waitEvaluations(t *testing.T, p *harness.Proc, n int) {
	t.Helper()
	last := lastEvaluation(t, p)
	for i := 0; i < n; i++ {
		harness.Eventually(t, 60*time.Second, "another evaluation", func() bool {
			v := lastEvaluation(t, p)
			if v > last {
				last = v
				return true
			}
			return false
		})
	}
}

// TestFloodingCheck runs the binary with exec checks that flood their
// output: one writes 256 MiB and exits, one writes forever until its
// timeout kills it. healthmon keeps what max_output_bytes allows, stays
// small, kills the endless one's process group, and goes on.
func TestFloodingCheck(t *testing.T) {
	head := testutil.RequireTool(t, "head")
	yes := testutil.RequireTool(t, "yes")
	sh := testutil.RequireTool(t, "sh")
	marker := fmt.Sprintf("healthmon-flood-%d", time.Now().UnixNano())
	cfg := writeConfig(t, fmt.Sprintf(`global: {interval: 1s}
components:
  - name: finite_flood
    kind: exec
    timeout: 20s
    exec:
      command: [%s, -c, 'echo "FLOOD OK | bytes=1"; %s -c 268435456 /dev/zero; exit 0', %s]
  - name: endless_flood
    kind: exec
    timeout: 2s
    exec:
      command: [%s, %s]
  - name: system
    kind: system
`, sh, head, marker, yes, marker))
	p := harness.Start(t, harness.Options{Args: []string{"--config.file=" + cfg}, Ready: "/-/healthy"})
	pid := p.Cmd.Process.Pid

	var peak uint64
	for range 4 {
		waitEvaluations(t, p, 1)
		if r, err := harness.RSS(pid); err == nil && r > peak {
			peak = r
		}
	}
	mfs := p.Metrics(t)
	finite, _ := harness.Value(mfs, "healthmon_check_success", "component", "finite_flood")
	endless, _ := harness.Value(mfs, "healthmon_check_success", "component", "endless_flood")
	sys, _ := harness.Value(mfs, "healthmon_check_success", "component", "system")
	t.Logf("after 4 evaluations: resident memory peak %.1f MiB; check_success finite_flood %v, endless_flood %v, system %v", mib(peak), finite, endless, sys)
	if peak > 64<<20 {
		t.Errorf("resident memory reached %.1f MiB while plugins flooded their output", mib(peak))
	}
	if endless != 0 {
		t.Error("the endless flood should fail at its timeout")
	}
	if sys != 1 {
		t.Error("the system check suffered from the floods")
	}
	if !strings.Contains(p.Logs(), "exceeds max_output_bytes") {
		t.Errorf("the log does not say the output was cut:\n%.3000s", p.Logs())
	}
	p.Stop(t)
	// Every plugin process is gone with healthmon.
	harness.Eventually(t, 10*time.Second, "the flooding plugins to be gone", func() bool {
		return len(processesWith(marker)) == 0
	})
}

// TestSIGTERMDuringEvaluation runs the binary with an http check whose
// server answers the first request and holds every later one. SIGTERM
// arrives while the second evaluation waits on it: healthmon exits 0 well
// before the check's 60 s timeout, and the history saved on the way out
// restores with the completed evaluation and without the interrupted one.
func TestSIGTERMDuringEvaluation(t *testing.T) {
	var requests atomic.Int32
	held := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			fmt.Fprintln(w, "ok")
			return
		}
		select {
		case held <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}))
	defer slow.Close()
	storage := t.TempDir()
	cfg := writeConfig(t, fmt.Sprintf(`global: {interval: 1s}
components:
  - name: slow_api
    kind: http
    timeout: 60s
    http: {url: %q}
  - name: system
    kind: system
`, slow.URL))
	p := harness.Start(t, harness.Options{Args: []string{"--config.file=" + cfg, "--storage.path=" + storage}})
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		t.Fatal("the second evaluation never reached the slow server")
	}
	sent := time.Now()
	p.Signal(t, syscall.SIGTERM)
	err, exited := p.Wait(30 * time.Second)
	if !exited {
		t.Fatalf("healthmon still runs 30 s after SIGTERM during an evaluation:\n%s", p.Logs())
	}
	t.Logf("exited %s after SIGTERM during an evaluation", time.Since(sent).Round(time.Millisecond))
	if err != nil {
		t.Errorf("exit: %v\n%s", err, p.Logs())
	}
	if !strings.Contains(p.Logs(), "Shutting down") {
		t.Errorf("no shutdown in the log:\n%s", p.Logs())
	}

	h := prediction.NewHistory(1000)
	n, err := prediction.NewStore(storage, nil).Restore(h)
	if err != nil || n < 1 {
		t.Fatalf("the saved history: %d snapshots, %v\n%s", n, err, p.Logs())
	}
	w := h.Window(time.Time{})
	api, ok := w.Components["slow_api"]
	if !ok {
		t.Fatal("the saved history does not have slow_api")
	}
	t.Logf("saved history: %d snapshots, slow_api statuses %v", n, api.Status)
	for i, st := range api.Status {
		if api.Present[i] && st == scoring.StatusFailing {
			t.Errorf("the history saved the evaluation interrupted by the shutdown (at %s slow_api is failing)", w.Times[i].Format(time.RFC3339Nano))
		}
	}
}

// fullDir returns a directory where writing fails, and a function that
// makes room again. On Linux as root it is a real 64 KiB tmpfs filled to
// the last byte (ENOSPC); as another user a read-only directory (EACCES).
func fullDir(t *testing.T) (dir, how string, makeRoom func()) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "history")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
		return dir, "a read-only directory", func() { _ = os.Chmod(dir, 0o755) }
	}
	mount := testutil.RequireTool(t, "mount")
	if out, err := exec.Command(mount, "-t", "tmpfs", "-o", "size=64k,mode=0755", "healthmon-full", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs as root here (%v: %s); a read-only directory would not stop root", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the tmpfs: %v", err)
			}
			break
		}
	}
	_ = f.Close()
	return dir, "a full 64 KiB tmpfs", func() { _ = os.Remove(filler) }
}

// TestHistoryOnFullDisk points --storage.path at a full file system. The
// loop goes on, healthmon_history_save_errors_total counts the failures,
// the log says why; once there is room again, the next save succeeds.
func TestHistoryOnFullDisk(t *testing.T) {
	dir, how, makeRoom := fullDir(t)
	cfg := writeConfig(t, "global: {interval: 500ms}\ncomponents:\n  - {name: system, kind: system}\n")
	p := harness.Start(t, harness.Options{Args: []string{"--config.file=" + cfg, "--storage.path=" + dir}})
	waitEvaluations(t, p, 3)
	mfs := p.Metrics(t)
	saveErrors, ok := harness.Value(mfs, "healthmon_history_save_errors_total")
	if !ok || saveErrors < 2 {
		t.Errorf("on %s: healthmon_history_save_errors_total = %v (present %v), want one per evaluation", how, saveErrors, ok)
	}
	if _, saved := harness.Value(mfs, "healthmon_history_last_save_timestamp_seconds"); saved {
		if v, _ := harness.Value(mfs, "healthmon_history_last_save_timestamp_seconds"); v > 0 {
			t.Errorf("on %s a save succeeded", how)
		}
	}
	if v, _ := harness.Value(mfs, "healthmon_check_success", "component", "system"); v != 1 {
		t.Error("the checks suffered from the full disk")
	}
	logs := p.Logs()
	if !strings.Contains(logs, "Cannot save the history") {
		t.Errorf("the log does not say the history cannot be saved:\n%.3000s", logs)
	}
	t.Logf("on %s: %v save errors after 3 evaluations; log: %s", how, saveErrors, firstLine(logs, "Cannot save the history"))

	makeRoom()
	harness.Eventually(t, 30*time.Second, "a successful save once there is room", func() bool {
		v, ok := harness.Value(p.Metrics(t), "healthmon_history_last_save_timestamp_seconds")
		return ok && v > 0
	})
	if _, err := os.Stat(filepath.Join(dir, prediction.FileName)); err != nil {
		t.Errorf("no history file after making room: %v", err)
	}
}

func firstLine(text, substr string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			return l
		}
	}
	return ""
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
