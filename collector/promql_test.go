package collector

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/healthmon/healthmon/internal/testutil"
	"github.com/healthmon/healthmon/scoring"
)

// promAPI answers /api/v1/query with the body registered for the query, as
// Prometheus would, and records the form of the last request.
func promAPI(t *testing.T, answers map[string]struct {
	code int
	body string
}) (*httptest.Server, chan map[string]string) {
	t.Helper()
	forms := make(chan map[string]string, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/prom/api/v1/query" || r.Method != http.MethodPost {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case forms <- map[string]string{"query": r.PostForm.Get("query"), "timeout": r.PostForm.Get("timeout")}:
		default:
		}
		a, ok := answers[r.PostForm.Get("query")]
		if !ok {
			t.Errorf("unexpected query %q", r.PostForm.Get("query"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if a.code != 0 {
			w.WriteHeader(a.code)
		}
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	return srv, forms
}

func vectorJSON(samples ...string) string {
	return `{"status":"success","data":{"resultType":"vector","result":[` + strings.Join(samples, ",") + `]}}`
}

func TestPromQLCheck(t *testing.T) {
	ans := map[string]struct {
		code int
		body string
	}{
		"one":      {body: vectorJSON(`{"metric":{},"value":[1700000000.1,"3"]}`)},
		"scalar":   {body: `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"0.25"]}}`},
		"nan":      {body: vectorJSON(`{"metric":{},"value":[1700000000,"NaN"]}`)},
		"none":     {body: vectorJSON()},
		"many":     {body: vectorJSON(`{"metric":{"__name__":"up","job":"a"},"value":[1,"1"]}`, `{"metric":{"__name__":"up","job":"b"},"value":[1,"0"]}`)},
		"dup":      {body: vectorJSON(`{"metric":{"job":"a","i":"1"},"value":[1,"1"]}`, `{"metric":{"job":"a","i":"2"},"value":[1,"0"]}`)},
		"nolabel":  {body: vectorJSON(`{"metric":{"job":"a"},"value":[1,"1"]}`, `{"metric":{"instance":"x"},"value":[1,"0"]}`)},
		"matrix":   {body: `{"status":"success","data":{"resultType":"matrix","result":[]}}`},
		"string":   {body: `{"status":"success","data":{"resultType":"string","result":[1,"x"]}}`},
		"bad(":     {code: 400, body: `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"}`},
		"slow":     {code: 503, body: `{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}`},
		"notapi":   {code: 502, body: `<html>Bad Gateway</html>`},
		"hugeresp": {body: vectorJSON(strings.Repeat(`{"metric":{"job":"aaaaaaaaaaaaaaaa"},"value":[1,"1"]},`, 40000) + `{"metric":{},"value":[1,"1"]}`)},
	}
	srv, forms := promAPI(t, ans)
	refused := closedAddr(t)

	tests := []struct {
		name, query, extra string
		url                string
		err                string
		want               map[string]float64 // reading ID -> value (NaN for none)
		readingErr         string
		status             scoring.Status
	}{
		{name: "one series", query: "one", want: map[string]float64{"value": 3}, status: scoring.StatusWarning},
		{name: "scalar, own metric name", query: "scalar", extra: "      metric: ratio\n", want: map[string]float64{"ratio": 0.25}, status: scoring.StatusGood},
		{name: "NaN is unknown", query: "nan", want: map[string]float64{"value": math.NaN()}, status: scoring.StatusUnknown},
		{name: "no result fails", query: "none", want: map[string]float64{"value": math.NaN()}, readingErr: "query returned no series", status: scoring.StatusFailing},
		{name: "no result unknown", query: "none", extra: "      on_empty: unknown\n", want: map[string]float64{"value": math.NaN()}, status: scoring.StatusUnknown},
		{name: "several series", query: "many", err: `the query returned 2 series (up{job="a"}, ...); aggregate them to one (e.g. with sum or max) or set resource_label`},
		{name: "several series by label", query: "many", extra: "      resource_label: job\n", want: map[string]float64{"value{a}": 1, "value{b}": 0}, status: scoring.StatusCritical},
		{name: "too many series", query: "many", extra: "      resource_label: job\n      max_series: 1\n", err: "the query returned 2 series, more than max_series 1"},
		{name: "label not unique", query: "dup", extra: "      resource_label: job\n", err: `two series have job="a"; aggregate the query by job`},
		{name: "label missing", query: "nolabel", extra: "      resource_label: job\n", err: `series {instance="x"} has no label job (resource_label)`},
		{name: "range vector", query: "matrix", err: "the query returned a range vector"},
		{name: "string", query: "string", err: "the query returned a string, not a number"},
		{name: "API error", query: "bad(", err: `prometheus refused the query (bad_data): invalid parameter "query": 1:5: parse error: unclosed left parenthesis`},
		{name: "API timeout", query: "slow", err: "prometheus refused the query (timeout): query timed out in expression evaluation"},
		{name: "not the API", query: "notapi", err: `HTTP 502 Bad Gateway with no Prometheus API answer (is url the Prometheus server?): "<html>Bad Gateway</html>"`},
		{name: "wrong path", query: "one", url: srv.URL + "/elsewhere", err: `HTTP 404 Not Found with no Prometheus API answer (is url the Prometheus server?): "404 page not found"`},
		{name: "response over the limit", query: "hugeresp", err: "response exceeds max_body_bytes (1048576 bytes)"},
		{name: "connection refused", query: "one", url: "http://" + refused, err: "POST http://" + refused + "/api/v1/query: dial tcp " + refused + ": connect: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := srv.URL + "/prom/"
			if tt.url != "" {
				u = tt.url
			}
			th := "    thresholds:\n      value: {direction: lower_is_worse, excellent: 5, warning: 4, critical: 1}\n"
			if strings.Contains(tt.extra, "metric: ratio") {
				th = "    thresholds:\n      ratio: {warning: 0.5}\n"
			}
			c := loadComponent(t, "promql", "    promql:\n      url: "+u+"\n      query: '"+tt.query+"'\n"+tt.extra+th)
			h, got, err := checkComponent(t, c)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				if h.Status != scoring.StatusFailing {
					t.Errorf("status %s, want failing", h.Status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("readings %v, want %v", sortedIDs(got), tt.want)
			}
			for id, v := range tt.want {
				r, ok := got[id]
				if !ok || !(r.Value == v || math.IsNaN(v) && math.IsNaN(r.Value)) || r.Error != tt.readingErr {
					t.Errorf("%s = %+v, want %v with error %q", id, r, v, tt.readingErr)
				}
			}
			if h.Status != tt.status {
				t.Errorf("component %s, want %s (issues %q)", h.Status, tt.status, h.Issues)
			}
		})
	}
	// The check passes the query and its remaining time to Prometheus.
	close(forms)
	for f := range forms {
		if f["query"] == "" || f["timeout"] == "" {
			t.Errorf("request form %v: want the query and a timeout", f)
		}
	}
}

// TestPromQLAgainstPrometheus runs the check against a real Prometheus
// scraping itself on loopback.
func TestPromQLAgainstPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus server")
	}
	bin := testutil.RequireTool(t, "prometheus")
	addr := closedAddr(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "prometheus.yml")
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['%s']\n", addr)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin,
		"--config.file="+cfgFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("prometheus log:\n%s", lastLines(string(b), 20))
		}
	})

	up := loadComponent(t, "promql", "    promql:\n      url: http://"+addr+"\n      query: up{job=\"prometheus\"}\n      metric: up\n    thresholds:\n      up: {direction: lower_is_worse, critical: 0}\n")
	// Wait, at most a minute, for Prometheus to start and scrape itself
	// once.
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		_, got, err := checkComponent(t, up)
		if err == nil && got["up"].Error == "" {
			if r := got["up"]; r.Value != 1 || r.Status != scoring.StatusGood {
				t.Fatalf("up = %+v, want 1 and good", r)
			}
			break
		}
		if err == nil {
			err = fmt.Errorf("%s", got["up"].Error)
		}
		last = err
		if time.Now().After(deadline) {
			t.Fatalf("no value for up within a minute; last: %v", last)
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("prometheus exited: %v (last check: %v)", err, last)
		case <-tick.C:
		}
	}

	t.Run("by label", func(t *testing.T) {
		c := loadComponent(t, "promql", "    promql:\n      url: http://"+addr+"/\n      query: count by (job) (up)\n      resource_label: job\n")
		_, got, err := checkComponent(t, c)
		if err != nil || got["value{prometheus}"].Value != 1 || len(got) != 1 {
			t.Errorf("error %v, readings %v", err, got)
		}
	})
	t.Run("no result", func(t *testing.T) {
		c := loadComponent(t, "promql", "    promql:\n      url: http://"+addr+"\n      query: up{job=\"no-such-job\"}\n")
		h, got, err := checkComponent(t, c)
		if err != nil {
			t.Fatal(err)
		}
		if r := got["value"]; r.Error != "query returned no series" || h.Status != scoring.StatusFailing {
			t.Errorf("value = %+v, component %s", r, h.Status)
		}
	})
	t.Run("API error", func(t *testing.T) {
		c := loadComponent(t, "promql", "    promql:\n      url: http://"+addr+"\n      query: sum(up\n")
		_, _, err := checkComponent(t, c)
		if err == nil || !strings.HasPrefix(err.Error(), "prometheus refused the query (bad_data): ") || !strings.Contains(err.Error(), "parse error") {
			t.Errorf("error %v, want Prometheus' bad_data parse error", err)
		}
		t.Logf("the check's error: %v", err)
	})
	t.Run("scalar", func(t *testing.T) {
		c := loadComponent(t, "promql", "    promql:\n      url: http://"+addr+"\n      query: scalar(up{job=\"prometheus\"}) * 2\n")
		_, got, err := checkComponent(t, c)
		if err != nil || got["value"].Value != 2 {
			t.Errorf("error %v, value %+v", err, got["value"])
		}
	})
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
