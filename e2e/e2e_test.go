package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/healthmon/healthmon/internal/harness"
	"github.com/healthmon/healthmon/internal/testutil"
)

// e2eDeadline bounds the whole end-to-end test.
const e2eDeadline = 3 * time.Minute

// shortFor replaces every `for:` of the shipped rules in the end-to-end
// test; nothing else of the rules changes.
const shortFor = "2s"

// TestAlertsEndToEnd runs healthmon, Prometheus with the shipped rules and
// Alertmanager with the shipped routing on loopback, makes a heartbeat
// component go critical, and follows the alert to a webhook and back to
// resolved. Then every dashboard query must return data from that
// Prometheus.
func TestAlertsEndToEnd(t *testing.T) {
	prometheus := testutil.RequireTool(t, "prometheus")
	alertmanager := testutil.RequireTool(t, "prometheus-alertmanager")
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), e2eDeadline)
	t.Cleanup(cancel)
	dir := t.TempDir()

	// The heartbeat the component watches, touched every 200 ms while alive.
	hb := newHeartbeat(t, filepath.Join(dir, "heartbeat"))

	// healthmon: the heartbeat (critical when 15 s old), the same file judged
	// with tighter and looser thresholds so that the overall score falls in
	// steps a second or two apart (a trend, not one drop), and the host with
	// thresholds it does not reach; evaluated every second, with trends over
	// 10 s so that predictions show within the test.
	hmAddr := harness.FreeAddr(t)
	hmConfig := writeFile(t, dir, "healthmon.yml", []byte(fmt.Sprintf(`global:
  interval: 1s
  timeout: 1s
prediction:
  trend_window: 10s
  min_points: 5
components:
  - name: heartbeat
    kind: file
    file:
      path: %[1]s
    thresholds:
      age_seconds: {excellent: 2, warning: 10, critical: 15}
  - name: heartbeat_tight
    kind: file
    file:
      path: %[1]s
    thresholds:
      age_seconds: {excellent: 1, warning: 4, critical: 7}
  - name: heartbeat_loose
    kind: file
    file:
      path: %[1]s
    thresholds:
      age_seconds: {excellent: 3, warning: 6, critical: 12}
  - name: system
    kind: system
    thresholds:
      cpu_used_ratio: {excellent: 0.9, warning: 1.01, critical: 1.02}
      load_per_core: {excellent: 50, warning: 100, critical: 200}
      memory_used_ratio: {excellent: 0.97, warning: 0.98, critical: 0.99}
      disk_used_ratio: {excellent: 0.97, warning: 0.98, critical: 0.99}
`, hb.path)))
	bin := harness.Binary(t)
	hmArgs := []string{bin, "--config.file=" + hmConfig, "--web.listen-address=" + hmAddr, "--log.level=warn"}
	if help, _ := exec.Command(bin, "--help").CombinedOutput(); bytes.Contains(help, []byte("--storage.path")) {
		// The history is persisted: keep it in the test's directory.
		hmArgs = append(hmArgs, "--storage.path="+filepath.Join(dir, "healthmon-data"))
	}
	startProc(ctx, t, "healthmon", "http://"+hmAddr+"/-/ready", hmArgs...)

	// The webhook receiver behind Alertmanager.
	hook := newWebhook(t)

	// Alertmanager with the shipped configuration, only its waits shortened
	// and its webhooks pointed at the test's receiver.
	amAddr := harness.FreeAddr(t)
	amConfig := writeFile(t, dir, "alertmanager.yml", alertmanagerConfig(t, hook.srv.URL))
	startProc(ctx, t, "alertmanager", "http://"+amAddr+"/-/ready",
		alertmanager, "--config.file="+amConfig, "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=", "--log.level=warn")

	// Prometheus with the shipped rules, only their `for` shortened.
	rules := writeFile(t, dir, "healthmon.rules.yml", shortenFor(t, readModuleFile(t, rulesFile)))
	promAddr := harness.FreeAddr(t)
	promConfig := writeFile(t, dir, "prometheus.yml", []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
alerting:
  alertmanagers:
    - static_configs: [{targets: [%q]}]
scrape_configs:
  - job_name: healthmon
    static_configs: [{targets: [%q]}]
`, rules, amAddr, hmAddr)))
	startProc(ctx, t, "prometheus", "http://"+promAddr+"/-/ready",
		prometheus, "--config.file="+promConfig, "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	prom := &promAPI{base: "http://" + promAddr}
	t.Logf("healthmon %s, Alertmanager %s, Prometheus %s started in %s", hmAddr, amAddr, promAddr, time.Since(began).Round(time.Millisecond))

	// Healthy first, as Prometheus sees it.
	waitFor(ctx, t, "Prometheus to see the heartbeat healthy", func() (bool, string) {
		n, err := prom.count(ctx, fmt.Sprintf(`healthmon_component_status{job="healthmon",instance=%q,component="heartbeat",status=~"excellent|good"} == 1`, hmAddr))
		return n == 1, fmt.Sprintf("%d series, %v", n, err)
	})

	want := map[string]string{
		"alertname": "HealthmonComponentCritical",
		"severity":  "critical",
		"component": "heartbeat",
		"instance":  hmAddr,
		"job":       "healthmon",
	}
	if n := hook.matching("", want); n > 0 {
		t.Fatalf("a critical notification arrived while the heartbeat was fresh: %s", hook.dump())
	}

	// The writer stops: the heartbeat ages to critical and the page goes
	// out through Alertmanager's pager route.
	hb.setAlive(false)
	stopped := time.Now()
	var firing alertMessage
	waitFor(ctx, t, "the critical-component alert at the pager webhook", func() (bool, string) {
		m, ok := hook.find(0, "/pager", "firing", want)
		firing = m
		return ok, hook.dump()
	})
	t.Logf("firing notification %s after the heartbeat stopped", time.Since(stopped).Round(time.Millisecond))
	if d := firing.alert(want).Annotations["description"]; !strings.Contains(d, "age_seconds") || !strings.Contains(d, "heartbeat") || !strings.Contains(d, hmAddr) {
		t.Errorf("description does not name the instance, component and metric: %q", d)
	}
	if s := firing.alert(want).Annotations["summary"]; s != "heartbeat on "+hmAddr+" is critical or failing" {
		t.Errorf("summary = %q", s)
	}

	// The inhibitions of the shipped configuration hold in Alertmanager: the
	// component's warning and the host's overall warning are suppressed by
	// their critical alerts.
	am := &amAPI{base: "http://" + amAddr}
	for _, inhibited := range []map[string]string{
		{"alertname": "HealthmonComponentWarning", "component": "heartbeat", "instance": hmAddr},
		{"alertname": "HealthmonOverallDegraded", "instance": hmAddr},
	} {
		waitFor(ctx, t, fmt.Sprintf("Alertmanager to inhibit %s", inhibited["alertname"]), func() (bool, string) {
			alerts, err := am.alerts(ctx)
			if err != nil {
				return false, err.Error()
			}
			for _, a := range alerts {
				if hasLabels(a.Labels, inhibited) {
					return a.Status.State == "suppressed" && len(a.Status.InhibitedBy) > 0, fmt.Sprintf("%+v", a)
				}
			}
			return false, fmt.Sprintf("not among %d alerts", len(alerts))
		})
	}

	// The writer is back: the alert resolves and the resolved notification
	// follows.
	if _, ok := hook.find(0, "/pager", "resolved", want); ok {
		// Under load a scrape can time out: the series go stale and the
		// alert resolves and fires again. Only what follows counts.
		t.Logf("the alert resolved before the heartbeat resumed: %s", hook.dump())
	}
	mark := hook.len()
	hb.setAlive(true)
	recovered := time.Now()
	waitFor(ctx, t, "the resolved notification at the pager webhook", func() (bool, string) {
		_, ok := hook.find(mark, "/pager", "resolved", want)
		return ok, hook.dump()
	})
	t.Logf("resolved notification %s after the heartbeat resumed", time.Since(recovered).Round(time.Millisecond))

	// Every dashboard query returns data from this Prometheus over the test.
	checkDashboardsLive(ctx, t, prom, began, map[string]string{"job": "healthmon", "instance": hmAddr})
	t.Logf("webhook: %s", hook.dump())
	t.Logf("end-to-end test took %s", time.Since(began).Round(time.Millisecond))
}

// heartbeat is a file touched every 200 ms while alive.
type heartbeat struct {
	path  string
	alive atomic.Bool
}

func newHeartbeat(t *testing.T, path string) *heartbeat {
	t.Helper()
	hb := &heartbeat{path: path}
	if err := os.WriteFile(path, []byte("alive\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hb.alive.Store(true)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if hb.alive.Load() {
					now := time.Now()
					_ = os.Chtimes(path, now, now)
				}
			}
		}
	}()
	t.Cleanup(func() { close(done); wg.Wait() })
	return hb
}

func (h *heartbeat) setAlive(alive bool) {
	if alive {
		now := time.Now()
		_ = os.Chtimes(h.path, now, now)
	}
	h.alive.Store(alive)
}

// alertMessage is Alertmanager's webhook payload (version 4).
type alertMessage struct {
	path     string
	Receiver string `json:"receiver"`
	Status   string `json:"status"`
	Alerts   []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"alerts"`
}

