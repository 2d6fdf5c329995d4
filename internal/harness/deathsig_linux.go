package harness

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the process if the test binary dies
// (a panic, a timeout's SIGQUIT, a kill), so no server outlives its test.
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
