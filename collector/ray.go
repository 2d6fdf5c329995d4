package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	promconfig "github.com/prometheus/common/config"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

func init() { registerKind("ray", newRayCheck) }

// The dashboard paths the ray check reads. The node list asks for detail
// (which adds end_time_ms, the time of death) and for more nodes than the
// state API's default page of 100.
const (
	rayClusterStatusPath = "/api/cluster_status"
	rayNodesPath         = "/api/v0/nodes?detail=true&limit=10000"
	// rayMaxBody caps what is read of one response: a node list of
	// thousands of nodes with detail stays well below it.
	rayMaxBody = 32 << 20
)

// rayCheck judges a Ray cluster through its dashboard's HTTP API.
//
// The usage of each resource comes from /api/cluster_status (the
// autoscaler monitor's load report), and node deaths from /api/v0/nodes:
// in a cluster started with plain `ray start` a dead node simply vanishes
// from the cluster status totals and failedNodes stays empty, so only the
// node list shows it.
type rayCheck struct {
	base string
	// shown is base for messages, its password (if any) redacted.
	shown      string
	client     *http.Client
	resources  []string
	deadMaxAge time.Duration
	logger     *slog.Logger
	now        func() time.Time
}

func newRayCheck(c *config.Component, logger *slog.Logger) (Check, error) {
	client, err := promconfig.NewClientFromConfig(c.Ray.HTTPClient.HTTPClientConfig, "ray_"+c.Name)
	if err != nil {
		return nil, fmt.Errorf("ray http client: %w", err)
	}
	shown := c.Ray.Address
	if u, err := url.Parse(c.Ray.Address); err == nil {
		shown = u.Redacted()
	}
	return &rayCheck{
		base:       c.Ray.Address,
		shown:      shown,
		client:     client,
		resources:  c.Ray.Resources,
		deadMaxAge: time.Duration(c.Ray.DeadNodeMaxAge),
		logger:     logger,
		now:        time.Now,
	}, nil
}

const (
	adviceRayResource = "The cluster has little headroom for new work: see what holds the resource (ray status -v, the dashboard's Cluster and Jobs views), end idle actors, or add nodes."
	adviceRayObjStore = "The object store is filling and will spill to disk: release object references that are no longer needed (del refs, smaller ray.put payloads), or give nodes more object store memory."
	adviceRayDead     = "A Ray node died unexpectedly: find it with `ray list nodes --filter state=DEAD --detail` (its state_message says why), read its raylet.out and dmesg (OOM kills), then restart it with `ray start --address=<head>` or let the autoscaler replace it."
	adviceRayAlive    = "Fewer Ray nodes are alive than expected: check that the workers are running and can reach the head's GCS port, then rejoin them with `ray start --address=<head>`."
	adviceRayPending  = "Work is waiting for resources the cluster cannot give now: look at `ray status` Demands; add nodes, let the autoscaler scale up, or lower the tasks' resource requests."
)

// Check fetches both endpoints concurrently and turns them into readings.
// Readings from the endpoint that answered are kept when the other fails;
// any failure makes the check fail with the reason.
func (r *rayCheck) Check(ctx context.Context) ([]scoring.Reading, error) {
	var (
		wg                  sync.WaitGroup
		status              *rayClusterStatus
		nodes               *rayNodeList
		statusErr, nodesErr error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		var body []byte
		if body, statusErr = r.get(ctx, rayClusterStatusPath); statusErr == nil {
			status, statusErr = parseRayClusterStatus(body)
		}
	}()
	go func() {
		defer wg.Done()
		var body []byte
		if body, nodesErr = r.get(ctx, rayNodesPath); nodesErr == nil {
			nodes, nodesErr = parseRayNodes(body)
		}
	}()
	wg.Wait()

	if nodes != nil && nodes.Total > len(nodes.Nodes) {
		r.logger.Warn("the Ray node list was truncated; node counts cover only the nodes returned", "returned", len(nodes.Nodes), "total", nodes.Total)
	}
	readings := rayReadings(status, nodes, r.resources, r.deadMaxAge, r.now())

	switch {
	case statusErr != nil && nodesErr != nil && statusErr.Error() == nodesErr.Error():
		return readings, statusErr // unreachable, or the token refused
	case statusErr != nil && nodesErr != nil:
		return readings, fmt.Errorf("cluster status: %w; node list: %w", statusErr, nodesErr)
	case statusErr != nil:
		return readings, fmt.Errorf("cluster status: %w", statusErr)
	case nodesErr != nil:
		return readings, fmt.Errorf("node list: %w", nodesErr)
	}
	return readings, nil
}