// alert returns the message's alert with the labels, or a zero one.
func (m alertMessage) alert(labels map[string]string) (a struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}) {
	for _, x := range m.Alerts {
		if hasLabels(x.Labels, labels) {
			return x
		}
	}
	return a
}

// webhook records Alertmanager's notifications.
type webhook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []alertMessage
}

func newWebhook(t *testing.T) *webhook {
	t.Helper()
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var m alertMessage
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		m.path = r.URL.Path
		w.mu.Lock()
		w.msgs = append(w.msgs, m)
		w.mu.Unlock()
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// len returns how many notifications arrived so far.
func (w *webhook) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.msgs)
}

// find returns the first notification from the from'th on, to path (any
// when empty), with the status, whose alert has the labels and that status.
func (w *webhook) find(from int, path, status string, labels map[string]string) (alertMessage, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.msgs[from:] {
		if (path != "" && m.path != path) || m.Status != status {
			continue
		}
		for _, a := range m.Alerts {
			if a.Status == status && hasLabels(a.Labels, labels) {
				return m, true
			}
		}
	}
	return alertMessage{}, false
}

// matching counts the notifications with an alert that has the labels.
func (w *webhook) matching(path string, labels map[string]string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, m := range w.msgs {
		for _, a := range m.Alerts {
			if (path == "" || m.path == path) && hasLabels(a.Labels, labels) {
				n++
			}
		}
	}
	return n
}

