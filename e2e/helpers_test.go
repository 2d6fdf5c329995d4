package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/healthmon/healthmon/internal/harness"
)

// writeFile writes a file under dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
	return path
}

// moduleFile returns the path of a file of the repository.
func moduleFile(t *testing.T, rel string) string {
	t.Helper()
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, rel)
}

// readModuleFile reads a file of the repository.
func readModuleFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(moduleFile(t, rel))
	if err != nil {
		t.Fatalf("reading %s: %v", rel, err)
	}
	return b
}

// runTool runs a command line tool and fails the test with its output when
// it exits non-zero.
func runTool(t *testing.T, dir string, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", argv, err, out)
	}
	return string(out)
}