// get fetches one dashboard path and returns the body of a 200 response.
// Other statuses become errors that say what to do; the token itself is
// never part of them.
func (r *rayCheck) get(ctx context.Context, path string) ([]byte, error) {
	target := r.shown + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", target, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		// Name the dashboard rather than the path, so that both endpoints
		// failing alike read as one error.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("dashboard %s did not answer within the check's timeout: %w", r.shown, ctx.Err())
		}
		return nil, fmt.Errorf("dashboard %s unreachable: %w", r.shown, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, rayMaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the response: %w", target, err)
	}
	if len(body) > rayMaxBody {
		return nil, fmt.Errorf("GET %s: response larger than %d bytes", target, rayMaxBody)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil
	case http.StatusUnauthorized:
		return nil, fmt.Errorf("dashboard %s: HTTP 401: the dashboard requires a token (RAY_AUTH_MODE=token) and none was sent; set ray.http_client_config.authorization.credentials_file to a file holding the cluster's token", r.shown)
	case http.StatusForbidden:
		return nil, fmt.Errorf("dashboard %s: HTTP 403: the dashboard rejected the token; check that ray.http_client_config.authorization holds the cluster's current token", r.shown)
	}
	// Ray reports its own errors as {"result": false, "msg": ...}.
	var env rayEnvelope
	if json.Unmarshal(body, &env) == nil && env.Msg != "" {
		return nil, fmt.Errorf("GET %s: HTTP %d: %s", target, resp.StatusCode, oneLine(env.Msg))
	}
	return nil, fmt.Errorf("GET %s: HTTP %d: %s", target, resp.StatusCode, oneLine(string(body)))
}

// oneLine shortens a message or a body for an error: one line, at most 200
// bytes, valid UTF-8.
func oneLine(s string) string {
	s = strings.ToValidUTF8(strings.Join(strings.Fields(s), " "), "\uFFFD")
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// rayEnvelope is the dashboard's wrapper around every JSON answer.
type rayEnvelope struct {
	Result *bool           `json:"result"`
	Msg    string          `json:"msg"`
	Data   json.RawMessage `json:"data"`
}

// unwrapRay checks the envelope and returns its data.
func unwrapRay(body []byte) (json.RawMessage, error) {
	var env rayEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("invalid JSON from the dashboard: %w", err)
	}
	if env.Result == nil {
		return nil, errors.New("unexpected answer from the dashboard: no \"result\" field (is the address a Ray dashboard?)")
	}
	if !*env.Result {
		return nil, fmt.Errorf("the dashboard reported an error: %s", oneLine(env.Msg))
	}
	if len(env.Data) == 0 || bytes.Equal(env.Data, []byte("null")) {
		return nil, errors.New("unexpected answer from the dashboard: no \"data\"")
	}
	return env.Data, nil
}

// rayClusterStatus is what the check uses of /api/cluster_status.
type rayClusterStatus struct {
	// Reported is false while the autoscaler monitor has not reported (or
	// never will: autoscaler v2 leaves clusterStatus null).
	Reported bool
	// Usage maps Ray's camelCased resource keys to [used, total].
	Usage map[string][2]float64
	// PendingDemand sums the counts of the resource demand (tasks and
	// actors waiting), PendingPlacementGroups those of pgDemand.
	PendingDemand          float64
	PendingPlacementGroups float64
}

