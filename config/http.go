package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	promconfig "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/healthmon/healthmon/scoring"
)

// HTTPConfig configures a check of kind http: one request, judged by its
// status code, its latency, its certificate's expiry (HTTPS) and optional
// assertions on a JSON body.
type HTTPConfig struct {
	// URL to request, http:// or https://.
	URL string `yaml:"url"`
	// Method of the request; default GET.
	Method string `yaml:"method"`
	// Headers added to the request. Put secrets in
	// http_client_config.authorization or http_client_config.http_headers
	// (as secrets), not here.
	Headers map[string]string `yaml:"headers,omitempty"`
	// Body of the request, sent as is.
	Body string `yaml:"body,omitempty"`
	// StatusCodes accepted; default any 2xx.
	StatusCodes []int `yaml:"status_codes,omitempty"`
	// MaxBodyBytes is the most of the response body read; a longer body
	// fails the check. Default 1 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxRedirects followed; 0 follows none (the 3xx is judged against
	// status_codes). Default 5.
	MaxRedirects int `yaml:"max_redirects"`
	// JSON assertions on the response body; any makes the body JSON.
	JSON []*JSONAssertion `yaml:"json,omitempty"`
	// HTTPClient holds prometheus/common's client settings: basic_auth,
	// authorization, oauth2, tls_config, proxy_url, follow_redirects, ...
	HTTPClient HTTPClient `yaml:"http_client_config"`
}

// The http kind's metrics (and tcp's latency and certificate metrics).
const (
	// MetricLatencySeconds is the time of the whole exchange: for http from
	// the request to the end of the body, for tcp connect plus TLS
	// handshake.
	MetricLatencySeconds = "latency_seconds"
	// MetricStatusCode is the HTTP status code of the final response.
	MetricStatusCode = "status_code"
	// MetricCertificateExpirySeconds is the time until the earliest expiry
	// among the certificates the server presented; negative once expired.
	MetricCertificateExpirySeconds = "certificate_expiry_seconds"
	// MetricJSONAssertion is 1 for a JSON assertion that holds, 0 (and
	// failing, with the reason) for one that does not; resource is the path.
	MetricJSONAssertion = "json_assertion"
)

// DefaultMaxBodyBytes is max_body_bytes' default: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxRedirects is max_redirects' default.
const DefaultMaxRedirects = 5

const day = 24 * 60 * 60

// httpDefaults: an API that answers within 250 ms is excellent, a second is
// slow, three are close to a client's patience; a certificate is renewed a
// month ahead, so two weeks left means renewal failed and three days is an
// emergency.
var httpDefaults = map[string]*Threshold{
	MetricLatencySeconds:           th(scoring.HigherIsWorse, 0.25, 1, 3),
	MetricStatusCode:               th(scoring.HigherIsWorse, nan, nan, nan),
	MetricCertificateExpirySeconds: th(scoring.LowerIsWorse, 30*day, 14*day, 3*day),
	MetricJSONAssertion:            th(scoring.LowerIsWorse, nan, nan, nan),
}

func init() {
	registerKind("http", kindSpec{
		present:  func(c *Component) bool { return c.HTTP != nil },
		prepare:  prepareHTTP,
		defaults: httpDefaults,
		// Not fixed: json assertions add readings named by the user.
	})
}

func prepareHTTP(c *Component) error {
	if err := requireBlock(c.HTTP != nil, "http"); err != nil {
		return err
	}
	known := map[string]bool{}
	for m := range httpDefaults {
		known[m] = true
	}
	for _, a := range c.HTTP.JSON {
		if a.Reading != "" {
			known[a.Reading] = true
		}
	}
	return checkThresholdNames(c, known)
}

// checkThresholdNames refuses thresholds for a metric that no reading of
// the component has: a typo would otherwise go unnoticed. The kinds whose
// readings depend on their block call it from prepare.
func checkThresholdNames(c *Component, known map[string]bool) error {
	keys := make([]string, 0, len(c.Thresholds))
	for k := range c.Thresholds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		metric := key
		if i := strings.IndexByte(key, '{'); i > 0 && strings.HasSuffix(key, "}") {
			metric = key[:i]
		}
		if !known[metric] {
			names := make([]string, 0, len(known))
			for n := range known {
				names = append(names, n)
			}
			sort.Strings(names)
			return fmt.Errorf("thresholds.%s: no reading of this component is called %q (its readings: %s)", key, metric, strings.Join(names, ", "))
		}
	}
	return nil
}

