package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/healthmon/healthmon/scoring"
)

// RayConfig configures a check of kind ray: a Ray cluster judged through
// its dashboard's HTTP API (/api/cluster_status and /api/v0/nodes).
type RayConfig struct {
	// Address is the dashboard's URL, e.g. http://127.0.0.1:8265.
	Address string `yaml:"address"`
	// HTTPClientConfig holds the client settings: the token of a cluster
	// with RAY_AUTH_MODE=token (Ray >= 2.52) goes in
	// authorization.credentials or authorization.credentials_file; TLS and
	// proxy settings as in Prometheus.
	HTTPClient HTTPClient `yaml:"http_client_config"`
	// Resources whose used ratio is read, by their Ray names (as `ray
	// status` prints them); default CPU, GPU, memory, object_store_memory.
	// A resource the cluster does not have gives no reading.
	Resources []string `yaml:"resources"`
	// DeadNodeMaxAge: a node that died longer ago than this no longer
	// counts as dead (Ray keeps dead nodes in its node table until the head
	// restarts). 0 counts every dead node. Default 24h.
	DeadNodeMaxAge model.Duration `yaml:"dead_node_max_age"`
}

// The ray kind's metrics.
const (
	// MetricRayResourceUsedRatio is used/total of one resource (resource
	// label: CPU, GPU, memory, object_store_memory, or a custom one).
	MetricRayResourceUsedRatio = "resource_used_ratio"
	// MetricRayResourceTotal is the cluster's total of one resource: a
	// count for CPU, GPU and custom resources, bytes for memory and
	// object_store_memory.
	MetricRayResourceTotal = "resource_total"
	// MetricRayNodesAlive counts the nodes in state ALIVE.
	MetricRayNodesAlive = "nodes_alive"
	// MetricRayNodesDead counts the nodes that died unexpectedly (crash,
	// lost heartbeats, preemption) within dead_node_max_age.
	MetricRayNodesDead = "nodes_dead"
	// MetricRayNodesAliveRatio is alive / (alive + dead).
	MetricRayNodesAliveRatio = "nodes_alive_ratio"
	// MetricRayNodesTerminated counts nodes stopped on purpose (ray stop,
	// autoscaler idle scale-down); informational.
	MetricRayNodesTerminated = "nodes_terminated"
	// MetricRayPendingResourceDemand counts tasks and actors waiting for
	// resources.
	MetricRayPendingResourceDemand = "pending_resource_demand"
	// MetricRayPendingPlacementGroups counts placement groups waiting for
	// resources.
	MetricRayPendingPlacementGroups = "pending_placement_groups"
)

// DefaultRayResources are the resources read when none are configured.
var DefaultRayResources = []string{"CPU", "GPU", "memory", "object_store_memory"}

// DefaultRayDeadNodeMaxAge is dead_node_max_age's default.
const DefaultRayDeadNodeMaxAge = model.Duration(24 * time.Hour)

// rayDefaults: Ray resources are logical, so a busy cluster runs at high
// CPU use by design; the levels warn when little headroom is left for new
// work. The object store spills to disk when it fills, so it warns
// earlier. A dead node is worth a warning; losing a quarter of the cluster
// is critical.
var rayDefaults = map[string]*Threshold{
	MetricRayResourceUsedRatio:      th(scoring.HigherIsWorse, 0.60, 0.90, 0.98),
	MetricRayResourceTotal:          th(scoring.LowerIsWorse, nan, nan, nan),
	MetricRayNodesAlive:             th(scoring.LowerIsWorse, nan, nan, nan),
	MetricRayNodesDead:              th(scoring.HigherIsWorse, 0, 1, nan),
	MetricRayNodesAliveRatio:        th(scoring.LowerIsWorse, 1, 0.99, 0.75),
	MetricRayNodesTerminated:        th(scoring.HigherIsWorse, nan, nan, nan),
	MetricRayPendingResourceDemand:  th(scoring.HigherIsWorse, 0, 100, nan),
	MetricRayPendingPlacementGroups: th(scoring.HigherIsWorse, 0, 5, nan),
}

// UnmarshalYAML applies the defaults before decoding.
func (r *RayConfig) UnmarshalYAML(node *yaml.Node) error {
	*r = RayConfig{HTTPClient: HTTPClient{promconfig.DefaultHTTPClientConfig}, DeadNodeMaxAge: DefaultRayDeadNodeMaxAge}
	type plain RayConfig
	return node.Decode((*plain)(r))
}

func init() {
	registerKind("ray", kindSpec{
		present:      func(c *Component) bool { return c.Ray != nil },
		prepare:      prepareRay,
		defaults:     rayDefaults,
		fixedMetrics: true,
	})
}

func prepareRay(c *Component) error {
	if err := requireBlock(c.Ray != nil, "ray"); err != nil {
		return err
	}
	r := c.Ray
	if r.Address == "" {
		return fmt.Errorf("address is required (the dashboard's URL, e.g. http://127.0.0.1:8265)")
	}
	u, err := url.Parse(r.Address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("address %q must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:8265", r.Address)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("address %q must not have a query or a fragment", r.Address)
	}
	r.Address = strings.TrimRight(r.Address, "/")
	if len(r.Resources) == 0 {
		r.Resources = append([]string(nil), DefaultRayResources...)
	}
	seen := map[string]bool{}
	for _, name := range r.Resources {
		switch {
		case strings.TrimSpace(name) == "":
			return fmt.Errorf("resources: empty resource name")
		case strings.HasPrefix(name, "node:"):
			return fmt.Errorf("resources: %q is a per-node marker, not a capacity", name)
		case seen[name]:
			return fmt.Errorf("resources: %q is listed twice", name)
		}
		seen[name] = true
	}
	if r.DeadNodeMaxAge < 0 {
		return fmt.Errorf("dead_node_max_age must not be negative, got %s", r.DeadNodeMaxAge)
	}
	return nil
}
