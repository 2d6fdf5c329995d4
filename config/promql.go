package config

import (
	"strings"

	promconfig "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"
)

// PromQLConfig configures a check of kind promql: an instant query against
// a Prometheus HTTP API whose value becomes a reading.
type PromQLConfig struct {
	// URL of Prometheus (or of anything serving its HTTP API, e.g.
	// http://prometheus:9090); /api/v1/query is appended.
	URL string `yaml:"url"`
	// Query is the PromQL expression, evaluated at the time of the check.
	Query string `yaml:"query"`
	// Metric names the reading; default "value".
	Metric string `yaml:"metric"`
	// ResourceLabel, when set, lets the query return several series: each
	// becomes a reading whose resource is this label's value. Without it a
	// query must return one series or a scalar.
	ResourceLabel string `yaml:"resource_label,omitempty"`
	// MaxSeries bounds the series a query with resource_label may return.
	// Default 100.
	MaxSeries int `yaml:"max_series"`
	// OnEmpty is the outcome of a query that returns no series: "failing"
	// (the default: the reading fails with "query returned no series") or
	// "unknown" (the reading has no value, like a metric not yet there).
	OnEmpty string `yaml:"on_empty"`
	// MaxBodyBytes is the most of the response read. Default 1 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// HTTPClient holds prometheus/common's client settings.
	HTTPClient HTTPClient `yaml:"http_client_config"`
}

// DefaultPromQLMetric is the reading's name when metric is not set.
const DefaultPromQLMetric = "value"

// The outcomes of a query that returns no series.
const (
	OnEmptyFailing = "failing"
	OnEmptyUnknown = "unknown"
)

func init() {
	registerKind("promql", kindSpec{
		present: func(c *Component) bool { return c.PromQL != nil },
		prepare: func(c *Component) error {
			if err := requireBlock(c.PromQL != nil, "promql"); err != nil {
				return err
			}
			return checkThresholdNames(c, map[string]bool{c.PromQL.Metric: true})
		},
		// No defaults: the meaning of the value is the user's.
		defaults: map[string]*Threshold{},
	})
}

// UnmarshalYAML applies the defaults and validates, naming the field and
// its line.
func (p *PromQLConfig) UnmarshalYAML(node *yaml.Node) error {
	*p = PromQLConfig{
		Metric:       DefaultPromQLMetric,
		MaxSeries:    100,
		OnEmpty:      OnEmptyFailing,
		MaxBodyBytes: DefaultMaxBodyBytes,
		HTTPClient:   HTTPClient{promconfig.DefaultHTTPClientConfig},
	}
	type plain PromQLConfig
	if err := node.Decode((*plain)(p)); err != nil {
		return err
	}
	if v := valueNode(node, "http_client_config"); v != nil && v.Tag == "!!null" {
		p.HTTPClient = HTTPClient{promconfig.DefaultHTTPClientConfig} // an empty block keeps the defaults
	}
	if err := checkURL(node, "url", "promql.url", p.URL); err != nil {
		return err
	}
	if strings.TrimSpace(p.Query) == "" {
		return fieldError(node, "query", "promql.query", "is required")
	}
	if !readingNameRE.MatchString(p.Metric) {
		return fieldError(node, "metric", "promql.metric", "%q must match %s", p.Metric, readingNameRE)
	}
	if p.ResourceLabel != "" && !readingNameRE.MatchString(p.ResourceLabel) {
		return fieldError(node, "resource_label", "promql.resource_label", "%q is not a label name", p.ResourceLabel)
	}
	if p.MaxSeries < 1 {
		return fieldError(node, "max_series", "promql.max_series", "must be at least 1, got %d", p.MaxSeries)
	}
	if p.OnEmpty != OnEmptyFailing && p.OnEmpty != OnEmptyUnknown {
		return fieldError(node, "on_empty", "promql.on_empty", "%q is neither failing nor unknown", p.OnEmpty)
	}
	if p.MaxBodyBytes < 1 {
		return fieldError(node, "max_body_bytes", "promql.max_body_bytes", "must be at least 1, got %d", p.MaxBodyBytes)
	}
	return nil
}
