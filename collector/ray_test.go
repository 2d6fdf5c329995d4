package collector

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

// rayFixture reads a file of testdata/ray (copies of the project's shared
// Ray dashboard fixtures).
func rayFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ray", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fakeRay is a dashboard on loopback that serves fixed bodies and checks
// the token as Ray >= 2.52 does with RAY_AUTH_MODE=token: no Authorization
// header is 401, a wrong token 403, health paths are public.
type fakeRay struct {
	status, nodes         string // bodies of the two endpoints
	statusCode, nodesCode int    // 0 means 200
	token                 string // "" turns auth off
	t                     testing.TB

	mu      sync.Mutex
	queries map[string]string // path -> raw query of the last request
}

func (f *fakeRay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.queries == nil {
		f.queries = map[string]string{}
	}
	f.queries[r.URL.Path] = r.URL.RawQuery
	f.mu.Unlock()
	if r.URL.Path == "/api/gcs_healthz" {
		_, _ = fmt.Fprint(w, rayFixture(f.t, "gcs_healthz_ok.txt"))
		return
	}
	if f.token != "" {
		auth := r.Header.Get("Authorization")
		switch {
		case auth == "":
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = fmt.Fprint(w, rayFixture(f.t, "auth_401_missing_token.txt"))
			return
		case auth != "Bearer "+f.token:
			w.WriteHeader(http.StatusForbidden)
			_, _ = fmt.Fprint(w, rayFixture(f.t, "auth_403_invalid_token.txt"))
			return
		}
	}
	body, code := "", 0
	switch r.URL.Path {
	case "/api/cluster_status":
		body, code = f.status, f.statusCode
	case "/api/v0/nodes":
		body, code = f.nodes, f.nodesCode
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if code != 0 {
		w.WriteHeader(code)
	}
	_, _ = fmt.Fprint(w, body)
}

func (f *fakeRay) query(path string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries[path]
}

// newRayComponent parses a one-component configuration; extra is YAML
// inside the ray block, indented by six spaces.
func newRayComponent(t *testing.T, address, extra string) *config.Component {
	t.Helper()
	doc := fmt.Sprintf("components:\n  - name: ray_cluster\n    kind: ray\n    ray:\n      address: %s\n%s", address, extra)
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, doc)
	}
	return cfg.Components[0]
}