// parseRayClusterStatus parses the body of GET /api/cluster_status.
func parseRayClusterStatus(body []byte) (*rayClusterStatus, error) {
	data, err := unwrapRay(body)
	if err != nil {
		return nil, err
	}
	var d struct {
		ClusterStatus *struct {
			LoadMetricsReport *struct {
				Usage          map[string][]float64 `json:"usage"`
				ResourceDemand []json.RawMessage    `json:"resourceDemand"`
				PgDemand       []json.RawMessage    `json:"pgDemand"`
			} `json:"loadMetricsReport"`
		} `json:"clusterStatus"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("unexpected cluster status: %w", err)
	}
	out := &rayClusterStatus{}
	if d.ClusterStatus == nil || d.ClusterStatus.LoadMetricsReport == nil || len(d.ClusterStatus.LoadMetricsReport.Usage) == 0 {
		// The monitor has not reported yet: usage is unknown, not an error.
		return out, nil
	}
	lm := d.ClusterStatus.LoadMetricsReport
	out.Reported = true
	out.Usage = make(map[string][2]float64, len(lm.Usage))
	for k, v := range lm.Usage {
		if len(v) != 2 {
			return nil, fmt.Errorf("unexpected cluster status: usage of %q has %d values, want [used, total]", k, len(v))
		}
		out.Usage[k] = [2]float64{v[0], v[1]}
	}
	if out.PendingDemand, err = sumDemandCounts(lm.ResourceDemand); err != nil {
		return nil, fmt.Errorf("unexpected cluster status: resourceDemand: %w", err)
	}
	if out.PendingPlacementGroups, err = sumDemandCounts(lm.PgDemand); err != nil {
		return nil, fmt.Errorf("unexpected cluster status: pgDemand: %w", err)
	}
	return out, nil
}

// sumDemandCounts adds the counts of a list of [shape, count] pairs.
func sumDemandCounts(entries []json.RawMessage) (float64, error) {
	sum := 0.0
	for i, e := range entries {
		var pair []json.RawMessage
		if err := json.Unmarshal(e, &pair); err != nil || len(pair) != 2 {
			return 0, fmt.Errorf("entry %d is not a [shape, count] pair", i)
		}
		var n float64
		if err := json.Unmarshal(pair[1], &n); err != nil || n < 0 {
			return 0, fmt.Errorf("entry %d: count is not a non-negative number", i)
		}
		sum += n
	}
	if math.IsInf(sum, 0) {
		return 0, errors.New("the counts add up to more than a float64 holds")
	}
	return sum, nil
}

// rayNode is what the check uses of a node of /api/v0/nodes.
type rayNode struct {
	ID             string             `json:"node_id"`
	IP             string             `json:"node_ip"`
	State          string             `json:"state"`
	StateMessage   *string            `json:"state_message"`
	EndTimeMs      rayInt64           `json:"end_time_ms"`
	ResourcesTotal map[string]float64 `json:"resources_total"`
}

// rayInt64 is an int64 that Ray may send as a number or, as protobuf's
// JSON does for int64 (its /nodes endpoint), as a string; null is 0.
type rayInt64 int64

// UnmarshalJSON accepts 123, "123" and null.
func (v *rayInt64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*v = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an integer", oneLine(string(b)))
	}
	*v = rayInt64(n)
	return nil
}

// rayNodeList is the node list and the cluster's node count.
type rayNodeList struct {
	Nodes []rayNode
	// Total is how many nodes the cluster has, which is more than
	// len(Nodes) when the list was truncated.
	Total int
}

// parseRayNodes parses the body of GET /api/v0/nodes.
func parseRayNodes(body []byte) (*rayNodeList, error) {
	data, err := unwrapRay(body)
	if err != nil {
		return nil, err
	}
	var d struct {
		Result *struct {
			Total  int       `json:"total"`
			Result []rayNode `json:"result"`
		} `json:"result"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("unexpected node list: %w", err)
	}
	if d.Result == nil || d.Result.Result == nil {
		return nil, errors.New("unexpected node list: no data.result.result list")
	}
	return &rayNodeList{Nodes: d.Result.Result, Total: d.Result.Total}, nil
}

// intentionallyStopped reports whether a dead node was stopped on purpose
// (`ray stop`, SIGTERM, the autoscaler's idle scale-down) rather than lost,
// from the state message Ray composes from the node's death reason.
func (n rayNode) intentionallyStopped() bool {
	if n.StateMessage == nil {
		return false
	}
	m := *n.StateMessage
	return strings.HasPrefix(m, "Expected termination") || strings.HasPrefix(m, "Terminated due to idle")
}

// describe names a node for people: its IP, a short ID and why it died.
func (n rayNode) describe() string {
	id := n.ID
	if len(id) > 8 {
		id = id[:8]
	}
	out := oneLine(n.IP + " (" + id + ")")
	if n.StateMessage != nil && *n.StateMessage != "" {
		out += ": " + oneLine(*n.StateMessage)
	}
	return out
}

// deadAdvice names the first dead nodes in the recommendation, so that the
// issue says which nodes to look at; the list is bounded.
func deadAdvice(names []string) string {
	const most = 3
	list := strings.Join(names[:min(len(names), most)], "; ")
	if len(names) > most {
		list += fmt.Sprintf("; and %d more", len(names)-most)
	}
	return "Dead: " + list + ". " + adviceRayDead
}

