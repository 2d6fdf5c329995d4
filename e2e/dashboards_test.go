package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/healthmon/healthmon/internal/testutil"
)

// The shipped dashboards.
var dashboardFiles = []string{"dashboards/healthmon-host.json", "dashboards/healthmon-fleet.json"}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type target struct {
	Expr       string `json:"expr"`
	RefID      string `json:"refId"`
	Datasource *dsRef `json:"datasource"`
}

type panel struct {
	ID         int      `json:"id"`
	Type       string   `json:"type"`
	Title      string   `json:"title"`
	Datasource *dsRef   `json:"datasource"`
	Targets    []target `json:"targets"`
	Panels     []panel  `json:"panels"`
	Repeat     string   `json:"repeat"`
	GridPos    struct {
		H, W, X, Y int
	} `json:"gridPos"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *dsRef          `json:"datasource"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

// queryText returns a query variable's query, stored as a string or as an
// object with a query field depending on the Grafana version.
func (v variable) queryText() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.Query, &o)
	return o.Query
}

type dashboard struct {
	file          string
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

// allPanels returns every panel, those inside rows included, rows excluded.
func (d *dashboard) allPanels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(d.Panels)
	return out
}

func (d *dashboard) variable(name string) (variable, bool) {
	for _, v := range d.Templating.List {
		if v.Name == name {
			return v, true
		}
	}
	return variable{}, false
}

func loadDashboards(t *testing.T) []*dashboard {
	t.Helper()
	var out []*dashboard
	for _, f := range dashboardFiles {
		d := &dashboard{file: f}
		dec := json.NewDecoder(strings.NewReader(string(readModuleFile(t, f))))
		if err := dec.Decode(d); err != nil {
			t.Fatalf("parsing %s: %v", f, err)
		}
		out = append(out, d)
	}
	return out
}

// Grafana's built-in variables and the values the checks give them.
var builtins = map[string]string{"__rate_interval": "1m", "__interval": "15s", "__range": "1h"}