// runRay builds the component's check, runs it once and judges it as the
// evaluator does.
func runRay(t *testing.T, c *config.Component, now time.Time) (scoring.ComponentHealth, map[string]scoring.Reading, error) {
	t.Helper()
	chk, err := NewCheck(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if !now.IsZero() {
		chk.(*rayCheck).now = func() time.Time { return now }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	readings, checkErr := chk.Check(ctx)
	return judge(c, readings, checkErr)
}

// want is an expected reading: its value (NaN for unknown) and status.
type want struct {
	value  float64
	status scoring.Status
}

const rayDeadEndMs = 1749723247117 // end_time_ms of the dead node in the detail fixture

func TestRayCheck(t *testing.T) {
	healthyStatus := rayFixture(t, "cluster_status_healthy.json")
	healthyNodes := rayFixture(t, "api_v0_nodes_healthy.json")
	deadStatus := rayFixture(t, "cluster_status_dead_node.json")
	deadNodes := rayFixture(t, "api_v0_nodes_dead_node.json")
	deadNodesDetail := rayFixture(t, "api_v0_nodes_dead_node_detail.json")
	deadAt := time.UnixMilli(rayDeadEndMs)
	const nullStatus = `{"result": true, "msg": "Got cluster status.", "data": {"autoscalingStatus": null, "autoscalingError": null, "clusterStatus": null}}`
	// A cluster without GPUs: GPU must give no reading, not 0/0.
	const noGPUStatus = `{"result":true,"msg":"","data":{"clusterStatus":{"loadMetricsReport":{"usage":{"CPU":[3.0,4.0],"memory":[1.0,8.0],"objectStoreMemory":[1.0,4.0],"node:127.0.0.1":[0.0,1.0],"node:InternalHead":[0.0,1.0]},"resourceDemand":[],"pgDemand":[[{"bundles":[[{"CPU":4.0,"GPU":1.0},2]],"strategy":"STRICT_SPREAD"},1]],"requestDemand":[]}}}}`
	stoppedNodes := strings.Replace(deadNodes, "Unexpected termination: health check failed due to missing too many heartbeats", "Expected termination: received SIGTERM", 1)

	cases := []struct {
		name          string
		server        *fakeRay
		extra         string
		now           time.Time
		wantStatus    scoring.Status
		want          map[string]want
		absent        []string
		wantErr       string
		errNotContain string
	}{
		{
			name:       "healthy cluster",
			server:     &fakeRay{status: healthyStatus, nodes: healthyNodes},
			wantStatus: scoring.StatusExcellent,
			want: map[string]want{
				"resource_used_ratio{CPU}":                 {14.0 / 40.0, scoring.StatusExcellent},
				"resource_used_ratio{GPU}":                 {0.5, scoring.StatusExcellent},
				"resource_used_ratio{memory}":              {15032385536.0 / 111572090880.0, scoring.StatusExcellent},
				"resource_used_ratio{object_store_memory}": {3758096384.0 / 47816607742.0, scoring.StatusExcellent},
				"resource_total{CPU}":                      {40, scoring.StatusGood},
				"resource_total{object_store_memory}":      {47816607742, scoring.StatusGood},
				"nodes_alive":                              {3, scoring.StatusGood},
				"nodes_dead":                               {0, scoring.StatusExcellent},
				"nodes_alive_ratio":                        {1, scoring.StatusExcellent},
				"nodes_terminated":                         {0, scoring.StatusGood},
				"pending_resource_demand":                  {0, scoring.StatusExcellent},
				"pending_placement_groups":                 {0, scoring.StatusExcellent},
			},
			// Marker resources are not capacity, custom ones only on request.
			absent: []string{"resource_used_ratio{node:InternalHead}", "resource_used_ratio{datasetCache}"},
		},
		{
			// worker-1 vanished from the totals (40 -> 24 CPU) and failedNodes
			// is empty: only the node list shows that it died.
			name:       "dead node found from the node list",
			server:     &fakeRay{status: deadStatus, nodes: deadNodes},
			wantStatus: scoring.StatusCritical,
			want: map[string]want{
				"resource_total{CPU}":      {24, scoring.StatusGood},
				"resource_used_ratio{GPU}": {1, scoring.StatusCritical},
				"nodes_alive":              {2, scoring.StatusGood},
				"nodes_dead":               {1, scoring.StatusWarning},
				"nodes_alive_ratio":        {2.0 / 3.0, scoring.StatusCritical},
				"pending_resource_demand":  {3, scoring.StatusGood},
			},
		},
		{
			name:   "dead node within dead_node_max_age",
			server: &fakeRay{status: deadStatus, nodes: deadNodesDetail},
			extra:  "      dead_node_max_age: 1h\n",
			now:    deadAt.Add(10 * time.Minute),
			want: map[string]want{
				"nodes_dead":        {1, scoring.StatusWarning},
				"nodes_alive_ratio": {2.0 / 3.0, scoring.StatusCritical},
			},
			wantStatus: scoring.StatusCritical,
		},
		{
			name:   "dead node older than dead_node_max_age no longer counts",
			server: &fakeRay{status: deadStatus, nodes: deadNodesDetail},
			extra:  "      dead_node_max_age: 1h\n",
			now:    deadAt.Add(2 * time.Hour),
			want: map[string]want{
				"nodes_dead":        {0, scoring.StatusExcellent},
				"nodes_alive_ratio": {1, scoring.StatusExcellent},
			},
			wantStatus: scoring.StatusCritical, // the GPU is still all used
		},
		{
			name:   "dead_node_max_age 0 counts every dead node",
			server: &fakeRay{status: deadStatus, nodes: deadNodesDetail},
			extra:  "      dead_node_max_age: 0s\n",
			now:    deadAt.Add(1000 * time.Hour),
			want: map[string]want{
				"nodes_dead": {1, scoring.StatusWarning},
			},
			wantStatus: scoring.StatusCritical,
		},
		{
			// A GPU reserved by design: its reading made informational.
			name:   "null levels make a resource informational",
			server: &fakeRay{status: deadStatus, nodes: stoppedNodes},
			extra:  "    thresholds:\n      resource_used_ratio{GPU}: {excellent: null, warning: null, critical: null}\n",
			want: map[string]want{
				"resource_used_ratio{GPU}": {1, scoring.StatusGood},
				"resource_used_ratio{CPU}": {14.0 / 24.0, scoring.StatusExcellent},
			},
			wantStatus: scoring.StatusGood, // 3 pending tasks are good, not excellent
		},
		{
			name:   "a node stopped on purpose is not dead",
			server: &fakeRay{status: deadStatus, nodes: stoppedNodes},
			want: map[string]want{
				"nodes_dead":        {0, scoring.StatusExcellent},
				"nodes_terminated":  {1, scoring.StatusGood},
				"nodes_alive_ratio": {1, scoring.StatusExcellent},
			},
			wantStatus: scoring.StatusCritical,
		},
		{
			name:       "no GPU: no GPU reading, not 0/0",
			server:     &fakeRay{status: noGPUStatus, nodes: healthyNodes},
			extra:      "      resources: [CPU, GPU, object_store_memory]\n",
			wantStatus: scoring.StatusGood,
			want: map[string]want{
				"resource_used_ratio{CPU}":                 {0.75, scoring.StatusGood},
				"resource_used_ratio{object_store_memory}": {0.25, scoring.StatusExcellent},
				"pending_placement_groups":                 {1, scoring.StatusGood},
			},
			absent: []string{"resource_used_ratio{GPU}", "resource_total{GPU}", "resource_used_ratio{memory}"},
		},
		{
			name:       "custom resource is read through Ray's camelCased key",
			server:     &fakeRay{status: healthyStatus, nodes: healthyNodes},
			extra:      "      resources: [dataset_cache, accelerator_type:A10G]\n",
			wantStatus: scoring.StatusExcellent,
			want: map[string]want{
				"resource_used_ratio{dataset_cache}":         {0.25, scoring.StatusExcellent},
				"resource_total{accelerator_type:A10G}":      {2, scoring.StatusGood},
				"resource_used_ratio{accelerator_type:A10G}": {0, scoring.StatusExcellent},
			},
			absent: []string{"resource_used_ratio{CPU}"},
		},
		{
			// Autoscaler v2, or a monitor that has not reported yet.
			name:       "null clusterStatus makes usage unknown",
			server:     &fakeRay{status: nullStatus, nodes: healthyNodes},
			wantStatus: scoring.StatusExcellent, // judged on the nodes alone
			want: map[string]want{
				"resource_used_ratio{CPU}": {math.NaN(), scoring.StatusUnknown},
				"resource_used_ratio{GPU}": {math.NaN(), scoring.StatusUnknown},
				"resource_total{CPU}":      {40, scoring.StatusGood},
				"resource_total{GPU}":      {2, scoring.StatusGood},
				"pending_resource_demand":  {math.NaN(), scoring.StatusUnknown},
				"pending_placement_groups": {math.NaN(), scoring.StatusUnknown},
				"nodes_alive":              {3, scoring.StatusGood},
				"nodes_alive_ratio":        {1, scoring.StatusExcellent},
			},
		},
		{
			name:       "token accepted",
			server:     &fakeRay{status: healthyStatus, nodes: healthyNodes, token: "s3cr3t-ray-token"},
			extra:      "      http_client_config:\n        authorization:\n          credentials: s3cr3t-ray-token\n",
			wantStatus: scoring.StatusExcellent,
			want:       map[string]want{"nodes_alive": {3, scoring.StatusGood}},
		},
		{
			name:       "401 when the token is missing",
			server:     &fakeRay{status: healthyStatus, nodes: healthyNodes, token: "s3cr3t-ray-token"},
			wantStatus: scoring.StatusFailing,
			wantErr:    "HTTP 401: the dashboard requires a token",
		},
		{
			name:          "403 when the token is wrong, without printing it",
			server:        &fakeRay{status: healthyStatus, nodes: healthyNodes, token: "s3cr3t-ray-token"},
			extra:         "      http_client_config:\n        authorization:\n          credentials: wrong-token-xyz\n",
			wantStatus:    scoring.StatusFailing,
			wantErr:       "HTTP 403: the dashboard rejected the token",
			errNotContain: "wrong-token-xyz",
		},
		{
			name: "HTTP 500 with result false",
			server: &fakeRay{
				status: `{"result": false, "msg": "Failed to get cluster status: GCS is unavailable", "data": {}}`, statusCode: 500,
				nodes: healthyNodes,
			},
			wantStatus: scoring.StatusFailing,
			wantErr:    "cluster status: GET http://",
			// The node list still answered: its readings are kept.
			want: map[string]want{"nodes_alive": {3, scoring.StatusGood}},
		},
		{
			name:       "result false with HTTP 200",
			server:     &fakeRay{status: healthyStatus, nodes: `{"result": false, "msg": "Failed to list nodes: timeout", "data": {}}`},
			wantStatus: scoring.StatusFailing,
			wantErr:    "node list: the dashboard reported an error: Failed to list nodes: timeout",
			want:       map[string]want{"resource_used_ratio{CPU}": {0.35, scoring.StatusExcellent}},
		},
		{
			name:       "malformed JSON",
			server:     &fakeRay{status: `{"result": true, "data": {"clusterStatus": {`, nodes: healthyNodes},
			wantStatus: scoring.StatusFailing,
			wantErr:    "cluster status: invalid JSON from the dashboard",
		},
		{
			name:       "not a Ray dashboard",
			server:     &fakeRay{status: `<html>hello</html>`, nodes: `{"status": "ok"}`},
			wantStatus: scoring.StatusFailing,
			wantErr:    "no \"result\" field",
		},
		{
			name:       "usage value that is not a pair",
			server:     &fakeRay{status: `{"result":true,"msg":"","data":{"clusterStatus":{"loadMetricsReport":{"usage":{"CPU":[1.0]}}}}}`, nodes: healthyNodes},
			wantStatus: scoring.StatusFailing,
			wantErr:    `usage of "CPU" has 1 values, want [used, total]`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.server.t = t
			srv := httptest.NewServer(tc.server)
			defer srv.Close()
			c := newRayComponent(t, srv.URL, tc.extra)
			h, got, err := runRay(t, c, tc.now)

			if tc.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
				if tc.errNotContain != "" && strings.Contains(err.Error()+strings.Join(h.Issues, " "), tc.errNotContain) {
					t.Fatalf("error or issues show the secret %q: %v", tc.errNotContain, err)
				}
			}
			if h.Status != tc.wantStatus {
				t.Errorf("component status = %s, want %s; issues: %v", h.Status, tc.wantStatus, h.Issues)
			}
			for id, w := range tc.want {
				r, ok := got[id]
				if !ok {
					t.Errorf("no reading %s; got %v", id, readingIDs(got))
					continue
				}
				if !sameValue(r.Value, w.value) {
					t.Errorf("%s = %v, want %v", id, r.Value, w.value)
				}
				if r.Status != w.status {
					t.Errorf("%s status = %s, want %s", id, r.Status, w.status)
				}
			}
			for _, id := range tc.absent {
				if _, ok := got[id]; ok {
					t.Errorf("reading %s should be absent", id)
				}
			}
			for id, r := range got {
				if math.IsInf(r.Value, 0) {
					t.Errorf("%s is infinite", id)
				}
			}
			if tc.wantErr == "" {
				if q := tc.server.query("/api/v0/nodes"); !strings.Contains(q, "detail=true") || !strings.Contains(q, "limit=") {
					t.Errorf("node list query = %q, want detail and a limit", q)
				}
			}
		})
	}
}

