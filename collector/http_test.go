package collector

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"

	tools "github.com/healthmon/healthmon/internal/testutil"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

// loadComponent parses a one-component configuration: body is the
// component's YAML after its name and kind, indented by four spaces.
func loadComponent(t *testing.T, kind, body string) *config.Component {
	t.Helper()
	doc := fmt.Sprintf("components:\n  - name: probe\n    kind: %s\n%s", kind, body)
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("config:\n%s\n%v", doc, err)
	}
	return cfg.Components[0]
}

// checkComponent runs the component's check once under its timeout and
// judges the readings with the component's thresholds, as the evaluator
// does. It returns the health, the readings by ID and the check's error.
func checkComponent(t *testing.T, c *config.Component) (scoring.ComponentHealth, map[string]scoring.Reading, error) {
	t.Helper()
	chk, err := NewCheck(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NewCheck: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.CheckTimeout(config.DefaultGlobal))
	defer cancel()
	readings, err := chk.Check(ctx)
	return judge(c, readings, err)
}

// judge applies the component's thresholds and assesses the readings.
func judge(c *config.Component, readings []scoring.Reading, err error) (scoring.ComponentHealth, map[string]scoring.Reading, error) {
	c.ApplyThresholds(readings)
	h := scoring.Assess(c.Name, c.Kind, readings, err)
	byID := map[string]scoring.Reading{}
	for _, r := range h.Readings {
		byID[r.ID()] = r
	}
	return h, byID, err
}

// genCert makes a self-signed certificate for 127.0.0.1 and localhost,
// valid between the two times, and returns it with its PEM file for ca_file.
func genCert(t *testing.T, notBefore, notAfter time.Time) (tls.Certificate, string) {
	c := tools.SelfSignedCert(t, notBefore, notAfter)
	return c.TLS, c.CertFile
}

// newTLSServer serves h over TLS with the given certificate, or with
// httptest's own when cert is nil. Handshake errors, which the tests cause
// on purpose, are not logged.
func newTLSServer(t *testing.T, cert *tls.Certificate, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if cert != nil {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// writeServerCA writes the CA of an httptest TLS server for ca_file.
func writeServerCA(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

const hyperliquidMeta = `{"universe":[{"name":"BTC","szDecimals":5},{"name":"ETH","szDecimals":4}],"data":{"status":"ok","price":42.5,"name":"x"}}`

func TestHTTPCheckJSONAssertions(t *testing.T) {
	var gotMethod, gotBody, gotType, gotUA string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotMethod, gotBody, gotType, gotUA = r.Method, string(b), r.Header.Get("Content-Type"), r.Header.Get("User-Agent")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, hyperliquidMeta)
	}))
	defer srv.Close()

	c := loadComponent(t, "http", `    http:
      url: `+srv.URL+`/info
      method: POST
      headers: {Content-Type: application/json}
      body: '{"type":"meta"}'
      json:
        - {path: universe, type: array}
        - {path: universe.1.name, equals: ETH}
        - {path: data.status, equals: ok}
        - {path: data.price, reading: price}
        - {path: data.missing}
        - {path: data.status, reading: status_as_number}
        - {path: data.name, type: number}
        - {path: universe.0.szDecimals, equals: 4}
    thresholds:
      price: {direction: lower_is_worse, warning: 50, critical: 10}
`)
	h, got, err := checkComponent(t, c)
	if err != nil {
		t.Fatalf("check error: %v", err)
	}
	if gotMethod != "POST" || gotBody != `{"type":"meta"}` || gotType != "application/json" || !strings.HasPrefix(gotUA, "healthmon/") {
		t.Errorf("server saw %s %q Content-Type %q User-Agent %q", gotMethod, gotBody, gotType, gotUA)
	}
	if r := got["status_code"]; r.Value != 200 || r.Error != "" {
		t.Errorf("status_code = %+v", r)
	}
	if r := got["latency_seconds"]; !(r.Value > 0) || r.Unit != scoring.UnitSeconds || !r.Thresholds.Defined() {
		t.Errorf("latency_seconds = %+v", r)
	}
	if _, ok := got["certificate_expiry_seconds"]; ok {
		t.Error("a certificate reading for plain HTTP")
	}
	if r := got["price"]; r.Value != 42.5 || r.Status != scoring.StatusWarning {
		t.Errorf("price = %+v, want 42.5 and warning (below 50)", r)
	}
	tests := []struct {
		id, err string
	}{
		{"json_assertion{universe}", ""},
		{"json_assertion{universe.1.name}", ""},
		{"json_assertion{data.status}", ""},
		{"json_assertion{data.missing}", `data: no key "missing"`},
		{"status_as_number", `data.status is string "ok", not a number`},
		{"json_assertion{data.name}", `data.name is string "x", want number`},
		{"json_assertion{universe.0.szDecimals}", "universe.0.szDecimals is 5, want 4"},
	}
	for _, tt := range tests {
		r, ok := got[tt.id]
		switch {
		case !ok:
			t.Errorf("%s: no reading", tt.id)
		case r.Error != tt.err:
			t.Errorf("%s: error %q, want %q", tt.id, r.Error, tt.err)
		case tt.err == "" && (r.Value != 1 || r.Status != scoring.StatusGood):
			t.Errorf("%s: %+v, want 1 and good", tt.id, r)
		case tt.err != "" && r.Status != scoring.StatusFailing:
			t.Errorf("%s: status %s, want failing", tt.id, r.Status)
		}
	}
	if h.Status != scoring.StatusFailing {
		t.Errorf("component status %s, want failing (assertions fail)", h.Status)
	}
}

func TestHTTPCheckStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/down":
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusMovedPermanently)
		default:
			_, _ = io.WriteString(w, `{"ok":true}`)
		}
	}))
	defer srv.Close()

	tests := []struct {
		name, path, extra string
		wantCode          float64
		statusErr, err    string
		wantStatus        scoring.Status
	}{
		{name: "ok", path: "/ok", wantCode: 200, wantStatus: scoring.StatusExcellent},
		{name: "wrong status", path: "/down", wantCode: 503, statusErr: "status 503 Service Unavailable is not accepted (want 2xx)", wantStatus: scoring.StatusFailing},
		{name: "status accepted by list", path: "/down", extra: "      status_codes: [503]\n", wantCode: 503},
		{name: "assertions skipped on a wrong status", path: "/down", extra: "      json: [{path: ok, equals: true}]\n", wantCode: 503, statusErr: "status 503 Service Unavailable is not accepted (want 2xx)", wantStatus: scoring.StatusFailing},
		{name: "redirect followed", path: "/moved", wantCode: 200},
		{name: "redirects not followed", path: "/moved", extra: "      max_redirects: 0\n", wantCode: 301, statusErr: "status 301 Moved Permanently is not accepted (want 2xx)"},
		{name: "redirects not followed by follow_redirects", path: "/moved", extra: "      http_client_config: {follow_redirects: false}\n      status_codes: [301]\n", wantCode: 301},
		{name: "redirect loop", path: "/loop", extra: "      max_redirects: 2\n", err: "GET http://" + srv.Listener.Addr().String() + "/loop: stopped after 2 redirects (max_redirects)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadComponent(t, "http", "    http:\n      url: "+srv.URL+tt.path+"\n"+tt.extra+
				"    thresholds:\n      latency_seconds: {excellent: 60, warning: 61, critical: 62}\n")
			h, got, err := checkComponent(t, c)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("check error: %v", err)
			}
			if r := got["status_code"]; r.Value != tt.wantCode || r.Error != tt.statusErr {
				t.Errorf("status_code = %v %q, want %v %q", r.Value, r.Error, tt.wantCode, tt.statusErr)
			}
			if _, ok := got["json_assertion{ok}"]; ok && tt.statusErr != "" {
				t.Error("assertions evaluated on a refused status")
			}
			if tt.wantStatus.Known() && h.Status != tt.wantStatus {
				t.Errorf("component %s, want %s (issues %v)", h.Status, tt.wantStatus, h.Issues)
			}
		})
	}
}

