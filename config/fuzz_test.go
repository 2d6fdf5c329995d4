package config_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/healthmon/healthmon/config"
)

// fuzzSeeds are documents worth starting from beside the embedded default
// and the examples: valid ones of every shape, and the classic ways a file
// goes wrong.
var fuzzSeeds = []string{
	"components:\n  - {name: system, kind: system}\n",
	"global: {interval: 15s, timeout: 2s, history_size: 10}\nscoring: {critical_ratio: 0.2, weights: {good: 0.7}}\ncomponents:\n  - name: host\n    kind: system\n    timeout: 1s\n    system: {mount_points: [/, /var]}\n    thresholds:\n      disk_used_ratio{/var}: {warning: 0.9}\n      load_per_core: {direction: higher_is_worse, critical: null}\n",
	"components:\n  - name: a\n    kind: system\n    thresholds:\n      memory_available_bytes: {direction: lower_is_worse, warning: 1e9, critical: 1e8}\n",
	// Broken: syntax, types, unknown names, bad values, duplicates.
	"",
	"---\n",
	"components: [\n",
	"components:\n\t- name: tab\n",
	"global: [1]\n",
	"global: {interval: 0s}\ncomponents: [{name: a, kind: system}]\n",
	"global: {interval: -1m, timeout: abc}\n",
	"global: {history_size: 0}\ncomponents: [{name: a, kind: system}]\n",
	"components: {a: 1}\n",
	"components:\n  - [1]\n",
	"components:\n  - null\n",
	"components:\n  - {name: 1bad, kind: system}\n",
	"components:\n  - {name: a, kind: nosuch}\n",
	"components:\n  - {name: a, kind: system, colour: red}\n",
	"components:\n  - {name: a, kind: system}\n  - {name: a, kind: system}\n",
	"components:\n  - {name: a, kind: system, system: {mount_points: [relative]}}\n",
	"components:\n  - {name: a, kind: system, system: {mount_points: [/, /]}}\n",
	"components:\n  - {name: a, kind: system, http: {}}\n",
	"components:\n  - name: a\n    kind: system\n    thresholds:\n      memory_used_ratio: {warning: 0.9, critical: 0.5}\n",
	"components:\n  - name: a\n    kind: system\n    thresholds:\n      nosuch_metric: {warning: 1}\n",
	"components:\n  - name: a\n    kind: system\n    thresholds:\n      memory_used_ratio: {warning: abc}\n",
	"components:\n  - name: a\n    kind: system\n    thresholds:\n      memory_used_ratio: {direction: sideways}\n",
	"components:\n  - name: a\n    kind: system\n    thresholds:\n      memory_used_ratio:\n",
	"scoring: {weights: {superb: 1}}\ncomponents: [{name: a, kind: system}]\n",
	"scoring: {critical_ratio: 2}\ncomponents: [{name: a, kind: system}]\n",
	"base: &b {kind: system}\ncomponents: [{<<: *b, name: a}]\n",
	"components: &c [{name: x, kind: system}]\nglobal: {interval: *c}\n",
	"components:\n  - name: a\n    kind: system\n    timeout: 5\n",
	"\xef\xbb\xbfcomponents: [{name: a, kind: system}]\n",
	"components: [{name: \"a\\u0000\", kind: system}]\n",
}

// FuzzParse feeds arbitrary documents to Parse. Whatever the input, Parse
// must return (never panic or hang); an accepted configuration must be one
// the evaluator can run (at least one component, unique valid names, known
// kinds, positive durations, valid thresholds and policy); a refused one
// must say why, and be refused again.
func FuzzParse(f *testing.F) {
	f.Add(config.DefaultYAML())
	examples, err := filepath.Glob(filepath.Join("..", "examples", "*.yml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range examples {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	kinds := map[string]bool{}
	for _, k := range config.KindNames() {
		kinds[k] = true
	}
	name := regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_.-]*$`)

	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse(data)
		if err != nil {
			if cfg != nil {
				t.Errorf("Parse returned a configuration with its error %q", err)
			}
			msg := err.Error()
			if strings.TrimSpace(msg) == "" {
				t.Fatal("Parse failed with an empty message")
			}
			// The same input is refused again: no state leaks between calls.
			if _, again := config.Parse(data); again == nil {
				t.Errorf("the same document was refused (%q), then accepted", msg)
			}
			return
		}
		if cfg == nil {
			t.Fatal("Parse returned neither a configuration nor an error")
		}
		if cfg.Global.Interval <= 0 || cfg.Global.Timeout <= 0 || cfg.Global.HistorySize < 1 {
			t.Errorf("accepted global settings that cannot run: %+v", cfg.Global)
		}
		if err := cfg.Scoring.Policy().Validate(); err != nil {
			t.Errorf("accepted an invalid scoring policy: %v", err)
		}
		if len(cfg.Components) == 0 {
			t.Fatal("accepted a configuration without components")
		}
		seen := map[string]bool{}
		for i, c := range cfg.Components {
			if c == nil {
				t.Fatalf("component %d is nil", i)
			}
			if !name.MatchString(c.Name) {
				t.Errorf("accepted the component name %q", c.Name)
			}
			if seen[c.Name] {
				t.Errorf("accepted the duplicate component name %q", c.Name)
			}
			seen[c.Name] = true
			if !kinds[c.Kind] {
				t.Errorf("component %s: accepted the unknown kind %q", c.Name, c.Kind)
			}
			if c.Timeout < 0 {
				t.Errorf("component %s: accepted a negative timeout", c.Name)
			}
			if c.Kind == "system" && (c.System == nil || len(c.System.MountPoints) == 0) {
				t.Errorf("component %s: a system check without mount points", c.Name)
			}
			for key, th := range c.Thresholds {
				if th == nil {
					t.Errorf("component %s: threshold %s is nil", c.Name, key)
					continue
				}
				if err := th.Thresholds().Validate(); err != nil {
					t.Errorf("component %s: accepted an invalid threshold %s: %v", c.Name, key, err)
				}
			}
		}
		// An accepted document is accepted again.
		if _, err := config.Parse(data); err != nil {
			t.Errorf("the same document was accepted, then refused: %v", err)
		}
	})
}
