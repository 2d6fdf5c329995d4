package e2e

import (
	"context"
	"net/http"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/healthmon/healthmon/internal/harness"
)

// proc is a program the test started in its own process group.
type proc struct {
	name string
	cmd  *exec.Cmd
	logs *harness.SyncBuffer
	done chan struct{}
	err  error
}

// startProc starts a program in a new process group, which is killed when
// the test ends (also on failure) and, through the parent-death signal, if
// the test binary itself dies. It waits until readyURL answers 200.
func startProc(ctx context.Context, t *testing.T, name, readyURL string, argv ...string) *proc {
	t.Helper()
	p := &proc{name: name, logs: &harness.SyncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// The parent-death signal follows the thread that forked: keep it alive
	// for the start.
	runtime.LockOSThread()
	err := p.cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(t) })

	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready: %v\n%s", name, p.err, p.logs.String())
		default:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, readyURL, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s not ready at %s: %v\n%s", name, readyURL, ctx.Err(), p.logs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after 10 s.
func (p *proc) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
		t.Errorf("%s did not stop within 10 s of SIGTERM", p.name)
	}
	if t.Failed() {
		t.Logf("%s output:\n%s", p.name, p.logs.String())
	}
}
