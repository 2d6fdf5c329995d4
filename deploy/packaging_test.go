// Package deploy_test checks the packaging: the Dockerfile's build, the
// systemd unit, and the Kubernetes manifests and their PrometheusRule.
package deploy_test

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/internal/harness"
	"github.com/healthmon/healthmon/internal/promrule"
	"github.com/healthmon/healthmon/internal/testutil"
)

func TestMain(m *testing.M) {
	code := m.Run()
	harness.Cleanup()
	os.Exit(code)
}

// root changes to the module's root for the test, where the Dockerfile,
// the Makefile and rules/ are.
func root(t *testing.T) string {
	t.Helper()
	dir, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return dir
}

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	stage   int // index of the FROM it belongs to
	keyword string
	args    string
}

func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	stage := -1
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue // a comment inside a continued instruction
		}
		if rest, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(line)
		keyword, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		keyword = strings.ToUpper(keyword)
		if keyword == "FROM" {
			stage++
		}
		out = append(out, instruction{stage: stage, keyword: keyword, args: strings.TrimSpace(args)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// argv runs a shell command line with `go` replaced by a function that
// prints its arguments, and returns the environment it would see and the
// arguments go would get, exactly as /bin/sh in the build stage splits them.
func argv(t *testing.T, cmdline string, env []string) []string {
	t.Helper()
	script := `go() { printf 'CGO_ENABLED=%s\n' "${CGO_ENABLED-}"; for a in "$@"; do printf '%s\n' "$a"; done; }; ` + cmdline
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", cmdline, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// withoutOutput drops -o and its value from go's arguments.
func withoutOutput(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "-o" {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// TestDockerfile checks the image's recipe (multi-stage, non-root user,
// port 9891), then builds the binary with exactly the build stage's
// command, checks that the flags are the Makefile's, that the binary is
// static and carries the version, and that it serves.
func TestDockerfile(t *testing.T) {
	dir := root(t)
	ins := parseDockerfile(t, "Dockerfile")
	stages := 0
	var build, user, expose []instruction
	for _, in := range ins {
		switch in.keyword {
		case "FROM":
			stages++
		case "RUN":
			if strings.Contains(in.args, "go build") {
				build = append(build, in)
			}
		case "USER":
			user = append(user, in)
		case "EXPOSE":
			expose = append(expose, in)
		}
	}
	last := stages - 1
	if stages < 2 {
		t.Fatalf("the Dockerfile has %d stage(s), want a build stage and a runtime stage", stages)
	}
	if len(build) != 1 || build[0].stage == last {
		t.Fatalf("want one `go build` RUN in a build stage, got %+v", build)
	}
	if len(user) == 0 || user[len(user)-1].stage != last {
		t.Fatal("the runtime stage sets no USER")
	}
	u := strings.SplitN(user[len(user)-1].args, ":", 2)[0]
	if u == "" || u == "0" || u == "root" {
		t.Errorf("the image runs as %q, want a non-root user", user[len(user)-1].args)
	}
	if len(expose) != 1 || expose[0].args != "9891" {
		t.Errorf("EXPOSE = %+v, want 9891", expose)
	}
	// The default --storage.path (data/) lies in the working directory,
	// which the user must own.
	var workdir string
	owned := map[string]string{} // directory -> owner given by COPY --chown
	for _, in := range ins {
		if in.stage != last {
			continue
		}
		switch in.keyword {
		case "WORKDIR":
			workdir = in.args
		case "COPY":
			f := strings.Fields(in.args)
			for _, a := range f {
				if owner, ok := strings.CutPrefix(a, "--chown="); ok {
					owned[f[len(f)-1]] = owner
				}
			}
		}
	}
	if workdir == "" || owned[workdir] != user[len(user)-1].args {
		t.Errorf("the runtime stage's WORKDIR %q is not owned by USER %s (COPY --chown: %v)", workdir, user[len(user)-1].args, owned)
	}

	// The same flags as `make build`, for the same version.
	vars := []string{"VERSION=9.8.7-test", "REVISION=deadbee", "BRANCH=testbranch"}
	docker := argv(t, build[0].args, vars)
	makeOut, err := exec.Command("make", append([]string{"-s", "-n", "build"}, vars...)...).Output()
	if err != nil {
		t.Fatalf("make -n build: %v", err)
	}
	mk := argv(t, strings.TrimSpace(string(makeOut)), nil)
	if !slices.Equal(withoutOutput(docker), withoutOutput(mk)) {
		t.Errorf("the Dockerfile builds with\n  %q\nthe Makefile with\n  %q", docker, mk)
	}
	if docker[0] != "CGO_ENABLED=0" {
		t.Errorf("the Dockerfile builds with %s, want CGO_ENABLED=0", docker[0])
	}

	// Build for real with the Dockerfile's command line, its output moved
	// to a temporary directory.
	out := t.TempDir()
	cmdline := strings.ReplaceAll(build[0].args, "/out/", out+"/")
	if cmdline == build[0].args {
		t.Fatalf("the build command does not write under /out/: %s", cmdline)
	}
	cmd := exec.Command("/bin/sh", "-c", cmdline)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), vars...)
	cmd.Env = append(cmd.Env, "PATH="+filepath.Dir(harness.GoTool())+":"+os.Getenv("PATH"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's build failed: %v\n%s", err, b)
	}
	bin := filepath.Join(out, "healthmon")

	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a program interpreter: it is dynamically linked")
		}
	}
	if libs, _ := ef.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
	if syms, err := ef.Symbols(); err == nil && len(syms) > 0 {
		t.Errorf("the binary keeps %d symbols; -s should strip them", len(syms))
	}
	ef.Close()

	v, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("healthmon --version: %v\n%s", err, v)
	}
	for _, want := range []string{"9.8.7-test", "deadbee", "testbranch"} {
		if !strings.Contains(string(v), want) {
			t.Errorf("--version does not show %s:\n%s", want, v)
		}
	}

	p := harness.Start(t, harness.Options{Binary: bin})
	mfs := p.Metrics(t)
	if got, ok := harness.Value(mfs, "healthmon_build_info", "version", "9.8.7-test", "revision", "deadbee"); !ok || got != 1 {
		t.Errorf("healthmon_build_info of the Dockerfile's binary: %v %v", got, ok)
	}
	if _, ok := harness.Value(mfs, "healthmon_overall_score"); !ok {
		t.Error("the Dockerfile's binary serves no healthmon_overall_score")
	}
	p.Signal(t, syscall.SIGTERM)
	if err, ok := p.Wait(15 * time.Second); !ok || err != nil {
		t.Errorf("after SIGTERM: exited %v, err %v\n%s", ok, err, p.Logs())
	}
}

// TestSystemdUnit verifies the unit with systemd-analyze and holds its
// hardening to an exposure of at most 2.0 ("OK") in systemd's security
// review.
func TestSystemdUnit(t *testing.T) {
	root(t)
	analyze := testutil.RequireTool(t, "systemd-analyze")
	unit, err := os.ReadFile("deploy/healthmon.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "ExecReload=/bin/kill -HUP $MAINPID", "StateDirectory=healthmon"} {
		if !bytes.Contains(unit, []byte("\n"+want+"\n")) {
			t.Errorf("the unit lacks %s", want)
		}
	}
	// The file system is read-only but for the state directory: the history
	// must be saved there.
	if !bytes.Contains(unit, []byte(" --storage.path=/var/lib/healthmon ")) {
		t.Error("ExecStart does not save the history in the state directory /var/lib/healthmon")
	}

	// verify checks that ExecStart exists: point it at a built binary.
	dir := t.TempDir()
	test := filepath.Join(dir, "healthmon.service")
	bin := harness.Binary(t)
	if err := os.WriteFile(test, bytes.ReplaceAll(unit, []byte("/usr/local/bin/healthmon"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", test).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// --threshold counts in tenths of the exposure shown: 20 is 2.0.
	out, err := exec.Command(analyze, "security", "--offline=yes", "--threshold=20", test).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0 or error %v\n%s", err, out)
	}
	if i := bytes.LastIndex(out, []byte("Overall exposure level")); i >= 0 {
		t.Logf("%s", bytes.TrimSpace(out[i:]))
	}
}

// manifests decodes every YAML document of the Kubernetes directory, by
// kind.
func manifests(t *testing.T) map[string]map[string]any {
	t.Helper()
	files, err := filepath.Glob("deploy/kubernetes/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			kind, _ := doc["kind"].(string)
			if kind == "" {
				t.Fatalf("%s: a document without kind", f)
			}
			if _, dup := out[kind]; dup {
				t.Fatalf("%s: a second %s", f, kind)
			}
			out[kind] = doc
		}
	}
	return out
}

// get walks a decoded document: strings index maps, ints index lists.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// byName finds the element of a list whose name is name.
func byName(list any, name string) map[string]any {
	l, _ := list.([]any)
	for _, e := range l {
		if m, ok := e.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	return nil
}

// TestKubernetesManifests checks that the pieces fit together: the
// DaemonSet mounts the host read-only and tells gopsutil where, runs
// unprivileged with the image of this version and a configuration that
// parses; the Service selects its pods; the ServiceMonitor selects the
// Service's port; the kustomization lists every file.
func TestKubernetesManifests(t *testing.T) {
	root(t)
	m := manifests(t)
	for _, kind := range []string{"ConfigMap", "DaemonSet", "Service", "ServiceMonitor", "PrometheusRule", "Kustomization"} {
		if m[kind] == nil {
			t.Fatalf("no %s in deploy/kubernetes", kind)
		}
	}

	ds := m["DaemonSet"]
	pod := get(ds, "spec", "template", "spec")
	podLabels := get(ds, "spec", "template", "metadata", "labels").(map[string]any)
	if !reflect.DeepEqual(get(ds, "spec", "selector", "matchLabels"), podLabels) {
		t.Error("the DaemonSet's selector is not its pods' labels")
	}
	c := get(pod, "containers", 0)
	version, err := os.ReadFile("VERSION")
	if err != nil {
		t.Fatal(err)
	}
	if img, _ := get(c, "image").(string); !strings.HasSuffix(img, ":"+strings.TrimSpace(string(version))) {
		t.Errorf("image %q is not tagged with VERSION %s", img, bytes.TrimSpace(version))
	}
	hostPaths := map[string]string{} // volume name -> host path
	for _, v := range get(pod, "volumes").([]any) {
		if p, ok := get(v, "hostPath", "path").(string); ok {
			hostPaths[get(v, "name").(string)] = p
		}
	}
	mounts := map[string]string{} // host path -> mount path
	for _, vm := range get(c, "volumeMounts").([]any) {
		name := get(vm, "name").(string)
		if hp, ok := hostPaths[name]; ok {
			if get(vm, "readOnly") != true {
				t.Errorf("host path %s is mounted writable", hp)
			}
			mounts[hp] = get(vm, "mountPath").(string)
		}
	}
	env := map[string]string{}
	for _, e := range get(c, "env").([]any) {
		env[get(e, "name").(string)], _ = get(e, "value").(string)
	}
	for hp, envName := range map[string]string{"/proc": "HOST_PROC", "/": "HOST_ROOT", "/sys": "HOST_SYS"} {
		if mounts[hp] == "" {
			t.Errorf("the host's %s is not mounted", hp)
		} else if env[envName] != mounts[hp] {
			t.Errorf("%s = %q, want the mount of the host's %s, %q", envName, env[envName], hp, mounts[hp])
		}
	}
	for _, f := range []struct {
		path []any
		want any
	}{
		{[]any{"securityContext", "allowPrivilegeEscalation"}, false},
		{[]any{"securityContext", "readOnlyRootFilesystem"}, true},
		{[]any{"securityContext", "capabilities", "drop", 0}, "ALL"},
	} {
		if got := get(c, f.path...); got != f.want {
			t.Errorf("container %v = %v, want %v", f.path, got, f.want)
		}
	}
	if get(pod, "securityContext", "runAsNonRoot") != true || get(pod, "hostNetwork") == true || get(pod, "hostPID") == true {
		t.Error("the pod must run as non-root without the host's network or PIDs")
	}
	// The root file system is read-only: the history goes to a volume.
	var storage string
	for _, a := range get(c, "args").([]any) {
		if v, ok := strings.CutPrefix(a.(string), "--storage.path="); ok {
			storage = v
		}
	}
	writable := false
	for _, vm := range get(c, "volumeMounts").([]any) {
		if get(vm, "mountPath") == storage && get(vm, "readOnly") != true {
			writable = byName(get(pod, "volumes"), get(vm, "name").(string)) != nil
		}
	}
	if storage == "" || !writable {
		t.Errorf("--storage.path %q is not a writable volume", storage)
	}
	port := get(c, "ports", 0)
	if get(port, "containerPort") != 9891 || get(port, "name") != "http" {
		t.Errorf("container port = %v, want http 9891", port)
	}

	// The configuration the pods run parses, and checks the host's disk.
	cm := m["ConfigMap"]
	cfgText, _ := get(cm, "data", "healthmon.yml").(string)
	cfg, err := config.Parse([]byte(cfgText))
	if err != nil {
		t.Fatalf("the ConfigMap's healthmon.yml: %v", err)
	}
	cfgVol := byName(get(pod, "volumes"), "config")
	if get(cfgVol, "configMap", "name") != get(cm, "metadata", "name") {
		t.Error("the DaemonSet does not mount the ConfigMap")
	}
	var mountPoints []string
	for _, comp := range cfg.Components {
		if comp.System != nil {
			mountPoints = append(mountPoints, comp.System.MountPoints...)
		}
	}
	if !slices.Contains(mountPoints, mounts["/"]) {
		t.Errorf("the configuration checks the disks %v, not the host's root at %s", mountPoints, mounts["/"])
	}

	svc := m["Service"]
	if !reflect.DeepEqual(get(svc, "spec", "selector"), podLabels) {
		t.Error("the Service does not select the DaemonSet's pods")
	}
	if get(svc, "metadata", "name") != "healthmon" {
		t.Error("the Service must be called healthmon: it names the scrape job the rules expect")
	}
	svcPort := byName(get(svc, "spec", "ports"), "http")
	if svcPort == nil || svcPort["targetPort"] != "http" {
		t.Errorf("the Service's http port = %v", svcPort)
	}
	sm := m["ServiceMonitor"]
	if !reflect.DeepEqual(get(sm, "spec", "selector", "matchLabels"), get(svc, "metadata", "labels")) {
		t.Error("the ServiceMonitor does not select the Service")
	}
	if get(sm, "spec", "endpoints", 0, "port") != "http" || get(sm, "spec", "jobLabel") != nil {
		t.Error("the ServiceMonitor must scrape the Service's http port under the default job name")
	}

	listed, _ := get(m["Kustomization"], "resources").([]any)
	files, _ := filepath.Glob("deploy/kubernetes/*.yaml")
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(listed, any(base)) {
			t.Errorf("kustomization.yaml does not list %s", base)
		}
	}
}

// TestPrometheusRuleInSync checks that the checked-in PrometheusRule is
// what the generator makes of rules/ now, that its groups are the rule
// files' groups, and that promtool accepts them.
func TestPrometheusRuleInSync(t *testing.T) {
	root(t)
	files, err := promrule.Files(promrule.RulesGlob)
	if err != nil {
		t.Fatal(err)
	}
	want, err := promrule.Generate("healthmon", files)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(promrule.Output)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with %v: run `go run ./internal/cmd/gen-prometheusrule`", promrule.Output, files)
	}

	var pr struct {
		Spec struct {
			Groups []any `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(got, &pr); err != nil {
		t.Fatal(err)
	}
	var groups []any
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rf struct {
			Groups []any `yaml:"groups"`
		}
		if err := yaml.Unmarshal(data, &rf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		groups = append(groups, rf.Groups...)
	}
	if !reflect.DeepEqual(pr.Spec.Groups, groups) {
		t.Error("the PrometheusRule's groups differ from the rule files'")
	}

	promtool := testutil.RequireTool(t, "promtool")
	spec, err := yaml.Marshal(map[string]any{"groups": pr.Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "spec.rules.yml")
	if err := os.WriteFile(path, spec, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on the PrometheusRule's groups: %v\n%s", err, out)
	} else {
		t.Log(strings.TrimSpace(fmt.Sprint(string(out))))
	}
}