// dump describes the notifications so far, for failure messages.
func (w *webhook) dump() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d notifications:", len(w.msgs))
	for _, m := range w.msgs {
		for _, a := range m.Alerts {
			fmt.Fprintf(&b, "\n  %s %s %s %v", m.path, m.Status, a.Status, a.Labels)
		}
	}
	return b.String()
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// waitFor polls cond every 250 ms until it holds or ctx ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	for {
		ok, state := cond()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s: %v; last state: %s", what, ctx.Err(), state)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// editYAML decodes a YAML document, lets edit change its nodes, and
// encodes it again.
func editYAML(t *testing.T, doc []byte, edit func(key string, value *yaml.Node)) []byte {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		t.Fatalf("parsing YAML: %v", err)
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				edit(n.Content[i].Value, n.Content[i+1])
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	out, err := yaml.Marshal(&root)
	if err != nil {
		t.Fatalf("encoding YAML: %v", err)
	}
	return out
}

// shortenFor returns the rules with every `for:` set to shortFor.
func shortenFor(t *testing.T, rules []byte) []byte {
	t.Helper()
	n := 0
	out := editYAML(t, rules, func(key string, v *yaml.Node) {
		if key == "for" {
			v.Value = shortFor
			n++
		}
	})
	if n == 0 {
		t.Fatal("the rules have no for: to shorten")
	}
	return out
}

// alertmanagerConfig returns the shipped Alertmanager configuration with
// its group waits and intervals at one second and its webhooks at base,
// keeping their paths.
func alertmanagerConfig(t *testing.T, base string) []byte {
	t.Helper()
	urls := 0
	out := editYAML(t, readModuleFile(t, "examples/alertmanager.yml"), func(key string, v *yaml.Node) {
		switch key {
		case "group_wait", "group_interval":
			v.Value = "1s"
		case "url":
			u, err := url.Parse(v.Value)
			if err != nil {
				t.Fatalf("webhook url %q: %v", v.Value, err)
			}
			v.Value = base + u.Path
			urls++
		}
	})
	if urls == 0 {
		t.Fatal("examples/alertmanager.yml has no webhook url")
	}
	return out
}

// promAPI queries Prometheus' HTTP API.
type promAPI struct{ base string }

type promResponse struct {
	Status    string          `json:"status"`
	Error     string          `json:"error"`
	ErrorType string          `json:"errorType"`
	Data      json.RawMessage `json:"data"`
}

func (p *promAPI) get(ctx context.Context, path string, params url.Values) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path+"?"+params.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	var pr promResponse
	if err := json.NewDecoder(resp.Body).Decode(&pr); err != nil {
		return nil, fmt.Errorf("GET %s: decoding: %w", path, err)
	}
	if pr.Status != "success" {
		return nil, fmt.Errorf("GET %s %v: %s: %s", path, params, pr.ErrorType, pr.Error)
	}
	return pr.Data, nil
}

// count returns how many series an instant query returns.
func (p *promAPI) count(ctx context.Context, query string) (int, error) {
	data, err := p.get(ctx, "/api/v1/query", url.Values{"query": {query}})
	if err != nil {
		return 0, err
	}
	var d struct {
		Result []json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return 0, err
	}
	return len(d.Result), nil
}

