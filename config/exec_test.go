package config

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/healthmon/healthmon/scoring"
)

func TestExecConfig(t *testing.T) {
	cfg, err := Parse([]byte(`
components:
  - name: load
    kind: exec
    exec:
      command: [/usr/lib/nagios/plugins/check_load, -w, "1,1,1", -c, 2.0, {secret: hunter2}]
      env: {FOO: bar}
      secret_env: {PGPASSWORD: s3cret}
      working_dir: /tmp
      exit_codes: {0: excellent, 4: critical}
      max_output_bytes: 4096
    thresholds:
      load1: {warning: 4}
`))
	if err != nil {
		t.Fatal(err)
	}
	e := cfg.Components[0].Exec
	var args []string
	for _, a := range e.Command {
		args = append(args, a.Value())
	}
	if got := strings.Join(args, " "); got != "/usr/lib/nagios/plugins/check_load -w 1,1,1 -c 2.0 hunter2" {
		t.Errorf("argv = %q", got)
	}
	if got := e.CommandString(); got != "/usr/lib/nagios/plugins/check_load -w 1,1,1 -c 2.0 <secret>" {
		t.Errorf("CommandString = %q", got)
	}
	if e.Env["FOO"] != "bar" || e.SecretEnv["PGPASSWORD"] != "s3cret" || e.WorkingDir != "/tmp" || e.MaxOutputBytes != 4096 {
		t.Errorf("block = %+v", e)
	}
	for code, want := range map[int]scoring.Status{0: scoring.StatusExcellent, 1: scoring.StatusWarning, 2: scoring.StatusCritical, 3: scoring.StatusFailing, 4: scoring.StatusCritical, 5: scoring.StatusFailing, -1: scoring.StatusFailing} {
		if got := e.ExitStatus(code); got != want {
			t.Errorf("ExitStatus(%d) = %s, want %s", code, got, want)
		}
	}
	if th, ok := cfg.Components[0].ThresholdsFor("load1", ""); !ok || *th.Warning != 4 {
		t.Errorf("load1 thresholds = %+v %v", th, ok)
	}
	// A dump of the configuration masks the secrets.
	out, err := yaml.Marshal(cfg.Components[0])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "hunter2") || strings.Contains(string(out), "s3cret") {
		t.Errorf("marshalled config shows a secret:\n%s", out)
	}
}