var (
	methodRE      = regexp.MustCompile(`^[A-Z][A-Z0-9_-]*$`)
	headerNameRE  = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	readingNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// UnmarshalYAML applies the defaults and validates, naming the field and
// its line.
func (h *HTTPConfig) UnmarshalYAML(node *yaml.Node) error {
	*h = HTTPConfig{
		Method:       "GET",
		MaxBodyBytes: DefaultMaxBodyBytes,
		MaxRedirects: DefaultMaxRedirects,
		HTTPClient:   HTTPClient{promconfig.DefaultHTTPClientConfig},
	}
	type plain HTTPConfig
	if err := node.Decode((*plain)(h)); err != nil {
		return err
	}
	if v := valueNode(node, "http_client_config"); v != nil && v.Tag == "!!null" {
		h.HTTPClient = HTTPClient{promconfig.DefaultHTTPClientConfig} // an empty block keeps the defaults
	}
	if err := checkURL(node, "url", "http.url", h.URL); err != nil {
		return err
	}
	if !methodRE.MatchString(h.Method) {
		return fieldError(node, "method", "http.method", "%q is not an HTTP method (use upper case, e.g. GET or POST)", h.Method)
	}
	for name, v := range h.Headers {
		if !headerNameRE.MatchString(name) {
			return fieldError(node, "headers", "http.headers", "%q is not a valid header name", name)
		}
		if strings.ContainsAny(v, "\r\n") {
			return fieldError(node, "headers", "http.headers."+name, "a header value must not contain a line break")
		}
	}
	for _, code := range h.StatusCodes {
		if code < 100 || code > 599 {
			return fieldError(node, "status_codes", "http.status_codes", "%d is not an HTTP status code (100..599)", code)
		}
	}
	if h.MaxBodyBytes < 1 {
		return fieldError(node, "max_body_bytes", "http.max_body_bytes", "must be at least 1, got %d", h.MaxBodyBytes)
	}
	if h.MaxRedirects < 0 {
		return fieldError(node, "max_redirects", "http.max_redirects", "must not be negative, got %d", h.MaxRedirects)
	}
	return checkAssertions(node, h.JSON)
}

// checkAssertions refuses two assertions that would give the same reading.
func checkAssertions(node *yaml.Node, list []*JSONAssertion) error {
	paths, readings := map[string]bool{}, map[string]bool{}
	for i, a := range list {
		line := node.Line
		if a != nil {
			line = a.line
		}
		field := fmt.Sprintf("http.json[%d]", i)
		switch {
		case a == nil:
			return lineError(line, field, "empty assertion")
		case a.Reading != "":
			if httpDefaults[a.Reading] != nil {
				return lineError(line, field+".reading", "%q is a metric of the http kind itself; choose another name", a.Reading)
			}
			if readings[a.Reading] {
				return lineError(line, field+".reading", "reading %q is given twice", a.Reading)
			}
			readings[a.Reading] = true
		default:
			if paths[a.Path.String()] {
				return lineError(line, field+".path", "path %q is asserted twice; put its checks in one entry", a.Path.String())
			}
			paths[a.Path.String()] = true
		}
	}
	return nil
}

// checkURL validates an http(s) URL field without echoing a password it
// may hold.
func checkURL(node *yaml.Node, key, field, raw string) error {
	if raw == "" {
		return fieldError(node, key, field, "is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fieldError(node, key, field, "not a valid URL: %v", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fieldError(node, key, field, "%q must be an http:// or https:// URL with a host", u.Redacted())
	}
	return nil
}

// HTTPClient is prometheus/common's HTTPClientConfig (the http_client_config
// block of Prometheus' own scrape configs), decoded with its defaults and
// validated with errors that name the line.
type HTTPClient struct {
	promconfig.HTTPClientConfig `yaml:",inline"`
}

// UnmarshalYAML applies prometheus/common's defaults and validation.
func (c *HTTPClient) UnmarshalYAML(node *yaml.Node) error {
	c.HTTPClientConfig = promconfig.DefaultHTTPClientConfig
	if err := node.Decode(&c.HTTPClientConfig); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return err
		}
		return lineError(node.Line, "http_client_config", "%v", err)
	}
	return nil
}

// JSONAssertion is one check of a JSON body: the path must exist, and
// optionally have a type, equal a value, or be a number that becomes a
// reading.
type JSONAssertion struct {
	// Path to the value, see JSONPath.
	Path JSONPath `yaml:"path"`
	// Type the value must have: object, array, string, number, boolean or
	// null.
	Type string `yaml:"type,omitempty"`
	// Equals is the value the path must hold, compared as JSON (1 equals
	// 1.0; objects compare key by key).
	Equals any `yaml:"equals,omitempty"`
	// Reading names the reading the number at Path becomes; thresholds come
	// from the component's thresholds under that name.
	Reading string `yaml:"reading,omitempty"`

	// HasEquals is set when equals was given (possibly as null).
	HasEquals bool `yaml:"-"`
	line      int
}