// rayReadings turns what was fetched into readings; either part may be nil
// when its endpoint failed.
func rayReadings(status *rayClusterStatus, nodes *rayNodeList, resources []string, deadMaxAge time.Duration, now time.Time) []scoring.Reading {
	var out []scoring.Reading
	var aliveTotals map[string]float64
	if nodes != nil {
		aliveTotals = map[string]float64{}
		alive, dead, stopped := 0, 0, 0
		var deadNames []string
		for _, n := range nodes.Nodes {
			switch n.State {
			case "ALIVE":
				alive++
				for k, v := range n.ResourcesTotal {
					aliveTotals[k] += v
				}
			case "DEAD":
				switch {
				case n.intentionallyStopped():
					stopped++
				case deadMaxAge > 0 && n.EndTimeMs > 0 && now.Sub(time.UnixMilli(int64(n.EndTimeMs))) > deadMaxAge:
					// Died long ago; Ray keeps it listed until the head restarts.
				default:
					dead++
					deadNames = append(deadNames, n.describe())
				}
			}
		}
		ratio := math.NaN()
		if alive+dead > 0 {
			ratio = float64(alive) / float64(alive+dead)
		}
		advice := adviceRayDead
		if len(deadNames) > 0 {
			advice = deadAdvice(deadNames)
		}
		out = append(out,
			scoring.Reading{Metric: config.MetricRayNodesAlive, Value: float64(alive), Advice: adviceRayAlive},
			scoring.Reading{Metric: config.MetricRayNodesDead, Value: float64(dead), Advice: advice},
			scoring.Reading{Metric: config.MetricRayNodesAliveRatio, Value: ratio, Unit: scoring.UnitRatio, Advice: advice},
			scoring.Reading{Metric: config.MetricRayNodesTerminated, Value: float64(stopped)},
		)
	}

	switch {
	case status != nil && status.Reported:
		for _, res := range resources {
			v, ok := status.Usage[rayCamelCase(res)]
			if !ok {
				v, ok = status.Usage[res]
			}
			if !ok || !(v[1] > 0) {
				continue // the cluster does not have it (no GPU): no reading
			}
			rs := rayResourceReadings(res, v[0]/v[1], v[1])
			if math.IsInf(rs[0].Value, 0) {
				rs[0].Value, rs[0].Error = math.NaN(), fmt.Sprintf("the dashboard reports %g used of a total of %g", v[0], v[1])
			}
			out = append(out, rs...)
		}
		out = append(out,
			scoring.Reading{Metric: config.MetricRayPendingResourceDemand, Value: status.PendingDemand, Advice: adviceRayPending},
			scoring.Reading{Metric: config.MetricRayPendingPlacementGroups, Value: status.PendingPlacementGroups, Advice: adviceRayPending},
		)
	case status != nil:
		// The monitor has not reported: usage is unknown. The node list
		// still says which resources the cluster has and how much.
		for _, res := range resources {
			total := aliveTotals[res]
			if aliveTotals != nil && !(total > 0) {
				continue
			}
			if aliveTotals == nil {
				total = math.NaN()
			}
			out = append(out, rayResourceReadings(res, math.NaN(), total)...)
		}
		out = append(out,
			scoring.Reading{Metric: config.MetricRayPendingResourceDemand, Value: math.NaN(), Advice: adviceRayPending},
			scoring.Reading{Metric: config.MetricRayPendingPlacementGroups, Value: math.NaN(), Advice: adviceRayPending},
		)
	}
	return out
}

// rayResourceReadings returns the used ratio and the total of a resource.
func rayResourceReadings(res string, ratio, total float64) []scoring.Reading {
	advice, unit := adviceRayResource, scoring.UnitNone
	switch res {
	case "object_store_memory":
		advice, unit = adviceRayObjStore, scoring.UnitBytes
	case "memory":
		unit = scoring.UnitBytes
	}
	return []scoring.Reading{
		{Metric: config.MetricRayResourceUsedRatio, Resource: res, Value: ratio, Unit: scoring.UnitRatio, Advice: advice},
		{Metric: config.MetricRayResourceTotal, Resource: res, Value: total, Unit: unit},
	}
}

// rayCamelCase converts a resource name as the dashboard does for the keys
// of /api/cluster_status: split at "_", keep the first part, and title-case
// the others (Python's str.title: a letter after a non-letter is upper
// case, any other letter lower case). object_store_memory becomes
// objectStoreMemory, accelerator_type:A10G acceleratorType:A10G.
func rayCamelCase(name string) string {
	parts := strings.Split(name, "_")
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1:] {
		prevLetter := false
		for _, c := range p {
			if prevLetter {
				b.WriteRune(unicode.ToLower(c))
			} else {
				b.WriteRune(unicode.ToUpper(c))
			}
			prevLetter = unicode.IsLetter(c)
		}
	}
	return b.String()
}
