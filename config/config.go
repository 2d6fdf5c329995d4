// Package config is healthmon's configuration schema: defaults, strict YAML
// decoding (unknown fields are errors) and validation at load, with errors
// that name the field and the line.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/healthmon/healthmon/scoring"
)

//go:embed default.yml
var defaultYAML []byte

// DefaultYAML returns the embedded default configuration, used when no
// --config.file is given.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Default returns the parsed embedded default configuration.
func Default() (*Config, error) { return Parse(defaultYAML) }

// Config is the whole configuration file.
type Config struct {
	Global     Global       `yaml:"global"`
	Scoring    Scoring      `yaml:"scoring"`
	Components []*Component `yaml:"components"`
	Prediction Prediction   `yaml:"prediction"`
}

// Global holds the evaluation loop's settings.
type Global struct {
	// Interval between evaluations (the seed's 60 s).
	Interval model.Duration `yaml:"interval"`
	// Timeout of each check unless the component sets its own.
	Timeout model.Duration `yaml:"timeout"`
	// HistorySize is how many snapshots the history keeps (the seed's 1000).
	HistorySize int `yaml:"history_size"`
}

// DefaultGlobal holds the seed's defaults.
var DefaultGlobal = Global{
	Interval:    model.Duration(60 * time.Second),
	Timeout:     model.Duration(10 * time.Second),
	HistorySize: 1000,
}

// UnmarshalYAML applies the defaults and validates.
func (g *Global) UnmarshalYAML(node *yaml.Node) error {
	*g = DefaultGlobal
	type plain Global
	if err := node.Decode((*plain)(g)); err != nil {
		return err
	}
	if g.Interval <= 0 {
		return fieldError(node, "interval", "global.interval", "must be greater than zero, got %s", g.Interval)
	}
	if g.Timeout <= 0 {
		return fieldError(node, "timeout", "global.timeout", "must be greater than zero, got %s", g.Timeout)
	}
	if g.HistorySize < 1 {
		return fieldError(node, "history_size", "global.history_size", "must be at least 1, got %d", g.HistorySize)
	}
	return nil
}

// Scoring holds the numbers of the seed's aggregation rules.
type Scoring struct {
	Weights        map[string]float64 `yaml:"weights"`
	CriticalRatio  float64            `yaml:"critical_ratio"`
	WarningRatio   float64            `yaml:"warning_ratio"`
	ExcellentScore float64            `yaml:"excellent_score"`

	policy scoring.Policy
}

// UnmarshalYAML applies the seed's defaults and validates.
func (s *Scoring) UnmarshalYAML(node *yaml.Node) error {
	def := scoring.DefaultPolicy()
	type plain Scoring
	p := plain{CriticalRatio: def.CriticalRatio, WarningRatio: def.WarningRatio, ExcellentScore: def.ExcellentScore}
	if err := node.Decode(&p); err != nil {
		return err
	}
	*s = Scoring(p)
	policy := def
	policy.Weights = map[scoring.Status]float64{}
	for k, v := range def.Weights {
		policy.Weights[k] = v
	}
	for name, w := range s.Weights {
		st, err := scoring.ParseStatus(name)
		if err != nil || !st.Known() {
			return fieldError(node, "weights", "scoring.weights", "unknown status %q (want excellent, good, warning, critical or failing)", name)
		}
		policy.Weights[st] = w
	}
	policy.CriticalRatio, policy.WarningRatio, policy.ExcellentScore = s.CriticalRatio, s.WarningRatio, s.ExcellentScore
	if err := policy.Validate(); err != nil {
		key := strings.SplitN(err.Error(), " ", 2)[0]
		key = strings.TrimSuffix(key, ":")
		return fieldError(node, key, "scoring."+key, "%s", err)
	}
	s.policy = policy
	return nil
}