var jsonTypes = map[string]bool{"object": true, "array": true, "string": true, "number": true, "boolean": true, "null": true}

// UnmarshalYAML validates the assertion and turns equals into its JSON form.
func (a *JSONAssertion) UnmarshalYAML(node *yaml.Node) error {
	type plain JSONAssertion
	if err := node.Decode((*plain)(a)); err != nil {
		return err
	}
	a.line = node.Line
	if len(a.Path.segments) == 0 {
		return fieldError(node, "path", "json.path", "is required")
	}
	if a.Type != "" && !jsonTypes[a.Type] {
		return fieldError(node, "type", "json.type", "unknown type %q (want object, array, string, number, boolean or null)", a.Type)
	}
	if valueNode(node, "equals") != nil {
		a.HasEquals = true
		b, err := json.Marshal(a.Equals)
		if err != nil {
			return fieldError(node, "equals", "json.equals", "cannot be written as JSON: %v", err)
		}
		if err := json.Unmarshal(b, &a.Equals); err != nil {
			return fieldError(node, "equals", "json.equals", "cannot be written as JSON: %v", err)
		}
	}
	if a.Reading != "" {
		if !readingNameRE.MatchString(a.Reading) {
			return fieldError(node, "reading", "json.reading", "%q must match %s", a.Reading, readingNameRE)
		}
		if a.HasEquals {
			return fieldError(node, "reading", "json.reading", "reading and equals exclude each other")
		}
		if a.Type != "" && a.Type != "number" {
			return fieldError(node, "type", "json.type", "a reading needs a number, not %s", a.Type)
		}
	}
	return nil
}

// JSONPath names a value inside a JSON document: object keys separated by
// dots, and array indexes as numbers, e.g. data.universe or items.0.price.
// A key that holds a dot writes it as `\.`, a backslash as `\\`. A number
// applied to an object is an ordinary key.
type JSONPath struct {
	raw      string
	segments []string
}

// ParseJSONPath parses the dotted syntax of JSONPath.
func ParseJSONPath(s string) (JSONPath, error) {
	if s == "" {
		return JSONPath{}, errors.New("empty path")
	}
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) || (s[i+1] != '.' && s[i+1] != '\\') {
				return JSONPath{}, fmt.Errorf("path %q: a backslash must be followed by . or \\", s)
			}
			i++
			cur.WriteByte(s[i])
		case '.':
			if cur.Len() == 0 {
				return JSONPath{}, fmt.Errorf("path %q has an empty key (two dots, or a dot at an end)", s)
			}
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() == 0 {
		return JSONPath{}, fmt.Errorf("path %q has an empty key (two dots, or a dot at an end)", s)
	}
	return JSONPath{raw: s, segments: append(segs, cur.String())}, nil
}

// String returns the path as written.
func (p JSONPath) String() string { return p.raw }

// Segments returns the keys and indexes of the path, unescaped.
func (p JSONPath) Segments() []string { return p.segments }

// UnmarshalYAML parses the path.
func (p *JSONPath) UnmarshalYAML(node *yaml.Node) error {
	var s string
	if err := node.Decode(&s); err != nil {
		return err
	}
	v, err := ParseJSONPath(s)
	if err != nil {
		return lineError(node.Line, "path", "%v", err)
	}
	*p = v
	return nil
}

// Lookup returns the value at the path in a document decoded by
// encoding/json into any, or an error naming the first key that is
// missing.
func (p JSONPath) Lookup(doc any) (any, error) {
	cur := doc
	for i, seg := range p.segments {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[seg]
			if !ok {
				return nil, fmt.Errorf("%s: no key %q", p.prefix(i), seg)
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s is an array; %q is not an index", p.prefix(i), seg)
			}
			if n >= len(v) {
				return nil, fmt.Errorf("%s has %d elements, no index %d", p.prefix(i), len(v), n)
			}
			cur = v[n]
		default:
			return nil, fmt.Errorf("%s is %s, not an object or array", p.prefix(i), JSONType(cur))
		}
	}
	return cur, nil
}

// prefix names the first n segments for messages; the whole document is
// "the document".
func (p JSONPath) prefix(n int) string {
	if n == 0 {
		return "the document"
	}
	return strings.Join(p.segments[:n], ".")
}

// JSONType names the JSON type of a value decoded by encoding/json.
func JSONType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
