package e2e

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/healthmon/healthmon/internal/testutil"
)

const rulesFile = "rules/healthmon.rules.yml"

// ruleFile is the part of a Prometheus rule file the tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// ruleTestFile is the part of a promtool test file the tests read.
type ruleTestFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		AlertRuleTests []struct {
			EvalTime  string `yaml:"eval_time"`
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `yaml:"exp_labels"`
				ExpAnnotations map[string]string `yaml:"exp_annotations"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
		PromQLExprTests []struct {
			Expr string `yaml:"expr"`
		} `yaml:"promql_expr_test"`
	} `yaml:"tests"`
}

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	var rf ruleFile
	if err := yaml.Unmarshal(readModuleFile(t, rulesFile), &rf); err != nil {
		t.Fatalf("parsing %s: %v", rulesFile, err)
	}
	return rf
}

func ruleTestFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(moduleFile(t, "rules/tests/*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule tests in rules/tests/: %v", err)
	}
	sort.Strings(files)
	return files
}

// TestRulesPromtool runs promtool on the shipped rules and their unit tests.
func TestRulesPromtool(t *testing.T) {
	promtool := testutil.RequireTool(t, "promtool")
	root := moduleFile(t, ".")
	out := runTool(t, root, promtool, "check", "rules", rulesFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool check rules: %s", out)
	}
	args := []string{promtool, "test", "rules"}
	for _, f := range ruleTestFiles(t) {
		rel, _ := filepath.Rel(root, f)
		args = append(args, rel)
	}
	out = runTool(t, root, args...)
	if strings.Contains(out, "FAILED") {
		t.Fatalf("promtool test rules: %s", out)
	}
}

// TestRuleTestsCoverEveryRule checks that the unit tests test every alert
// both firing (with its labels and annotations) and not firing, and every
// recording rule; and that every alert carries a severity and annotations
// that name the instance.
func TestRuleTestsCoverEveryRule(t *testing.T) {
	rf := loadRules(t)
	firing := map[string]int{}
	silent := map[string]int{}
	var exprs []string
	for _, f := range ruleTestFiles(t) {
		var tf ruleTestFile
		if err := yaml.Unmarshal(readModuleFile(t, filepath.Join("rules/tests", filepath.Base(f))), &tf); err != nil {
			t.Fatalf("parsing %s: %v", f, err)
		}
		if len(tf.RuleFiles) != 1 || tf.RuleFiles[0] != "../healthmon.rules.yml" {
			t.Errorf("%s: rule_files = %v, want the shipped rules only", f, tf.RuleFiles)
		}
		for _, tc := range tf.Tests {
			for _, at := range tc.AlertRuleTests {
				if len(at.ExpAlerts) == 0 {
					silent[at.Alertname]++
					continue
				}
				firing[at.Alertname]++
				for _, ea := range at.ExpAlerts {
					if ea.ExpLabels["severity"] == "" || ea.ExpAnnotations["summary"] == "" || ea.ExpAnnotations["description"] == "" {
						t.Errorf("%s: %s at %s: expected alert without severity, summary or description", filepath.Base(f), at.Alertname, at.EvalTime)
					}
				}
			}
			for _, pt := range tc.PromQLExprTests {
				exprs = append(exprs, pt.Expr)
			}
		}
	}
	alerts, records := 0, 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				records++
				found := false
				for _, e := range exprs {
					if strings.Contains(e, r.Record) {
						found = true
					}
				}
				if !found {
					t.Errorf("recording rule %s has no promql_expr_test", r.Record)
				}
				continue
			}
			alerts++
			if firing[r.Alert] == 0 {
				t.Errorf("alert %s is never tested firing", r.Alert)
			}
			if silent[r.Alert] == 0 {
				t.Errorf("alert %s is never tested not firing", r.Alert)
			}
			switch r.Labels["severity"] {
			case "critical", "warning", "info":
			default:
				t.Errorf("alert %s: severity %q, want critical, warning or info", r.Alert, r.Labels["severity"])
			}
			for _, a := range []string{"summary", "description"} {
				if !strings.Contains(r.Annotations[a], "$labels.instance") {
					t.Errorf("alert %s: %s does not name the instance", r.Alert, a)
				}
			}
		}
	}
	if alerts < 13 || records < 11 {
		t.Errorf("found %d alerts and %d recording rules in %s, want at least 13 and 11", alerts, records, rulesFile)
	}
}

// TestExampleConfigs checks the example Prometheus and Alertmanager
// configurations with their own tools, and Alertmanager's routing of each
// severity.
func TestExampleConfigs(t *testing.T) {
	promtool := testutil.RequireTool(t, "promtool")
	amtool := testutil.RequireTool(t, "amtool")
	root := moduleFile(t, ".")
	runTool(t, root, promtool, "check", "config", "examples/prometheus.yml")
	runTool(t, root, amtool, "check-config", "examples/alertmanager.yml")
	for _, tc := range []struct{ labels, receiver string }{
		{"severity=critical", "pager"},
		{"severity=warning", "team"},
		{"severity=info", "chat"},
		{"alertname=Other", "team"},
	} {
		// amtool exits 1 when the receivers differ.
		runTool(t, root, amtool, "config", "routes", "test", "--config.file=examples/alertmanager.yml", "--verify.receivers="+tc.receiver, tc.labels)
	}
}