func TestHTTPCheckConnectionRefused(t *testing.T) {
	addr := closedAddr(t)
	c := loadComponent(t, "http", "    http:\n      url: http://"+addr+"/health?token=hunter2\n")
	h, _, err := checkComponent(t, c)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.HasPrefix(err.Error(), "GET http://"+addr+"/health: ") {
		t.Fatalf("error %v, want GET http://%s/health: ... connection refused", err, addr)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the query (which may hold a token) leaks into the error: %v", err)
	}
	if h.Status != scoring.StatusFailing {
		t.Errorf("status %s, want failing", h.Status)
	}
}

// TestHTTPCheckTimeout: a server that hangs, before the headers or in the
// middle of the body, does not hold the check past its deadline.
func TestHTTPCheckTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-body" {
			_, _ = io.WriteString(w, `{"partial": `)
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	for _, path := range []string{"/hang", "/slow-body"} {
		t.Run(path, func(t *testing.T) {
			const timeout = 300 * time.Millisecond
			c := loadComponent(t, "http", "    timeout: 300ms\n    http:\n      url: "+srv.URL+path+"\n      json: [{path: partial}]\n")
			start := time.Now()
			_, _, err := checkComponent(t, c)
			if elapsed := time.Since(start); elapsed > timeout+time.Second {
				t.Errorf("the check returned after %s, past its %s deadline plus a second", elapsed, timeout)
			}
			if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
				t.Errorf("error %v, want the deadline", err)
			}
		})
	}
}

func TestHTTPCheckBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/invalid":
			_, _ = io.WriteString(w, `{"universe": [1, 2,]}`)
		case "/huge":
			// 2 MiB of valid JSON.
			_, _ = io.WriteString(w, `{"pad":"`+strings.Repeat("x", 2<<20)+`"}`)
		case "/endless":
			chunk := []byte(strings.Repeat("[", 64<<10))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
	}))
	defer srv.Close()
	tests := []struct {
		path, extra, err string
	}{
		{"/invalid", "", "response body is not valid JSON: invalid character ']' looking for beginning of value at byte 20 of 21"},
		{"/huge", "", "response body exceeds max_body_bytes (1048576 bytes)"},
		{"/huge", "      max_body_bytes: 4194304\n", ""},
		{"/endless", "      max_body_bytes: 65536\n", "response body exceeds max_body_bytes (65536 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.path+tt.extra, func(t *testing.T) {
			c := loadComponent(t, "http", "    http:\n      url: "+srv.URL+tt.path+"\n      json: [{path: pad, type: string}]\n"+tt.extra)
			h, got, err := checkComponent(t, c)
			if tt.err == "" {
				if err != nil || got["json_assertion{pad}"].Value != 1 {
					t.Fatalf("error %v, readings %v", err, got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			if got["status_code"].Value != 200 || h.Status != scoring.StatusFailing {
				t.Errorf("status_code %v, component %s: the readings taken are kept and the component fails", got["status_code"].Value, h.Status)
			}
		})
	}
}

func TestHTTPCheckCertificates(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	now := time.Now()

	t.Run("self-signed without its CA", func(t *testing.T) {
		srv := newTLSServer(t, nil, ok)
		c := loadComponent(t, "http", "    http:\n      url: "+srv.URL+"/\n")
		_, _, err := checkComponent(t, c)
		if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
			t.Fatalf("error %v, want an unknown authority", err)
		}
	})
	t.Run("self-signed with its CA", func(t *testing.T) {
		srv := newTLSServer(t, nil, ok)
		c := loadComponent(t, "http", "    http:\n      url: "+srv.URL+"/\n      http_client_config:\n        tls_config: {ca_file: "+writeServerCA(t, srv)+"}\n")
		h, got, err := checkComponent(t, c)
		if err != nil {
			t.Fatal(err)
		}
		want := srv.Certificate().NotAfter.Sub(now).Seconds()
		if r := got["certificate_expiry_seconds"]; math.Abs(r.Value-want) > 60 || r.Status != scoring.StatusExcellent {
			t.Errorf("certificate_expiry_seconds = %+v, want about %.0f and excellent", r, want)
		}
		if h.Status == scoring.StatusFailing {
			t.Errorf("component failing: %v", h.Issues)
		}
	})

	expired, expiredCA := genCert(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	t.Run("expired", func(t *testing.T) {
		srv := newTLSServer(t, &expired, ok)
		c := loadComponent(t, "http", "    http:\n      url: "+srv.URL+"/\n      http_client_config:\n        tls_config: {ca_file: "+expiredCA+"}\n")
		_, _, err := checkComponent(t, c)
		if err == nil || !strings.Contains(err.Error(), "certificate has expired") {
			t.Fatalf("error %v, want an expired certificate", err)
		}
	})
	t.Run("expired, verification off", func(t *testing.T) {
		srv := newTLSServer(t, &expired, ok)
		c := loadComponent(t, "http", "    http:\n      url: "+srv.URL+"/\n      http_client_config:\n        tls_config: {insecure_skip_verify: true}\n")
		h, got, err := checkComponent(t, c)
		if err != nil {
			t.Fatal(err)
		}
		if r := got["certificate_expiry_seconds"]; math.Abs(r.Value+86400) > 60 || r.Status != scoring.StatusCritical {
			t.Errorf("certificate_expiry_seconds = %+v, want about -86400 and critical", r)
		}
		if h.Status != scoring.StatusCritical || len(h.Issues) == 0 || !strings.Contains(h.Issues[0], "certificate_expiry_seconds is -24h0m") {
			t.Errorf("component %s, issues %q", h.Status, h.Issues)
		}
	})
	// The default thresholds: excellent from 30 days, warning at 14,
	// critical at 3.
	for _, tt := range []struct {
		days float64
		want scoring.Status
	}{{2, scoring.StatusCritical}, {10, scoring.StatusWarning}, {20, scoring.StatusGood}, {60, scoring.StatusExcellent}} {
		t.Run(fmt.Sprintf("expires in %.0f days", tt.days), func(t *testing.T) {
			cert, ca := genCert(t, now.Add(-time.Hour), now.Add(time.Duration(tt.days*24)*time.Hour))
			srv := newTLSServer(t, &cert, ok)
			c := loadComponent(t, "http", "    http:\n      url: "+srv.URL+"/\n      http_client_config:\n        tls_config: {ca_file: "+ca+"}\n")
			_, got, err := checkComponent(t, c)
			if err != nil {
				t.Fatal(err)
			}
			if r := got["certificate_expiry_seconds"]; r.Status != tt.want {
				t.Errorf("certificate_expiry_seconds %.0f: %s, want %s", r.Value, r.Status, tt.want)
			}
		})
	}
}

// TestHTTPCheckSecrets: credentials from http_client_config reach the
// server, and never show in errors, readings or issues.
func TestHTTPCheckSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "monitor" || p != "hunter2" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	for _, tt := range []struct {
		password string
		want     float64
	}{{"hunter2", 200}, {"hunter3", 401}} {
		c := loadComponent(t, "http", "    http:\n      url: "+srv.URL+"/\n      http_client_config:\n        basic_auth: {username: monitor, password: "+tt.password+"}\n")
		h, got, err := checkComponent(t, c)
		if err != nil {
			t.Fatal(err)
		}
		if got["status_code"].Value != tt.want {
			t.Errorf("password %s: status %v, want %v", tt.password, got["status_code"].Value, tt.want)
		}
		text := fmt.Sprintf("%+v", h)
		if strings.Contains(text, "hunter") {
			t.Errorf("a password shows in the health: %s", text)
		}
	}
}