var varRE = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]`)

// expand substitutes variables the way Grafana does for a Prometheus query.
// It reports the names it does not know.
func expand(expr string, vals map[string]string) (string, []string) {
	var unknown []string
	out := varRE.ReplaceAllStringFunc(expr, func(m string) string {
		sm := varRE.FindStringSubmatch(m)
		name := sm[1] + sm[2] + sm[3]
		if v, ok := vals[name]; ok {
			return v
		}
		if v, ok := builtins[name]; ok {
			return v
		}
		unknown = append(unknown, name)
		return m
	})
	return out, unknown
}

var labelValuesRE = regexp.MustCompile(`^\s*label_values\((?:(.*),\s*)?(\w+)\)\s*$`)

// labelValuesQuery splits a label_values(expr, label) variable query.
func labelValuesQuery(q string) (expr, label string, ok bool) {
	m := labelValuesRE.FindStringSubmatch(q)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// TestDashboardsStructure checks what Grafana needs to import the
// dashboards and what they promise: a data source variable used by every
// panel and query, an instance variable on the host dashboard used by
// every query, and known variables only.
func TestDashboardsStructure(t *testing.T) {
	for _, d := range loadDashboards(t) {
		t.Run(filepath.Base(d.file), func(t *testing.T) {
			if d.UID == "" || d.Title == "" {
				t.Errorf("uid %q, title %q: both are needed", d.UID, d.Title)
			}
			if d.SchemaVersion < 36 {
				t.Errorf("schemaVersion %d, want 36 or later", d.SchemaVersion)
			}
			ds, ok := d.variable("datasource")
			if !ok || ds.Type != "datasource" || ds.queryText() != "prometheus" {
				t.Errorf("no datasource variable of Prometheus data sources: %+v", ds)
			}
			known := map[string]string{}
			for _, v := range d.Templating.List {
				known[v.Name] = "x"
				if v.Type == "query" {
					if v.Datasource == nil || v.Datasource.UID != "${datasource}" {
						t.Errorf("variable %s does not use ${datasource}", v.Name)
					}
					if _, _, ok := labelValuesQuery(v.queryText()); !ok {
						t.Errorf("variable %s: query %q is not label_values(...)", v.Name, v.queryText())
					}
				}
			}
			host := d.UID == "healthmon-host"
			if host {
				if _, ok := d.variable("instance"); !ok {
					t.Error("no instance variable")
				}
			}
			ids := map[int]bool{}
			queries := 0
			for _, p := range d.allPanels() {
				if ids[p.ID] {
					t.Errorf("panel id %d is used twice", p.ID)
				}
				ids[p.ID] = true
				if p.GridPos.W < 1 || p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H < 1 {
					t.Errorf("panel %q: gridPos %+v outside the 24 columns", p.Title, p.GridPos)
				}
				if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
					t.Errorf("panel %q does not use ${datasource}", p.Title)
				}
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no query", p.Title)
				}
				refs := map[string]bool{}
				for _, tg := range p.Targets {
					queries++
					if tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
						t.Errorf("panel %q query %s does not use ${datasource}", p.Title, tg.RefID)
					}
					if refs[tg.RefID] {
						t.Errorf("panel %q: refId %s used twice", p.Title, tg.RefID)
					}
					refs[tg.RefID] = true
					if strings.TrimSpace(tg.Expr) == "" {
						t.Errorf("panel %q query %s is empty", p.Title, tg.RefID)
					}
					if _, unknown := expand(tg.Expr, known); len(unknown) > 0 {
						t.Errorf("panel %q query %s uses undefined variables %v", p.Title, tg.RefID, unknown)
					}
					if host && !strings.Contains(tg.Expr, `instance="$instance"`) {
						t.Errorf("panel %q query %s does not select instance=\"$instance\": %s", p.Title, tg.RefID, tg.Expr)
					}
				}
			}
			if queries < 10 {
				t.Errorf("only %d queries", queries)
			}
		})
	}
}

// dashboardQuery is one PromQL query of a dashboard: a panel's or a
// variable's.
type dashboardQuery struct {
	where string // dashboard, panel and refId, for messages
	expr  string // with variables
}

// dashboardQueries returns every query of a dashboard, variables' label_values
// expressions included.
func dashboardQueries(d *dashboard) []dashboardQuery {
	var out []dashboardQuery
	for _, v := range d.Templating.List {
		if expr, _, ok := labelValuesQuery(v.queryText()); ok && v.Type == "query" && expr != "" {
			out = append(out, dashboardQuery{fmt.Sprintf("%s variable %s", d.UID, v.Name), expr})
		}
	}
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			out = append(out, dashboardQuery{fmt.Sprintf("%s panel %q query %s", d.UID, p.Title, tg.RefID), tg.Expr})
		}
	}
	return out
}

// TestDashboardQueriesParse checks that every query of every dashboard is
// valid PromQL once its variables are substituted, by promtool: each
// becomes a recording rule of a file given to `promtool check rules`.
// The end-to-end test runs them against a real Prometheus as well.
func TestDashboardQueriesParse(t *testing.T) {
	promtool := testutil.RequireTool(t, "promtool")
	vals := map[string]string{"job": "healthmon", "instance": "127.0.0.1:9891", "component": ".*", "metric": "age_seconds", "datasource": "prometheus"}
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	var where []string
	for _, d := range loadDashboards(t) {
		for _, q := range dashboardQueries(d) {
			expr, unknown := expand(q.expr, vals)
			if len(unknown) > 0 {
				t.Errorf("%s: unknown variables %v", q.where, unknown)
			}
			rules = append(rules, rule{Record: fmt.Sprintf("dashboard_query_%d", len(rules)), Expr: expr})
			where = append(where, q.where)
		}
	}
	doc := map[string]any{"groups": []any{map[string]any{"name": "dashboards", "rules": rules}}}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := writeFile(t, dir, "dashboards.rules.yml", b)
	cmd := exec.Command(promtool, "check", "rules", path)
	outb, err := cmd.CombinedOutput()
	out := string(outb)
	if err != nil {
		var legend strings.Builder
		for i, w := range where {
			fmt.Fprintf(&legend, "dashboard_query_%d: %s\n", i, w)
		}
		t.Fatalf("promtool check rules: %v\n%s\n%s", err, out, legend.String())
	}
	if want := fmt.Sprintf("SUCCESS: %d rules found", len(rules)); !strings.Contains(out, want) {
		t.Fatalf("promtool check rules: want %q:\n%s", want, out)
	}
	t.Logf("%d dashboard queries parse", len(rules))
}