func sameValue(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

func readingIDs(m map[string]scoring.Reading) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	return ids
}

// TestRayUnreachable points the check at a port that was just closed.
func TestRayUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	_ = ln.Close()
	// A password in the address stays out of the error.
	c := newRayComponent(t, strings.Replace(addr, "http://", "http://monitor:pa55word@", 1), "")
	h, got, err := runRay(t, c, time.Time{})
	want := "dashboard " + strings.Replace(addr, "http://", "http://monitor:xxxxx@", 1) + " unreachable: dial tcp " + strings.TrimPrefix(addr, "http://") + ": connect: connection refused"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q (once, though both endpoints failed)", err, want)
	}
	if h.Status != scoring.StatusFailing {
		t.Errorf("status = %s, want failing", h.Status)
	}
	if len(got) != 0 {
		t.Errorf("readings = %v, want none", readingIDs(got))
	}
}

// TestRayHonoursContext: a dashboard that never answers is abandoned when
// the check's context ends.
func TestRayHonoursContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	chk, err := NewCheck(newRayComponent(t, srv.URL, ""), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := chk.Check(ctx)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "did not answer within the check's timeout: context deadline exceeded") {
			t.Fatalf("error = %v, want the deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the check did not return after its context ended")
	}
}

func TestRayConfigErrors(t *testing.T) {
	cases := []struct{ block, want string }{
		{"    ray: {}\n", "address is required"},
		{"    ray: {address: 127.0.0.1:8265}\n", "must be an http:// or https:// URL"},
		{"    ray: {address: 'ftp://x:8265'}\n", "must be an http:// or https:// URL"},
		{"    ray: {address: 'http://x:8265', resources: ['node:InternalHead']}\n", "per-node marker"},
		{"    ray: {address: 'http://x:8265', resources: [CPU, CPU]}\n", "listed twice"},
		{"    ray: {address: 'http://x:8265', dead_node_max_age: -1h}\n", "dead_node_max_age"},
		{"    ray: {address: 'http://x:8265', dead_node_max_age: 1 day}\n", "dead_node_max_age"},
		{"    ray: {address: 'http://x:8265', tokn: x}\n", "tokn"},
		{"    ray: {address: 'http://x:8265', http_client_config: {bearer_token: a, bearer_token_file: b}}\n", "at most one of bearer_token"},
		{"    thresholds: {resource_usd_ratio: {warning: 0.5}}\n    ray: {address: 'http://x:8265'}\n", "unknown metric \"resource_usd_ratio\""},
		{"    thresholds: {nodes_alive_ratio: {warning: 0.5, critical: 0.9}}\n    ray: {address: 'http://x:8265'}\n", "nodes_alive_ratio"},
	}
	for _, tc := range cases {
		doc := "components:\n  - name: r\n    kind: ray\n" + tc.block
		_, err := config.Parse([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error = %v, want it to contain %q", tc.block, err, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), "line ") {
			t.Errorf("%q: error %q does not name the line", tc.block, err)
		}
	}
}

func TestRayInt64(t *testing.T) {
	for in, want := range map[string]int64{`1749723247117`: 1749723247117, `"1749723247117"`: 1749723247117, `null`: 0, `"0"`: 0} {
		var v rayInt64
		if err := v.UnmarshalJSON([]byte(in)); err != nil || int64(v) != want {
			t.Errorf("%s: got %d, %v; want %d", in, v, err, want)
		}
	}
	for _, in := range []string{`1.5`, `"x"`, `true`} {
		var v rayInt64
		if err := v.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}

func TestRayCamelCase(t *testing.T) {
	for in, want := range map[string]string{
		"CPU":                    "CPU",
		"memory":                 "memory",
		"object_store_memory":    "objectStoreMemory",
		"node:__internal_head__": "node:InternalHead",
		"accelerator_type:A10G":  "acceleratorType:A10G",
		"dataset_cache":          "datasetCache",
		"my_res_v2x":             "myResV2X",
	} {
		if got := rayCamelCase(in); got != want {
			t.Errorf("rayCamelCase(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseRay feeds arbitrary bodies to both parsers and to the readings
// built from them: no panic, no infinite value, and every reading of a
// parsed answer has a metric name. The fixtures are the seed corpus, run
// by plain `go test`.
func FuzzParseRay(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "ray"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") || strings.HasSuffix(e.Name(), ".txt") {
			f.Add([]byte(rayFixture(f, e.Name())))
		}
	}
	f.Add([]byte(`{"result":true,"msg":"","data":{"clusterStatus":null}}`))
	f.Add([]byte(`{"result":true,"msg":"","data":{"clusterStatus":{"loadMetricsReport":{"usage":{"CPU":[0,0],"GPU":[1,-1]},"resourceDemand":[[{"CPU":1},1e308],[{"CPU":1},1e308]]}}}}`))
	f.Add([]byte(`{"result":false,"msg":"boom","data":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		status, serr := parseRayClusterStatus(body)
		nodes, nerr := parseRayNodes(body)
		if (serr == nil) != (status != nil) || (nerr == nil) != (nodes != nil) {
			t.Fatalf("a parser returned both or neither of a result and an error")
		}
		readings := rayReadings(status, nodes, []string{"CPU", "GPU", "memory", "object_store_memory", "dataset_cache"}, time.Hour, time.UnixMilli(rayDeadEndMs))
		for _, r := range readings {
			if r.Metric == "" {
				t.Fatalf("reading without a metric: %+v", r)
			}
			if math.IsInf(r.Value, 0) {
				t.Fatalf("%s is infinite", r.ID())
			}
		}
	})
}

// TestRayExposition runs the dead-node cluster through the evaluator and
// the exporter: the dead node and the resources reach /metrics with their
// Ray names as the resource label, and the component's status is set.
func TestRayExposition(t *testing.T) {
	fake := &fakeRay{t: t, status: rayFixture(t, "cluster_status_dead_node.json"), nodes: rayFixture(t, "api_v0_nodes_dead_node.json")}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg, err := config.Parse([]byte("components:\n  - name: ray_cluster\n    kind: ray\n    ray: {address: '" + srv.URL + "'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	eval, err := NewEvaluator(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	eval.Evaluate(context.Background())
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewExporter(eval.Latest))
	want := `
# HELP healthmon_component_status Component health status as a state set. Refreshed every evaluation interval, not at scrape.
# TYPE healthmon_component_status gauge
healthmon_component_status{component="ray_cluster",status="critical"} 1
healthmon_component_status{component="ray_cluster",status="excellent"} 0
healthmon_component_status{component="ray_cluster",status="failing"} 0
healthmon_component_status{component="ray_cluster",status="good"} 0
healthmon_component_status{component="ray_cluster",status="unknown"} 0
healthmon_component_status{component="ray_cluster",status="warning"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "healthmon_component_status"); err != nil {
		t.Error(err)
	}
	// The recommendation names the dead node and why it died.
	h, _ := eval.Latest().Snapshot.Component("ray_cluster")
	const wantRec = "Dead: 10.0.1.12 (579404c7): Unexpected termination: health check failed due to missing too many heartbeats. "
	found := false
	for _, rec := range h.Recommendations {
		found = found || strings.HasPrefix(rec, wantRec)
	}
	if !found {
		t.Errorf("no recommendation starts with %q: %q", wantRec, h.Recommendations)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "healthmon_metric_value" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			values[labels["metric"]+"{"+labels["resource"]+"}"] = m.GetGauge().GetValue()
		}
	}
	for id, v := range map[string]float64{
		"nodes_dead{}":        1,
		"nodes_alive{}":       2,
		"resource_total{CPU}": 24,
		"resource_used_ratio{object_store_memory}": 4831838208.0 / 28689964645.0,
		"pending_resource_demand{}":                3,
	} {
		if got, ok := values[id]; !ok || !sameValue(got, v) {
			t.Errorf("healthmon_metric_value %s = %v (present %v), want %v", id, got, ok, v)
		}
	}
}

// TestRayDeadAdviceBounded: a mass failure names three nodes and counts
// the rest, so one recommendation stays readable.
func TestRayDeadAdviceBounded(t *testing.T) {
	got := deadAdvice([]string{"a", "b", "c", "d", "e"})
	if want := "Dead: a; b; c; and 2 more. "; !strings.HasPrefix(got, want) {
		t.Errorf("deadAdvice = %q, want it to start with %q", got, want)
	}
}