// TestHTTPCheckThroughEvaluator runs http checks in the evaluator and
// exposes them: thresholds from the configuration judge the readings, the
// series carry the JSON readings, and no secret shows in the exposition,
// the snapshot or the log.
func TestHTTPCheckThroughEvaluator(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer hunter2" {
			http.Error(w, "bad token", http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, `{"stats":{"open_orders":1200}}`)
	}))
	defer srv.Close()
	cfg, err := config.Parse([]byte(`
components:
  - name: orders
    kind: http
    http:
      url: ` + srv.URL + `/stats?key=hunter2
      json: [{path: stats.open_orders, reading: open_orders}]
      http_client_config: {authorization: {credentials: hunter2}}
    thresholds:
      open_orders: {warning: 1000, critical: 5000}
  - name: wrong_token
    kind: http
    http:
      url: ` + srv.URL + `/stats
      http_client_config: {authorization: {credentials: hunter3}}
  - name: refused
    kind: http
    http:
      url: http://user:hunter4@` + closedAddr(t) + `/stats?key=hunter5
      http_client_config: {basic_auth: {username: u, password: hunter6}}
`))
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	e, err := NewEvaluator(cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	ev := e.Evaluate(context.Background())
	orders, _ := ev.Snapshot.Component("orders")
	wrong, _ := ev.Snapshot.Component("wrong_token")
	refused, _ := ev.Snapshot.Component("refused")
	if orders.Status != scoring.StatusWarning || wrong.Status != scoring.StatusFailing || refused.Status != scoring.StatusFailing {
		t.Errorf("orders %s (%v), wrong_token %s (%v), refused %s", orders.Status, orders.Issues, wrong.Status, wrong.Issues, refused.Status)
	}
	if !strings.Contains(refused.Error, "/stats: dial tcp") {
		t.Errorf("refused: error %q", refused.Error)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewExporter(e.Latest))
	want := `
# HELP healthmon_metric_value Latest reading of a component's metric, in base units (ratios 0..1, seconds, bytes). Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_metric_value gauge
healthmon_metric_value{component="orders",metric="open_orders",resource=""} 1200
healthmon_metric_value{component="orders",metric="status_code",resource=""} 200
healthmon_metric_value{component="wrong_token",metric="status_code",resource=""} 403
`
	if err := promtestutil.GatherAndCompare(reg, strings.NewReader(want+latencyLines(t, reg)), "healthmon_metric_value"); err != nil {
		t.Error(err)
	}
	var text strings.Builder
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		fmt.Fprintln(&text, mf.String())
	}
	fmt.Fprintf(&text, "%+v\n%s", ev.Snapshot, logs.String())
	if strings.Contains(text.String(), "hunter") {
		t.Errorf("a secret shows in the exposition, the snapshot or the log")
	}
}

// latencyLines renders the latency series as gathered, since their values
// vary; the comparison then pins every other series.
func latencyLines(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		if mf.GetName() != "healthmon_metric_value" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["metric"] == "latency_seconds" {
				fmt.Fprintf(&b, "healthmon_metric_value{component=%q,metric=\"latency_seconds\",resource=\"\"} %s\n", labels["component"], strconv.FormatFloat(m.GetGauge().GetValue(), 'g', -1, 64))
			}
		}
	}
	return b.String()
}

// BenchmarkHTTPCheck measures one check with JSON assertions against a
// loopback server, a fresh connection each time.
func BenchmarkHTTPCheck(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, hyperliquidMeta)
	}))
	defer srv.Close()
	cfg, err := config.Parse([]byte("components:\n  - name: api\n    kind: http\n    http:\n      url: " + srv.URL + "\n      json:\n        - {path: universe, type: array}\n        - {path: data.price, reading: price}\n"))
	if err != nil {
		b.Fatal(err)
	}
	chk, err := NewCheck(cfg.Components[0], slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := chk.Check(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