func TestExecConfigDefaults(t *testing.T) {
	cfg, err := Parse([]byte("components:\n  - name: d\n    kind: exec\n    exec:\n      command: [check_dummy, \"0\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := cfg.Components[0].Exec
	if e.MaxOutputBytes != DefaultMaxOutputBytes {
		t.Errorf("max_output_bytes = %d", e.MaxOutputBytes)
	}
	th := e.ExitCodeThresholds()
	if th.Excellent != nil || th.Warning == nil || *th.Warning != 1 || th.Critical == nil || *th.Critical != 2 {
		t.Errorf("default exit code thresholds = %+v, want warning 1 critical 2", th)
	}
}

// TestExecExitCodeThresholds: for every mapping the loader accepts, the
// exit_code reading's thresholds judge each code as mapped.
func TestExecExitCodeThresholds(t *testing.T) {
	mappings := []string{
		"{}",
		"{0: excellent}",
		"{0: excellent, 1: good, 2: warning, 3: critical}",
		"{1: critical}",
		"{0: good, 1: good, 2: warning, 3: failing}",
		"{2: failing, 3: critical}",
		"{0: warning, 1: critical, 2: critical}",
		"{0: excellent, 1: failing, 2: failing, 3: failing, 10: critical}",
	}
	for _, m := range mappings {
		cfg, err := Parse([]byte("components:\n  - name: d\n    kind: exec\n    exec:\n      command: [/bin/true]\n      exit_codes: " + m + "\n"))
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		e := cfg.Components[0].Exec
		th := e.ExitCodeThresholds()
		if err := th.Validate(); err != nil {
			t.Fatalf("%s: thresholds %+v invalid: %v", m, th, err)
		}
		for code := 0; code <= 255; code++ {
			want := e.ExitStatus(code)
			if want == scoring.StatusFailing {
				continue // reported as the check's error
			}
			if got := th.Evaluate(float64(code)); got != want {
				t.Errorf("%s: code %d judged %s, mapped %s", m, code, got, want)
			}
		}
	}
}

func TestExecConfigInvalid(t *testing.T) {
	const head = "components:\n  - name: p\n    kind: exec\n"
	runInvalid(t, []invalidCase{
		{"no block", head, "line 2: field components[p].exec: a component of kind exec needs a \"exec\" block"},
		{"no command", head + "    exec:\n      env: {A: b}\n", "line 5: field exec.command: is required"},
		{"empty command", head + "    exec:\n      command: []\n", "line 5: field exec.command: is required"},
		{"relative program", head + "    exec:\n      command:\n        - ./check_x\n", "line 6: field exec.command[0]: \"./check_x\" must be an absolute path or a bare name"},
		{"secret program", head + "    exec:\n      command: [{secret: hunter2}]\n", "field exec.command[0]: the program cannot be a secret"},
		{"empty program", head + "    exec:\n      command: [\"\"]\n", "field exec.command[0]: the program is empty"},
		{"shell string", head + "    exec:\n      command: /usr/lib/nagios/plugins/check_load -w 1\n", "line 5: field exec.command: must be a list of the program and its arguments"},
		{"exit code not a number", head + "    exec:\n      command: [/bin/true]\n      exit_codes: {a: good}\n", "line 6: field exec.exit_codes: \"a\" is not an exit code (want 0..255)"},
		{"mapping without secret", head + "    exec:\n      command: [/bin/true, {}]\n", "line 5: field exec.command: an argument given as a mapping needs a secret key"},
		{"misspelled secret", head + "    exec:\n      command: [/bin/true, {secrte: hunter2}]\n", "field components[p].exec.command[1].secrte: unknown field \"secrte\" (known: secret)"},
		{"list argument", head + "    exec:\n      command: [/bin/true, [a]]\n", "line 5: field exec.command: an argument must be a string or {secret: ...}"},
		{"bad env name", head + "    exec:\n      command: [/bin/true]\n      env: {\"A-B\": x}\n", "line 6: field exec.env.A-B: \"A-B\" is not a valid variable name"},
		{"bad secret env name", head + "    exec:\n      command: [/bin/true]\n      secret_env: {\"1A\": hunter2}\n", "line 6: field exec.secret_env.1A: \"1A\" is not a valid variable name"},
		{"env twice", head + "    exec:\n      command: [/bin/true]\n      env: {A: x}\n      secret_env: {A: hunter2}\n", "line 7: field exec.secret_env.A: A is also set in env"},
		{"relative dir", head + "    exec:\n      command: [/bin/true]\n      working_dir: tmp\n", "line 6: field exec.working_dir: \"tmp\" is not an absolute path"},
		{"output too small", head + "    exec:\n      command: [/bin/true]\n      max_output_bytes: 10\n", "line 6: field exec.max_output_bytes: must be within 1024..16777216, got 10"},
		{"exit code out of range", head + "    exec:\n      command: [/bin/true]\n      exit_codes: {256: good}\n", "line 6: field exec.exit_codes: exit code 256 is not within 0..255"},
		{"unknown status", head + "    exec:\n      command: [/bin/true]\n      exit_codes: {1: bad}\n", "line 6: field exec.exit_codes: exit code 1: unknown status \"bad\""},
		{"unknown is no status", head + "    exec:\n      command: [/bin/true]\n      exit_codes: {1: unknown}\n", "exit code 1: unknown status \"unknown\""},
		{"not monotonic", head + "    exec:\n      command: [/bin/true]\n      exit_codes: {1: critical, 2: warning}\n",
			"line 6: field exec.exit_codes: exit code 2 is warning but the lower code 1 is critical: statuses must not improve as codes rise"},
		{"exit_code thresholds", head + "    exec:\n      command: [/bin/true]\n    thresholds:\n      exit_code: {warning: 3}\n",
			"field components[p].exec: thresholds.exit_code: the exit code is judged by exec.exit_codes, not by thresholds"},
		{"misspelled field", head + "    exec:\n      comand: [/bin/true]\n", "line 5: field components[p].exec.comand: unknown field"},
	})
}
