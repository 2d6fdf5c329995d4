package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	promconfig "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/healthmon/healthmon/scoring"
)

// ExecConfig configures a check of kind exec: a Nagios-compatible plugin
// run from an argument list, never through a shell. Its exit code judges
// the component, its first output line is the reason, and its performance
// data become readings.
type ExecConfig struct {
	// Command is the program and its arguments. The program is an absolute
	// path or a name looked up in PATH. An argument may be {secret: ...}: it
	// is passed to the plugin as is but shown as <secret> everywhere else.
	Command []ExecArg `yaml:"command"`
	// Env adds variables to the plugin's environment.
	Env map[string]string `yaml:"env,omitempty"`
	// SecretEnv adds variables whose values are secrets (a database
	// password for check_pgsql, say).
	SecretEnv map[string]promconfig.Secret `yaml:"secret_env,omitempty"`
	// WorkingDir is the plugin's working directory, absolute; default /.
	WorkingDir string `yaml:"working_dir,omitempty"`
	// ExitCodes maps exit codes to statuses, over the default 0 good,
	// 1 warning, 2 critical, 3 failing; a code mapped nowhere is failing.
	ExitCodes map[int]string `yaml:"exit_codes,omitempty"`
	// MaxOutputBytes caps what is kept of the plugin's standard output;
	// the rest is read and discarded. Default 64 KiB.
	MaxOutputBytes int `yaml:"max_output_bytes"`

	exitStatus map[int]scoring.Status
}

// MetricExitCode is the exec kind's own reading: the plugin's exit code,
// judged by the exit_codes mapping.
const MetricExitCode = "exit_code"

// DefaultMaxOutputBytes is max_output_bytes' default.
const DefaultMaxOutputBytes = 64 << 10

// Bounds of max_output_bytes.
const (
	minOutputBytes = 1 << 10
	maxOutputBytes = 16 << 20
)

