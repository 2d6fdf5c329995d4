package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

func init() { registerKind("promql", newPromQLCheck) }

const advicePromQL = "Look at the query's figure in Prometheus (its graph page) and at what drives it; bring it back within its thresholds, or revise them if this level is expected."

// promQLCheck runs an instant query against Prometheus' HTTP API.
type promQLCheck struct {
	cfg      *config.PromQLConfig
	client   *http.Client
	endpoint string // the API URL
	target   string // endpoint for messages, without credentials
	logger   *slog.Logger
}

func newPromQLCheck(c *config.Component, logger *slog.Logger) (Check, error) {
	p := c.PromQL
	client, err := newHTTPClient(p.HTTPClient.HTTPClientConfig, c.Name, config.DefaultMaxRedirects)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v1/query"
	u.RawPath = ""
	return &promQLCheck{cfg: p, client: client, endpoint: u.String(), target: redactURL(u.String()), logger: logger}, nil
}

// apiResponse is the envelope of every Prometheus API answer.
type apiResponse struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
}

type queryData struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

type vectorSample struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`
}

// Check implements Check.
func (p *promQLCheck) Check(ctx context.Context) ([]scoring.Reading, error) {
	form := url.Values{"query": {p.cfg.Query}}
	if dl, ok := ctx.Deadline(); ok {
		// Let Prometheus give up when the check does.
		if left := time.Until(dl); left > 0 {
			form.Set("timeout", strconv.FormatFloat(left.Seconds(), 'f', 3, 64))
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, requestError("POST", p.target, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, requestError("POST", p.target, err)
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, p.cfg.MaxBodyBytes)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, fmt.Errorf("POST %s: response exceeds max_body_bytes (%d bytes); aggregate the query or raise max_body_bytes", p.target, p.cfg.MaxBodyBytes)
	case err != nil:
		return nil, fmt.Errorf("POST %s: reading the response: %w", p.target, err)
	}
	var api apiResponse
	if err := json.Unmarshal(body, &api); err != nil || (api.Status != "success" && api.Status != "error") {
		return nil, fmt.Errorf("POST %s: HTTP %s with no Prometheus API answer (is url the Prometheus server?): %s", p.target, resp.Status, shortText(body))
	}
	if api.Status == "error" {
		return nil, fmt.Errorf("prometheus refused the query (%s): %s", api.ErrorType, api.Error)
	}
	if len(api.Warnings) > 0 {
		p.logger.Debug("prometheus warnings", "warnings", api.Warnings)
	}
	var data queryData
	if err := json.Unmarshal(api.Data, &data); err != nil {
		return nil, fmt.Errorf("POST %s: malformed query data: %w", p.target, err)
	}
	return p.readings(data)
}

// readings turns a query result into readings.
func (p *promQLCheck) readings(data queryData) ([]scoring.Reading, error) {
	switch data.ResultType {
	case "scalar":
		var pair []any
		if err := json.Unmarshal(data.Result, &pair); err != nil {
			return nil, fmt.Errorf("malformed scalar result: %w", err)
		}
		v, err := sampleValue(pair)
		if err != nil {
			return nil, err
		}
		return []scoring.Reading{p.reading("", v)}, nil
	case "vector":
	case "matrix":
		return nil, errors.New("the query returned a range vector; give an instant vector (drop the [range] selector or wrap it in a function such as rate or max_over_time)")
	default:
		return nil, fmt.Errorf("the query returned a %s, not a number", data.ResultType)
	}
	var samples []vectorSample
	if err := json.Unmarshal(data.Result, &samples); err != nil {
		return nil, fmt.Errorf("malformed vector result: %w", err)
	}
	if len(samples) == 0 {
		r := p.reading("", math.NaN())
		if p.cfg.OnEmpty == config.OnEmptyFailing {
			r.Error = "query returned no series"
		}
		return []scoring.Reading{r}, nil
	}
	if p.cfg.ResourceLabel == "" {
		if len(samples) > 1 {
			return nil, fmt.Errorf("the query returned %d series (%s, ...); aggregate them to one (e.g. with sum or max) or set resource_label", len(samples), seriesName(samples[0].Metric))
		}
		v, err := sampleValue(samples[0].Value)
		if err != nil {
			return nil, err
		}
		return []scoring.Reading{p.reading("", v)}, nil
	}
	if len(samples) > p.cfg.MaxSeries {
		return nil, fmt.Errorf("the query returned %d series, more than max_series %d", len(samples), p.cfg.MaxSeries)
	}
	out := make([]scoring.Reading, 0, len(samples))
	seen := map[string]bool{}
	for _, s := range samples {
		res, ok := s.Metric[p.cfg.ResourceLabel]
		if !ok || res == "" {
			return nil, fmt.Errorf("series %s has no label %s (resource_label)", seriesName(s.Metric), p.cfg.ResourceLabel)
		}
		if seen[res] {
			return nil, fmt.Errorf("two series have %s=%q; aggregate the query by %s", p.cfg.ResourceLabel, res, p.cfg.ResourceLabel)
		}
		seen[res] = true
		v, err := sampleValue(s.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, p.reading(res, v))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Resource < out[j].Resource })
	return out, nil
}

func (p *promQLCheck) reading(resource string, v float64) scoring.Reading {
	return scoring.Reading{Metric: p.cfg.Metric, Resource: resource, Value: v, Advice: advicePromQL}
}

// sampleValue reads the value of a [timestamp, "value"] pair.
func sampleValue(pair []any) (float64, error) {
	if len(pair) != 2 {
		return 0, fmt.Errorf("malformed sample %v", pair)
	}
	s, ok := pair[1].(string)
	if !ok {
		return 0, fmt.Errorf("malformed sample value %v", pair[1])
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed sample value %q", s)
	}
	return v, nil
}

// seriesName renders a label set as name{a="b",...}.
func seriesName(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, labels[k])
	}
	return labels["__name__"] + "{" + strings.Join(parts, ",") + "}"
}

// shortText renders the start of a body for a message.
func shortText(b []byte) string {
	const max = 120
	s := strings.TrimSpace(string(b))
	if len(s) > max {
		s = s[:max] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return strconv.Quote(strings.ToValidUTF8(s, ""))
}