// countRange returns how many series a range query returns.
func (p *promAPI) countRange(ctx context.Context, query string, start, end time.Time) (int, error) {
	data, err := p.get(ctx, "/api/v1/query_range", url.Values{
		"query": {query},
		"start": {strconv.FormatInt(start.Unix(), 10)},
		"end":   {strconv.FormatInt(end.Unix()+1, 10)},
		"step":  {"1"},
	})
	if err != nil {
		return 0, err
	}
	var d struct {
		ResultType string            `json:"resultType"`
		Result     []json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return 0, err
	}
	return len(d.Result), nil
}

// labelValues is Grafana's label_values(expr, label).
func (p *promAPI) labelValues(ctx context.Context, expr, label string, start, end time.Time) ([]string, error) {
	params := url.Values{"start": {strconv.FormatInt(start.Unix(), 10)}, "end": {strconv.FormatInt(end.Unix()+1, 10)}}
	if expr != "" {
		params.Set("match[]", expr)
	}
	data, err := p.get(ctx, "/api/v1/label/"+label+"/values", params)
	if err != nil {
		return nil, err
	}
	var vals []string
	if err := json.Unmarshal(data, &vals); err != nil {
		return nil, err
	}
	return vals, nil
}

// amAPI queries Alertmanager's v2 API.
type amAPI struct{ base string }

type amAlert struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State       string   `json:"state"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

func (a *amAPI) alerts(ctx context.Context) ([]amAlert, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/api/v2/alerts", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /api/v2/alerts: %w", err)
	}
	defer resp.Body.Close()
	var alerts []amAlert
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		return nil, fmt.Errorf("GET /api/v2/alerts: %w", err)
	}
	return alerts, nil
}

// checkDashboardsLive resolves each dashboard's variables as Grafana does
// and runs every panel query over the test's time range: each must be
// accepted by Prometheus and return at least one series. prefer gives the
// value to pick for single-value variables.
func checkDashboardsLive(ctx context.Context, t *testing.T, prom *promAPI, start time.Time, prefer map[string]string) {
	t.Helper()
	end := time.Now()
	checked := 0
	for _, d := range loadDashboards(t) {
		vals := map[string]string{"datasource": "prometheus"}
		options := map[string][]string{}
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			expr, label, _ := labelValuesQuery(v.queryText())
			expr, _ = expand(expr, vals)
			got, err := prom.labelValues(ctx, expr, label, start, end)
			if err != nil {
				t.Fatalf("%s variable %s: %v", d.UID, v.Name, err)
			}
			if len(got) == 0 {
				t.Fatalf("%s variable %s: label_values(%s, %s) is empty", d.UID, v.Name, expr, label)
			}
			options[v.Name] = got
			switch {
			case prefer[v.Name] != "" && !(v.IncludeAll && v.Multi):
				if !contains(got, prefer[v.Name]) {
					t.Fatalf("%s variable %s: %v lacks %q", d.UID, v.Name, got, prefer[v.Name])
				}
				vals[v.Name] = prefer[v.Name]
			case v.IncludeAll && v.AllValue != "":
				vals[v.Name] = v.AllValue
			case v.IncludeAll:
				quoted := make([]string, len(got))
				for i, g := range got {
					quoted[i] = regexp.QuoteMeta(g)
				}
				vals[v.Name] = "(" + strings.Join(quoted, "|") + ")"
			default:
				vals[v.Name] = got[0]
			}
		}
		for _, p := range d.allPanels() {
			// A repeated panel is one panel per value of its variable.
			repeats := []string{""}
			if p.Repeat != "" {
				repeats = options[p.Repeat]
			}
			for _, rv := range repeats {
				pv := vals
				if p.Repeat != "" {
					pv = map[string]string{}
					for k, v := range vals {
						pv[k] = v
					}
					pv[p.Repeat] = rv
				}
				for _, tg := range p.Targets {
					where := fmt.Sprintf("%s panel %q (%s) query %s", d.UID, p.Title, rv, tg.RefID)
					expr, unknown := expand(tg.Expr, pv)
					if len(unknown) > 0 {
						t.Errorf("%s: unknown variables %v", where, unknown)
						continue
					}
					n, err := prom.countRange(ctx, expr, start, end)
					if err != nil {
						t.Errorf("%s: %v", where, err)
						continue
					}
					checked++
					if n == 0 {
						t.Errorf("%s returned no series: %s", where, expr)
					}
				}
			}
		}
	}
	t.Logf("%d dashboard queries run against Prometheus over the test", checked)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