// DefaultExitCodes is the Nagios convention: OK, WARNING, CRITICAL,
// UNKNOWN.
var DefaultExitCodes = map[int]scoring.Status{
	0: scoring.StatusGood,
	1: scoring.StatusWarning,
	2: scoring.StatusCritical,
	3: scoring.StatusFailing,
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func init() {
	registerKind("exec", kindSpec{
		present: func(c *Component) bool { return c.Exec != nil },
		prepare: prepareExec,
		// Not fixed: the plugin's perfdata labels name the other readings.
		defaults: map[string]*Threshold{},
	})
}

func prepareExec(c *Component) error {
	if err := requireBlock(c.Exec != nil, "exec"); err != nil {
		return err
	}
	if _, ok := c.Thresholds[MetricExitCode]; ok {
		return fmt.Errorf("thresholds.%s: the exit code is judged by exec.exit_codes, not by thresholds", MetricExitCode)
	}
	return nil
}

// ExecArg is one element of an exec command: a plain string, or a secret
// written {secret: ...}.
type ExecArg struct {
	// Secret is the argument's value when it is a secret.
	Secret promconfig.Secret `yaml:"secret"`

	value    string
	isSecret bool
}

// PlainArg returns a plain (non-secret) argument, for building commands in
// code.
func PlainArg(s string) ExecArg { return ExecArg{value: s} }

// SecretArg returns a secret argument.
func SecretArg(s string) ExecArg { return ExecArg{Secret: promconfig.Secret(s), isSecret: true} }

// UnmarshalYAML accepts a scalar (kept exactly as written: 1.0 stays 1.0)
// or a mapping {secret: ...}.
func (a *ExecArg) UnmarshalYAML(node *yaml.Node) error {
	*a = ExecArg{}
	switch node.Kind {
	case yaml.ScalarNode:
		a.value = node.Value
		return nil
	case yaml.MappingNode:
		type plain ExecArg
		var p plain
		if err := node.Decode(&p); err != nil {
			return err
		}
		if valueNode(node, "secret") == nil {
			return lineError(node.Line, "exec.command", "an argument given as a mapping needs a secret key")
		}
		a.Secret, a.isSecret = p.Secret, true
		return nil
	}
	return lineError(node.Line, "exec.command", "an argument must be a string or {secret: ...}")
}

// MarshalYAML renders the argument with a secret masked.
func (a ExecArg) MarshalYAML() (any, error) {
	if a.isSecret {
		return map[string]promconfig.Secret{"secret": a.Secret}, nil
	}
	return a.value, nil
}

// IsSecret reports whether the argument is a secret.
func (a ExecArg) IsSecret() bool { return a.isSecret }

// Value returns the argument as passed to the program, secret or not.
func (a ExecArg) Value() string {
	if a.isSecret {
		return string(a.Secret)
	}
	return a.value
}

// String returns the argument for people: <secret> for a secret.
func (a ExecArg) String() string {
	if a.isSecret {
		return "<secret>"
	}
	return a.value
}

// UnmarshalYAML applies the defaults and validates, naming the field and
// its line.
func (e *ExecConfig) UnmarshalYAML(node *yaml.Node) error {
	*e = ExecConfig{MaxOutputBytes: DefaultMaxOutputBytes}
	// Shapes that yaml.v3 would report with Go type names.
	cmdNode := valueNode(node, "command")
	if cmdNode != nil && cmdNode.Kind != yaml.SequenceNode && cmdNode.Tag != "!!null" {
		return lineError(cmdNode.Line, "exec.command", "must be a list of the program and its arguments, e.g. [/usr/lib/nagios/plugins/check_load, -w, \"1,1,1\"]: no shell splits a string")
	}
	if codes := valueNode(node, "exit_codes"); codes != nil && codes.Kind == yaml.MappingNode {
		for i := 0; i < len(codes.Content); i += 2 {
			if _, err := strconv.Atoi(codes.Content[i].Value); err != nil {
				return lineError(codes.Content[i].Line, "exec.exit_codes", "%q is not an exit code (want 0..255)", codes.Content[i].Value)
			}
		}
	}
	type plain ExecConfig
	if err := node.Decode((*plain)(e)); err != nil {
		return err
	}
	if len(e.Command) == 0 {
		return fieldError(node, "command", "exec.command", "is required: the plugin and its arguments as a list, e.g. [/usr/lib/nagios/plugins/check_load, -w, \"1,1,1\", -c, \"2,2,2\"]")
	}
	argLine := func(i int) int {
		if cmdNode != nil && i < len(cmdNode.Content) {
			return cmdNode.Content[i].Line
		}
		return node.Line
	}
	prog := e.Command[0]
	switch {
	case prog.IsSecret():
		return lineError(argLine(0), "exec.command[0]", "the program cannot be a secret")
	case prog.value == "":
		return lineError(argLine(0), "exec.command[0]", "the program is empty")
	case !filepath.IsAbs(prog.value) && strings.ContainsRune(prog.value, '/'):
		return lineError(argLine(0), "exec.command[0]", "%q must be an absolute path or a bare name looked up in PATH (no shell is involved)", prog.value)
	}
	for i, a := range e.Command {
		if strings.ContainsRune(a.Value(), 0) {
			return lineError(argLine(i), fmt.Sprintf("exec.command[%d]", i), "contains a NUL byte")
		}
	}
	for _, name := range sortedNames(e.Env) {
		if err := checkEnv(name, e.Env[name]); err != nil {
			return fieldError(node, "env", "exec.env."+name, "%s", err)
		}
	}
	for _, name := range sortedNames(e.SecretEnv) {
		if err := checkEnv(name, string(e.SecretEnv[name])); err != nil {
			return fieldError(node, "secret_env", "exec.secret_env."+name, "%s", err)
		}
		if _, dup := e.Env[name]; dup {
			return fieldError(node, "secret_env", "exec.secret_env."+name, "%s is also set in env", name)
		}
	}
	if e.WorkingDir != "" && !filepath.IsAbs(e.WorkingDir) {
		return fieldError(node, "working_dir", "exec.working_dir", "%q is not an absolute path", e.WorkingDir)
	}
	if e.MaxOutputBytes < minOutputBytes || e.MaxOutputBytes > maxOutputBytes {
		return fieldError(node, "max_output_bytes", "exec.max_output_bytes", "must be within %d..%d, got %d", minOutputBytes, maxOutputBytes, e.MaxOutputBytes)
	}
	status, err := exitStatuses(e.ExitCodes)
	if err != nil {
		return fieldError(node, "exit_codes", "exec.exit_codes", "%s", err)
	}
	e.exitStatus = status
	return nil
}

func checkEnv(name, value string) error {
	if !envNameRE.MatchString(name) {
		return fmt.Errorf("%q is not a valid variable name (want %s)", name, envNameRE)
	}
	if strings.ContainsRune(value, 0) {
		return fmt.Errorf("the value contains a NUL byte")
	}
	return nil
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// exitStatuses merges the configured mapping over the default and checks
// that statuses never improve as the code rises (failing aside), so that
// one set of thresholds on exit_code judges every code as mapped.
func exitStatuses(conf map[int]string) (map[int]scoring.Status, error) {
	out := make(map[int]scoring.Status, len(DefaultExitCodes)+len(conf))
	for k, v := range DefaultExitCodes {
		out[k] = v
	}
	codes := make([]int, 0, len(conf))
	for code := range conf {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	for _, code := range codes {
		if code < 0 || code > 255 {
			return nil, fmt.Errorf("exit code %d is not within 0..255", code)
		}
		st, err := scoring.ParseStatus(conf[code])
		if err != nil || !st.Known() {
			return nil, fmt.Errorf("exit code %d: unknown status %q (want excellent, good, warning, critical or failing)", code, conf[code])
		}
		out[code] = st
	}
	codes = codes[:0]
	for code, st := range out {
		if st != scoring.StatusFailing {
			codes = append(codes, code)
		}
	}
	sort.Ints(codes)
	for i := 1; i < len(codes); i++ {
		lo, hi := codes[i-1], codes[i]
		if out[hi] < out[lo] {
			return nil, fmt.Errorf("exit code %d is %s but the lower code %d is %s: statuses must not improve as codes rise (failing aside)", hi, out[hi], lo, out[lo])
		}
	}
	return out, nil
}

// ExitStatus returns the status an exit code maps to; a code mapped
// nowhere (a negative one: killed by a signal) is failing.
func (e *ExecConfig) ExitStatus(code int) scoring.Status {
	m := e.exitStatus
	if m == nil {
		m = DefaultExitCodes
	}
	if st, ok := m[code]; ok {
		return st
	}
	return scoring.StatusFailing
}

// ExitCodeThresholds returns the thresholds under which the exit_code
// reading of every code not mapped to failing is judged as mapped: the
// highest excellent code, the lowest warning and the lowest critical one.
// Under the default mapping: warning 1, critical 2.
func (e *ExecConfig) ExitCodeThresholds() scoring.Thresholds {
	m := e.exitStatus
	if m == nil {
		m = DefaultExitCodes
	}
	var t scoring.Thresholds
	for code, st := range m {
		c := float64(code)
		switch st {
		case scoring.StatusExcellent:
			if t.Excellent == nil || c > *t.Excellent {
				t.Excellent = scoring.Level(c)
			}
		case scoring.StatusWarning:
			if t.Warning == nil || c < *t.Warning {
				t.Warning = scoring.Level(c)
			}
		case scoring.StatusCritical:
			if t.Critical == nil || c < *t.Critical {
				t.Critical = scoring.Level(c)
			}
		}
	}
	return t
}

// CommandString renders the command for logs and errors, secrets masked.
func (e *ExecConfig) CommandString() string {
	parts := make([]string, len(e.Command))
	for i, a := range e.Command {
		s := a.String()
		if s == "" || strings.ContainsAny(s, " \t\n'\"\\") {
			s = strconv.Quote(s)
		}
		parts[i] = s
	}
	return strings.Join(parts, " ")
}
