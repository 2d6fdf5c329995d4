package collector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

func init() { registerKind("exec", newExecCheck) }

const (
	// maxStderrBytes caps what is kept of a plugin's standard error: only
	// its first line is ever used, as the reason when stdout is empty.
	maxStderrBytes = 4 << 10
	// maxPerfdataReadings bounds the readings one plugin run adds, so a
	// plugin gone wild cannot flood the series.
	maxPerfdataReadings = 128
	// drainDelay is how long the output pipes may stay open after the
	// plugin and its process group are gone: only a descendant that left
	// the group (setsid) can hold them that long.
	drainDelay = 500 * time.Millisecond
	// defaultPath is the plugin's PATH when healthmon has none.
	defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// inheritedEnv are the variables a plugin gets from healthmon's own
// environment; everything else it gets comes from env and secret_env.
var inheritedEnv = []string{"PATH", "HOME", "TZ", "TMPDIR"}

// execCheck runs a Nagios-compatible plugin in its own process group.
type execCheck struct {
	cfg     *config.ExecConfig
	name    string // the program, for messages
	args    []string
	env     []string
	dir     string
	secrets []string // values to mask in the plugin's output, longest first
	logger  *slog.Logger

	mu     sync.Mutex
	warned map[string]bool // warnings already logged at warn level
}

func newExecCheck(c *config.Component, logger *slog.Logger) (Check, error) {
	e := c.Exec
	x := &execCheck{cfg: e, name: e.Command[0].Value(), dir: e.WorkingDir, logger: logger}
	if x.dir == "" {
		x.dir = "/"
	}
	for _, a := range e.Command[1:] {
		x.args = append(x.args, a.Value())
		if a.IsSecret() && a.Value() != "" {
			x.secrets = append(x.secrets, a.Value())
		}
	}
	env := map[string]string{"LC_ALL": "C", "PATH": defaultPath}
	for _, k := range inheritedEnv {
		if v, ok := os.LookupEnv(k); ok && v != "" {
			env[k] = v
		}
	}
	for k, v := range e.Env {
		env[k] = v
	}
	for k, v := range e.SecretEnv {
		env[k] = string(v)
		if v != "" {
			x.secrets = append(x.secrets, string(v))
		}
	}
	for k, v := range env {
		x.env = append(x.env, k+"="+v)
	}
	sort.Strings(x.env)
	sort.Slice(x.secrets, func(i, j int) bool { return len(x.secrets[i]) > len(x.secrets[j]) })
	return x, nil
}

// nagiosStates names the exit codes of the plugin guidelines.
var nagiosStates = map[int]string{0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}

// Check implements Check: it runs the plugin, maps its exit code to a
// status through the exit_code reading, and turns its perfdata into
// readings.
func (x *execCheck) Check(ctx context.Context) ([]scoring.Reading, error) {
	run, err := x.run(ctx)
	if err != nil {
		return nil, err
	}
	out := x.redact(string(run.stdout.buf))
	if run.stdout.truncated() {
		// The cap may cut an item of perfdata in half: keep whole lines.
		if i := strings.LastIndexByte(out, '\n'); i >= 0 {
			out = out[:i+1]
		}
		x.warn("plugin output exceeds max_output_bytes; the rest was discarded",
			"max_output_bytes", x.cfg.MaxOutputBytes, "output_bytes", run.stdout.total)
	}
	po, perr := ParsePluginOutput(out)
	if perr != nil {
		x.warn("malformed perfdata skipped", "err", perr)
	}
	reason := po.Text
	if reason == "" {
		first, _, _ := strings.Cut(strings.TrimSpace(x.redact(string(run.stderr.buf))), "\n")
		reason = "no output"
		if first != "" {
			reason = "no output; stderr: " + first
		}
	}

	perf := po.Perfdata
	if len(perf) > maxPerfdataReadings {
		x.warn("plugin reports too many perfdata items; the rest were dropped", "items", len(perf), "kept", maxPerfdataReadings)
		perf = perf[:maxPerfdataReadings]
	}
	exitCode := scoring.Reading{Metric: config.MetricExitCode, Value: float64(run.code)}
	readings := append([]scoring.Reading{exitCode}, PerfdataReadings(perf, map[string]bool{config.MetricExitCode: true})...)

	x.logger.Debug("plugin ran", "command", x.cfg.CommandString(), "exit_code", run.code, "duration", run.duration, "output", reason)
	if run.signal != "" {
		return readings, fmt.Errorf("plugin %s was killed by signal %s: %s", x.name, run.signal, reason)
	}
	status := x.cfg.ExitStatus(run.code)
	if status == scoring.StatusFailing {
		state := nagiosStates[run.code]
		if state == "" {
			state = "not a Nagios state"
		}
		return readings, fmt.Errorf("plugin %s exited with %d (%s): %s", x.name, run.code, state, reason)
	}
	readings[0].Thresholds = x.cfg.ExitCodeThresholds()
	readings[0].Reason = reason
	readings[0].Advice = fmt.Sprintf("Act on what %s reports, or revise its warning and critical arguments if this level is expected.", filepath.Base(x.name))
	return readings, nil
}

// runResult is what one run of the plugin produced.
type runResult struct {
	stdout, stderr *cappedBuffer
	code           int
	signal         string
	duration       time.Duration
}

// run starts the plugin in a new process group and waits for it. When ctx
// ends, the whole group is killed; when the plugin exits, whatever it left
// running in its group is killed too. Output beyond the caps is read and
// discarded, so memory stays bounded whatever the plugin writes.
func (x *execCheck) run(ctx context.Context) (*runResult, error) {
	res := &runResult{stdout: &cappedBuffer{max: x.cfg.MaxOutputBytes}, stderr: &cappedBuffer{max: maxStderrBytes}}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("plugin %s: stdout pipe: %w", x.name, err)
	}
	defer outR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		outW.Close()
		return nil, fmt.Errorf("plugin %s: stderr pipe: %w", x.name, err)
	}
	defer errR.Close()

	cmd := exec.CommandContext(ctx, x.name, x.args...)
	cmd.Env, cmd.Dir = x.env, x.dir
	cmd.Stdin = nil // /dev/null
	cmd.Stdout, cmd.Stderr = outW, errW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }

	start := time.Now()
	err = cmd.Start()
	// The child holds its own copies; the parent's write ends must close
	// so that the reads end when the plugin's group is gone.
	outW.Close()
	errW.Close()
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", x.cfg.CommandString(), err)
	}
	var copies sync.WaitGroup
	for _, p := range []struct {
		r *os.File
		w *cappedBuffer
	}{{outR, res.stdout}, {errR, res.stderr}} {
		copies.Add(1)
		go func() {
			defer copies.Done()
			_, _ = io.Copy(p.w, p.r)
		}()
	}
	waitErr := cmd.Wait()
	res.duration = time.Since(start)
	// Leave nothing of the plugin's running: a child it forked may still
	// hold the pipes.
	_ = killGroup(cmd.Process.Pid)
	drained := make(chan struct{})
	go func() { copies.Wait(); close(drained) }()
	timer := time.NewTimer(drainDelay)
	select {
	case <-drained:
	case <-timer.C:
		// A descendant that left the group holds the pipes: stop reading.
		outR.Close()
		errR.Close()
		<-drained
	}
	timer.Stop()

	if ctx.Err() != nil {
		return nil, fmt.Errorf("plugin %s killed with its process group: %w", x.name, ctx.Err())
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return nil, fmt.Errorf("run %s: %w", x.cfg.CommandString(), waitErr)
	}
	res.code = cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.signal = ws.Signal().String()
	}
	return res, nil
}

// killGroup sends SIGKILL to the process group led by pid. A group that is
// already gone is no error.
func killGroup(pid int) error {
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// redact replaces every secret value in s with <secret>.
func (x *execCheck) redact(s string) string {
	for _, v := range x.secrets {
		s = strings.ReplaceAll(s, v, "<secret>")
	}
	return s
}

// warn logs a message at warn level the first time, and at debug level
// after, so a plugin that always misbehaves the same way does not fill the
// log every interval.
func (x *execCheck) warn(msg string, args ...any) {
	x.mu.Lock()
	repeat := x.warned[msg]
	if x.warned == nil {
		x.warned = map[string]bool{}
	}
	x.warned[msg] = true
	x.mu.Unlock()
	args = append(args, "command", x.cfg.CommandString())
	if repeat {
		x.logger.Debug(msg, args...)
		return
	}
	x.logger.Warn(msg, args...)
}

// cappedBuffer keeps the first max bytes written to it and counts, but
// discards, the rest.
type cappedBuffer struct {
	buf   []byte
	max   int
	total int64
}

// Write implements io.Writer; it never fails, so the plugin is never
// blocked on a full pipe.
func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.total += int64(len(p))
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *cappedBuffer) truncated() bool { return b.total > int64(len(b.buf)) }