// Policy returns the scoring policy the section describes.
func (s Scoring) Policy() scoring.Policy {
	if s.policy.Weights == nil {
		return scoring.DefaultPolicy()
	}
	return s.policy
}

var componentNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_.-]*$`)

// Component is one monitored component: a check of some kind, with the
// thresholds that judge its readings.
type Component struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	// Timeout overrides global.timeout for this check.
	Timeout model.Duration `yaml:"timeout,omitempty"`
	// Thresholds by metric name, or by metric{resource} for one resource.
	// They override the kind's defaults level by level.
	Thresholds map[string]*Threshold `yaml:"thresholds,omitempty"`

	System *SystemConfig `yaml:"system,omitempty"`
	HTTP   *HTTPConfig   `yaml:"http,omitempty"`
	TCP    *TCPConfig    `yaml:"tcp,omitempty"`
	File   *FileConfig   `yaml:"file,omitempty"`
	Exec   *ExecConfig   `yaml:"exec,omitempty"`
	PromQL *PromQLConfig `yaml:"promql,omitempty"`
	Ray    *RayConfig    `yaml:"ray,omitempty"`

	// Line is where the component starts in its file, for later messages.
	Line int `yaml:"-"`
}

// UnmarshalYAML decodes strictly, fills the kind's defaults and validates
// the name, the kind and the thresholds.
func (c *Component) UnmarshalYAML(node *yaml.Node) error {
	type plain Component
	if err := node.Decode((*plain)(c)); err != nil {
		return err
	}
	c.Line = node.Line
	where := "components[" + c.Name + "]"
	if c.Name == "" {
		return lineError(node.Line, "components[]", "name is required")
	}
	if !componentNameRE.MatchString(c.Name) {
		return fieldError(node, "name", where+".name", "%q must match %s", c.Name, componentNameRE)
	}
	spec, ok := kinds[c.Kind]
	if !ok {
		return fieldError(node, "kind", where+".kind", "unknown kind %q (want one of %s)", c.Kind, strings.Join(KindNames(), ", "))
	}
	if c.Timeout < 0 {
		return fieldError(node, "timeout", where+".timeout", "must not be negative, got %s", c.Timeout)
	}
	for name, other := range kinds {
		if name != c.Kind && other.present(c) {
			return fieldError(node, name, where+"."+name, "block %q given for a component of kind %q", name, c.Kind)
		}
	}
	if err := spec.prepare(c); err != nil {
		return fieldError(node, c.Kind, where+"."+c.Kind, "%s", err)
	}
	return c.resolveThresholds(node, where, spec)
}

// resolveThresholds merges the configured levels over the kind's defaults
// and validates the result.
func (c *Component) resolveThresholds(node *yaml.Node, where string, spec kindSpec) error {
	merged := map[string]*Threshold{}
	for metric, t := range spec.defaults {
		cp := *t
		merged[metric] = &cp
	}
	tnode := valueNode(node, "thresholds")
	for key, t := range c.Thresholds {
		line := node.Line
		if t != nil && t.line > 0 {
			line = t.line
		} else if tnode != nil {
			line = tnode.Line
		}
		if t == nil {
			return lineError(line, where+".thresholds."+key, "empty threshold")
		}
		metric := key
		if i := strings.IndexByte(key, '{'); i > 0 && strings.HasSuffix(key, "}") {
			metric = key[:i]
		}
		base, known := merged[metric]
		if spec.fixedMetrics && !known {
			return lineError(line, where+".thresholds."+key, "unknown metric %q for kind %s (known: %s)", metric, c.Kind, strings.Join(spec.metricNames(), ", "))
		}
		merged[key] = t.over(base)
	}
	for key, t := range merged {
		if err := t.Thresholds().Validate(); err != nil {
			line := node.Line
			if ct := c.Thresholds[key]; ct != nil && ct.line > 0 {
				line = ct.line
			}
			return lineError(line, where+".thresholds."+key, "%s", err)
		}
	}
	c.Thresholds = merged
	return nil
}

// ThresholdsFor returns the thresholds of a reading: those configured for
// metric{resource} if any, else those of the metric, else none.
func (c *Component) ThresholdsFor(metric, resource string) (scoring.Thresholds, bool) {
	if resource != "" {
		if t, ok := c.Thresholds[metric+"{"+resource+"}"]; ok {
			return t.Thresholds(), true
		}
	}
	if t, ok := c.Thresholds[metric]; ok {
		return t.Thresholds(), true
	}
	return scoring.Thresholds{}, false
}

// ApplyThresholds sets each reading's thresholds to the configured ones
// where the component configures any; a reading without configured
// thresholds keeps those its check gave it (a plugin's perfdata levels).
func (c *Component) ApplyThresholds(readings []scoring.Reading) {
	for i := range readings {
		if t, ok := c.ThresholdsFor(readings[i].Metric, readings[i].Resource); ok {
			readings[i].Thresholds = t
		}
	}
}

// CheckTimeout returns the component's timeout, or the global one.
func (c *Component) CheckTimeout(g Global) time.Duration {
	if c.Timeout > 0 {
		return time.Duration(c.Timeout)
	}
	return time.Duration(g.Timeout)
}

// Threshold is the configured form of scoring.Thresholds. Levels left out
// inherit the kind's default; `direction` defaults to the kind's, else
// higher_is_worse. A level set to null removes a default.
type Threshold struct {
	Direction *scoring.Direction `yaml:"direction,omitempty"`
	Excellent *float64           `yaml:"excellent,omitempty"`
	Warning   *float64           `yaml:"warning,omitempty"`
	Critical  *float64           `yaml:"critical,omitempty"`

	set  map[string]bool
	line int
}

// UnmarshalYAML decodes strictly and remembers which levels were given.
func (t *Threshold) UnmarshalYAML(node *yaml.Node) error {
	type plain Threshold
	if err := node.Decode((*plain)(t)); err != nil {
		return err
	}
	t.line = node.Line
	t.set = map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		t.set[node.Content[i].Value] = true
	}
	return nil
}

// over returns t with the levels it does not set taken from base.
func (t *Threshold) over(base *Threshold) *Threshold {
	out := *t
	if base == nil {
		return &out
	}
	if !t.set["direction"] {
		out.Direction = base.Direction
	}
	if !t.set["excellent"] {
		out.Excellent = base.Excellent
	}
	if !t.set["warning"] {
		out.Warning = base.Warning
	}
	if !t.set["critical"] {
		out.Critical = base.Critical
	}
	return &out
}

// Thresholds returns the scoring form.
func (t *Threshold) Thresholds() scoring.Thresholds {
	out := scoring.Thresholds{Excellent: t.Excellent, Warning: t.Warning, Critical: t.Critical}
	if t.Direction != nil {
		out.Direction = *t.Direction
	}
	return out
}

// th builds a default threshold; NaN leaves a level out.
func th(dir scoring.Direction, excellent, warning, critical float64) *Threshold {
	t := &Threshold{Direction: &dir}
	lvl := func(v float64) *float64 {
		if v != v {
			return nil
		}
		return &v
	}
	t.Excellent, t.Warning, t.Critical = lvl(excellent), lvl(warning), lvl(critical)
	return t
}

// Parse decodes and validates a configuration document.
func Parse(data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, cleanYAMLError(err)
	}
	if root.Kind == 0 || len(root.Content) == 0 || root.Content[0].Tag == "!!null" {
		return nil, errors.New("the configuration is empty")
	}
	if err := checkFields(&root, reflect.TypeOf(Config{}), ""); err != nil {
		return nil, err
	}
	cfg := &Config{Global: DefaultGlobal}
	if err := root.Decode(cfg); err != nil {
		return nil, cleanYAMLError(err)
	}
	if cfg.Scoring.policy.Weights == nil {
		cfg.Scoring.policy = scoring.DefaultPolicy()
		cfg.Scoring.CriticalRatio = cfg.Scoring.policy.CriticalRatio
		cfg.Scoring.WarningRatio = cfg.Scoring.policy.WarningRatio
		cfg.Scoring.ExcellentScore = cfg.Scoring.policy.ExcellentScore
	}
	if len(cfg.Components) == 0 {
		return nil, errors.New("components: at least one component is required")
	}
	seen := map[string]int{}
	for _, c := range cfg.Components {
		if c == nil {
			return nil, errors.New("components: empty entry")
		}
		if first, dup := seen[c.Name]; dup {
			return nil, fmt.Errorf("line %d: field components[%s].name: duplicate component name %q (first at line %d)", c.Line, c.Name, c.Name, first)
		}
		seen[c.Name] = c.Line
	}
	return cfg, nil
}

// Load reads and parses a configuration file; errors start with its path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg.SetDirectory(filepath.Dir(path))
	return cfg, nil
}

// SetDirectory resolves the relative file names of the client settings
// (ca_file, cert_file, key_file, credentials_file, password_file) against
// dir, the configuration file's folder, as Prometheus does.
func (c *Config) SetDirectory(dir string) {
	for _, comp := range c.Components {
		switch {
		case comp.HTTP != nil:
			comp.HTTP.HTTPClient.SetDirectory(dir)
		case comp.PromQL != nil:
			comp.PromQL.HTTPClient.SetDirectory(dir)
		case comp.Ray != nil:
			comp.Ray.HTTPClient.SetDirectory(dir)
		case comp.TCP != nil:
			comp.TCP.TLSConfig.SetDirectory(dir)
		}
	}
}

// cleanYAMLError drops yaml.v3's Go type names from "field X not found in
// type config.plain" so that users read only the field and the line.
func cleanYAMLError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			if j := strings.Index(m, " not found in type "); j >= 0 {
				m = strings.Replace(m[:j], "field ", "unknown field ", 1)
			}
			msgs[i] = m
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}

// lineError formats an error that names the line and the field.
func lineError(line int, field, format string, args ...any) error {
	return fmt.Errorf("line %d: field %s: %s", line, field, fmt.Sprintf(format, args...))
}

// fieldError is lineError at the line of key inside the mapping node, or at
// the mapping's own line when the key is absent.
func fieldError(node *yaml.Node, key, field, format string, args ...any) error {
	line := node.Line
	if v := valueNode(node, key); v != nil {
		line = v.Line
	}
	return lineError(line, field, format, args...)
}

// valueNode returns the value of key in a mapping node.
func valueNode(node *yaml.Node, key string) *yaml.Node {
	if node == nil || node.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i+1]
		}
	}
	return nil
}

// kindSpec describes one check kind to the schema.
type kindSpec struct {
	// present reports whether the component has this kind's block.
	present func(*Component) bool
	// prepare fills the block's defaults (creating it if the kind allows
	// omission) and validates it.
	prepare func(*Component) error
	// defaults are the kind's default thresholds by metric.
	defaults map[string]*Threshold
	// fixedMetrics: the kind's metrics are known, so a threshold for any
	// other name is a typo.
	fixedMetrics bool
}

func (k kindSpec) metricNames() []string {
	names := make([]string, 0, len(k.defaults))
	for n := range k.defaults {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// kinds is filled by each kind's file in init.
var kinds = map[string]kindSpec{}

func registerKind(name string, spec kindSpec) { kinds[name] = spec }

// KindNames lists the known check kinds.
func KindNames() []string {
	names := make([]string, 0, len(kinds))
	for n := range kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// requireBlock is a prepare step for kinds whose block is mandatory.
func requireBlock(present bool, kind string) error {
	if !present {
		return fmt.Errorf("a component of kind %s needs a %q block", kind, kind)
	}
	return nil
}
