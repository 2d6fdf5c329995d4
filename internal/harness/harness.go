// Package harness builds the healthmon binary and runs it as a real process
// on loopback for end-to-end, load, fault and packaging tests.
package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Package is the import path of the healthmon command.
const Package = "github.com/healthmon/healthmon/cmd/healthmon"

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

// GoTool returns the go command: the one on PATH, else the one in
// /usr/local/go.
func GoTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ModuleRoot returns the directory of the healthmon module's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command(GoTool(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside the healthmon module")
	}
	return filepath.Dir(mod), nil
}

// Binary builds the healthmon command once per test process and returns its
// path. Packages with a TestMain call Cleanup to remove it; otherwise the
// next test process removes binaries whose process is gone.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir = filepath.Join(os.TempDir(), "healthmon-harness")
		if buildErr = os.MkdirAll(buildDir, 0o755); buildErr != nil {
			return
		}
		removeStale(buildDir)
		buildPath = filepath.Join(buildDir, fmt.Sprintf("healthmon.%d", os.Getpid()))
		cmd := exec.Command(GoTool(), "build", "-o", buildPath, Package)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build %s: %w\n%s", Package, err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// Cleanup removes the binary that Binary built.
func Cleanup() {
	if buildPath != "" {
		_ = os.Remove(buildPath)
	}
}

// removeStale removes binaries built by test processes that have exited.
func removeStale(dir string) {
	old, _ := filepath.Glob(filepath.Join(dir, "healthmon.*"))
	for _, p := range old {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Ext(p), "."))
		if err != nil || fileExists(fmt.Sprintf("/proc/%d", pid)) {
			continue
		}
		_ = os.Remove(p)
	}
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// SyncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Options describe how to start a process.
type Options struct {
	// Binary is the program; Binary(t) when empty.
	Binary string
	// Args are given after --web.listen-address.
	Args []string
	// Env is added to the test's environment.
	Env []string
	// Scheme is http or https; http when empty.
	Scheme string
	// Client talks to the process (TLS roots, auth); a plain client when nil.
	Client *http.Client
	// Ready is the path polled until it answers 200; /-/ready when empty.
	Ready string
	// NoListenFlag leaves --web.listen-address out (for other programs).
	NoListenFlag bool
	// Addr to listen on; a free loopback port when empty.
	Addr string
	// StartTimeout bounds the wait for Ready; 30 s when zero.
	StartTimeout time.Duration
	// Dir is the working directory; a new temporary one when empty, so
	// that relative default paths (the history's data/) land there.
	Dir string
}

// Proc is a running process on loopback.
type Proc struct {
	Cmd    *exec.Cmd
	Addr   string
	URL    string
	Client *http.Client
	logs   *SyncBuffer
	done   chan struct{}
	err    error
}

// Logs returns the process's standard output and error so far.
func (p *Proc) Logs() string { return p.logs.String() }

// Start starts a process and waits until it answers 200 on its ready path.
// The process is sent SIGTERM (then SIGKILL) when the test ends.
func Start(t testing.TB, o Options) *Proc {
	t.Helper()
	if o.Binary == "" {
		o.Binary = Binary(t)
	}
	if o.Scheme == "" {
		o.Scheme = "http"
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Ready == "" {
		o.Ready = "/-/ready"
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.Addr == "" {
		o.Addr = FreeAddr(t)
	}
	args := o.Args
	if !o.NoListenFlag {
		args = append([]string{"--web.listen-address=" + o.Addr}, o.Args...)
	}
	p := &Proc{
		Cmd:    exec.Command(o.Binary, args...),
		Addr:   o.Addr,
		URL:    o.Scheme + "://" + o.Addr,
		Client: o.Client,
		logs:   &SyncBuffer{},
		done:   make(chan struct{}),
	}
	dieWithParent(p.Cmd)
	p.Cmd.Env = append(os.Environ(), o.Env...)
	p.Cmd.Dir = o.Dir
	if p.Cmd.Dir == "" {
		p.Cmd.Dir = t.TempDir()
	}
	p.Cmd.Stdout, p.Cmd.Stderr = p.logs, p.logs
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", o.Binary, err)
	}
	go func() {
		p.err = p.Cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.Stop(t) })

	deadline := time.Now().Add(o.StartTimeout)
	for {
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready: %v\n%s", o.Binary, p.err, p.Logs())
		default:
		}
		resp, err := p.Client.Get(p.URL + o.Ready)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready at %s%s after %s (last error %v)\n%s", o.Binary, p.URL, o.Ready, o.StartTimeout, err, p.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Signal sends a signal to the process.
func (p *Proc) Signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

// Wait waits for the process to exit, up to timeout, and returns its error.
func (p *Proc) Wait(timeout time.Duration) (error, bool) {
	select {
	case <-p.done:
		return p.err, true
	case <-time.After(timeout):
		return nil, false
	}
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM, waits up to 15 s, then kills the process.
func (p *Proc) Stop(t testing.TB) {
	if p.Exited() {
		return
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	if _, ok := p.Wait(15 * time.Second); !ok {
		_ = p.Cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not stop within 15 s of SIGTERM\n%s", p.Cmd.Path, p.Logs())
	}
}

// Get fetches a path and returns the status code and body.
func (p *Proc) Get(t testing.TB, path string) (int, string) {
	t.Helper()
	return p.Do(t, http.MethodGet, path)
}

// Do sends a request without a body and returns the status code and body.
func (p *Proc) Do(t testing.TB, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, p.URL+path, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, b.String()
}

// Metrics scrapes /metrics and parses it.
func (p *Proc) Metrics(t testing.TB) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := p.Get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", code, body)
	}
	mfs, err := ParseMetrics(body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return mfs
}

// ParseMetrics parses the Prometheus text format.
func ParseMetrics(text string) (map[string]*dto.MetricFamily, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(strings.NewReader(text))
}

// MustValue scrapes the process and returns the value of the series of
// name with the given label pairs; the test fails when it is absent.
func (p *Proc) MustValue(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	v, ok := Value(p.Metrics(t), name, labels...)
	if !ok {
		t.Fatalf("no %s%v in /metrics", name, labels)
	}
	return v
}

// Value returns the value of the series of a family whose labels include
// the given name=value pairs, and whether one was found.
func Value(mfs map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// LabelValues returns the values of one label over a family's series.
func LabelValues(mfs map[string]*dto.MetricFamily, name, label string) []string {
	var out []string
	for _, m := range mfs[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == pairs[i] && l.GetValue() == pairs[i+1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Eventually polls cond every 50 ms until it returns true or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// RSS returns a process's resident memory in bytes, from /proc.
func RSS(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the status of process %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) < 1 {
				break
			}
			kb, err := strconv.ParseUint(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS of process %d: %w", pid, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS for process %d", pid)
}

// CPUSeconds returns the user plus system CPU time a process has used.
func CPUSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the stat of process %d: %w", pid, err)
	}
	// The command name may hold spaces; fields start after its ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat of process %d: malformed", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat of process %d: too few fields", pid)
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("stat of process %d: %w", pid, err)
	}
	// USER_HZ is 100 on every Linux architecture Go supports.
	return (ut + st) / 100, nil
}
