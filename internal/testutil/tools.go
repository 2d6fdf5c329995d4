// Package testutil holds helpers shared by healthmon's tests.
package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// RequireTool returns the path of an external program the test needs (a
// Debian tool such as promtool or a Nagios plugin). When it is missing the
// test is skipped, unless HEALTHMON_REQUIRE_TOOLS=1 (set by `make test`),
// where it fails: `make test` never passes without the real tools.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("HEALTHMON_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s is required but not installed (run scripts/install-deps.sh): %v", name, err)
	}
	t.Skipf("%s not installed: %v", name, err)
	return ""
}
