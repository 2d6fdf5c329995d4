package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/healthmon/healthmon/scoring"
)

// parseErr parses doc and returns its error text, failing the test if the
// document was accepted.
func parseErr(t *testing.T, doc string) string {
	t.Helper()
	_, err := Parse([]byte(doc))
	if err == nil {
		t.Fatalf("accepted:\n%s", doc)
	}
	return err.Error()
}

// invalidCase is one refused configuration and a part of its error.
type invalidCase struct {
	name, yaml, want string
}

func runInvalid(t *testing.T, tests []invalidCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErr(t, tt.yaml)
			if !strings.Contains(got, tt.want) {
				t.Fatalf("error:\n  %s\nwant it to contain:\n  %s", got, tt.want)
			}
			if strings.Contains(got, "config.plain") || strings.Contains(got, "hunter2") {
				t.Errorf("error leaks Go type names or a secret: %s", got)
			}
		})
	}
}

func TestHTTPConfigDefaults(t *testing.T) {
	cfg, err := Parse([]byte(`
components:
  - name: api
    kind: http
    http:
      url: https://example.com/info
      json:
        - path: universe
          type: array
        - path: data.status
          equals: ok
        - path: items.0.price
          reading: price
        - path: 'a\.b.c'
          equals: {n: 1, list: [1, "x"]}
    thresholds:
      price: {direction: lower_is_worse, warning: 10, critical: 5}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Components[0]
	h := c.HTTP
	if h.Method != "GET" || h.MaxBodyBytes != 1<<20 || h.MaxRedirects != 5 || len(h.StatusCodes) != 0 {
		t.Errorf("defaults: %+v", h)
	}
	if !h.HTTPClient.FollowRedirects || !h.HTTPClient.EnableHTTP2 {
		t.Errorf("prometheus/common's client defaults not applied: %+v", h.HTTPClient)
	}
	if got := h.JSON[3].Path.Segments(); len(got) != 2 || got[0] != "a.b" || got[1] != "c" {
		t.Errorf("escaped path segments = %q", got)
	}
	if eq, ok := h.JSON[3].Equals.(map[string]any); !ok || eq["n"] != 1.0 || !h.JSON[3].HasEquals {
		t.Errorf("equals not normalised to JSON: %#v", h.JSON[3].Equals)
	}
	lat, ok := c.ThresholdsFor(MetricLatencySeconds, "")
	if !ok || *lat.Warning != 1 || *lat.Critical != 3 {
		t.Errorf("latency thresholds = %+v", lat)
	}
	cert, _ := c.ThresholdsFor(MetricCertificateExpirySeconds, "")
	if cert.Direction != scoring.LowerIsWorse || *cert.Warning != 14*day || *cert.Critical != 3*day {
		t.Errorf("certificate thresholds = %+v", cert)
	}
	price, ok := c.ThresholdsFor("price", "")
	if !ok || price.Direction != scoring.LowerIsWorse || *price.Critical != 5 {
		t.Errorf("price thresholds = %+v", price)
	}
}

func TestHTTPClientConfigEmptyKeepsDefaults(t *testing.T) {
	cfg, err := Parse([]byte("components:\n  - name: a\n    kind: http\n    http:\n      url: http://h/\n      http_client_config:\n"))
	if err != nil {
		t.Fatal(err)
	}
	if hc := cfg.Components[0].HTTP.HTTPClient; !hc.FollowRedirects || !hc.EnableHTTP2 {
		t.Errorf("an empty http_client_config lost the defaults: %+v", hc)
	}
}

func TestHTTPClientConfigSecrets(t *testing.T) {
	cfg, err := Parse([]byte(`
components:
  - name: api
    kind: http
    http:
      url: http://127.0.0.1:1/
      http_client_config:
        basic_auth: {username: u, password: hunter2}
        follow_redirects: false
`))
	if err != nil {
		t.Fatal(err)
	}
	hc := cfg.Components[0].HTTP.HTTPClient
	if hc.BasicAuth == nil || string(hc.BasicAuth.Password) != "hunter2" || hc.FollowRedirects {
		t.Errorf("client config = %+v", hc)
	}
	if s := hc.String(); strings.Contains(s, "hunter2") {
		t.Errorf("the client config's text shows the password: %s", s)
	}
}

func TestJSONPath(t *testing.T) {
	doc := map[string]any{
		"data":  map[string]any{"universe": []any{map[string]any{"name": "BTC"}}, "0": "zero"},
		"a.b":   1.0,
		"items": []any{},
	}
	tests := []struct {
		path, want, err string
	}{
		{path: "data.universe.0.name", want: "BTC"},
		{path: "data.0", want: "zero"},
		{path: `a\.b`, want: "1"},
		{path: "data.nope", err: `data: no key "nope"`},
		{path: "items.0", err: "items has 0 elements, no index 0"},
		{path: "items.x", err: `items is an array; "x" is not an index`},
		{path: "a\\.b.c", err: "a.b is number, not an object or array"},
		{path: "nope", err: `the document: no key "nope"`},
	}
	for _, tt := range tests {
		p, err := ParseJSONPath(tt.path)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		v, err := p.Lookup(doc)
		switch {
		case tt.err != "":
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: error %v, want %q", tt.path, err, tt.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.path, err)
		case fmt.Sprint(v) != tt.want:
			t.Errorf("%s = %v, want %s", tt.path, v, tt.want)
		}
	}
	for _, bad := range []string{"", "a..b", ".a", "a.", `a\b`, `a\`} {
		if _, err := ParseJSONPath(bad); err == nil {
			t.Errorf("path %q accepted", bad)
		}
	}
}

func TestHTTPConfigInvalid(t *testing.T) {
	const head = "components:\n  - name: api\n    kind: http\n"
	runInvalid(t, []invalidCase{
		{"no block", head, "line 2: field components[api].http: a component of kind http needs a \"http\" block"},
		{"no url", head + "    http:\n      method: GET\n", "line 5: field http.url: is required"},
		{"relative url", head + "    http:\n      url: /health\n", "line 5: field http.url: \"/health\" must be an http:// or https:// URL with a host"},
		{"ftp url", head + "    http:\n      url: ftp://host/x\n", "line 5: field http.url: \"ftp://host/x\" must be an http:// or https:// URL"},
		{"password in a bad url is not echoed", head + "    http:\n      url: \"file://u:hunter2@host/x\"\n", "line 5: field http.url: \"file://u:xxxxx@host/x\""},
		{"lower-case method", head + "    http:\n      url: http://h/\n      method: get\n", "line 6: field http.method: \"get\" is not an HTTP method"},
		{"bad header name", head + "    http:\n      url: http://h/\n      headers: {\"a b\": c}\n", "line 6: field http.headers: \"a b\" is not a valid header name"},
		{"status code out of range", head + "    http:\n      url: http://h/\n      status_codes: [200, 700]\n", "line 6: field http.status_codes: 700 is not an HTTP status code"},
		{"zero body limit", head + "    http:\n      url: http://h/\n      max_body_bytes: 0\n", "line 6: field http.max_body_bytes: must be at least 1, got 0"},
		{"negative redirects", head + "    http:\n      url: http://h/\n      max_redirects: -1\n", "line 6: field http.max_redirects: must not be negative"},
		{"misspelled field", head + "    http:\n      url: http://h/\n      metod: POST\n", "line 6: field components[api].http.metod: unknown field \"metod\""},
		{"assertion without path", head + "    http:\n      url: http://h/\n      json:\n        - equals: 1\n", "line 7: field json.path: is required"},
		{"bad path", head + "    http:\n      url: http://h/\n      json:\n        - path: a..b\n", "line 7: field path: path \"a..b\" has an empty key"},
		{"bad type", head + "    http:\n      url: http://h/\n      json:\n        - path: a\n          type: list\n", "line 8: field json.type: unknown type \"list\""},
		{"reading and equals", head + "    http:\n      url: http://h/\n      json:\n        - path: a\n          reading: a\n          equals: 1\n", "line 8: field json.reading: reading and equals exclude each other"},
		{"bad reading name", head + "    http:\n      url: http://h/\n      json:\n        - path: a\n          reading: a-b\n", "line 8: field json.reading: \"a-b\" must match"},
		{"reading of the kind", head + "    http:\n      url: http://h/\n      json:\n        - path: a\n          reading: latency_seconds\n", "line 7: field http.json[0].reading: \"latency_seconds\" is a metric of the http kind itself"},
		{"reading twice", head + "    http:\n      url: http://h/\n      json:\n        - {path: a, reading: x}\n        - {path: b, reading: x}\n", "line 8: field http.json[1].reading: reading \"x\" is given twice"},
		{"path twice", head + "    http:\n      url: http://h/\n      json:\n        - {path: a, type: array}\n        - {path: a, equals: []}\n", "line 8: field http.json[1].path: path \"a\" is asserted twice"},
		{"client config conflict", head + "    http:\n      url: http://h/\n      http_client_config:\n        bearer_token: hunter2\n        basic_auth: {username: u, password: hunter2}\n",
			"line 7: field http_client_config: at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"},
		{"client config unknown field", head + "    http:\n      url: http://h/\n      http_client_config:\n        tls_config: {insecure: true}\n",
			"line 7: field components[api].http.http_client_config.tls_config.insecure: unknown field"},
		{"threshold for no reading", head + "    http:\n      url: http://h/\n      json: [{path: a, reading: price}]\n    thresholds:\n      latency_second: {warning: 1}\n",
			"line 5: field components[api].http: thresholds.latency_second: no reading of this component is called \"latency_second\" (its readings: certificate_expiry_seconds, json_assertion, latency_seconds, price, status_code)"},
		{"threshold order", head + "    http:\n      url: http://h/\n    thresholds:\n      certificate_expiry_seconds: {warning: 100000}\n",
			"line 7: field components[api].thresholds.certificate_expiry_seconds: critical (259200) must be below warning (100000) for a lower_is_worse reading"},
	})
}

// FuzzJSONPath: any accepted path has keys, escaping its keys again gives
// the same keys, and a lookup never panics.
func FuzzJSONPath(f *testing.F) {
	for _, s := range []string{"a", "a.b", `a\.b`, `a\\.b`, "items.0.price", "a..b", `\`, "", ".", "0.-1.x"} {
		f.Add(s)
	}
	doc := map[string]any{"a": map[string]any{"b": []any{1.0, "x"}}, "items": []any{map[string]any{"price": 2.0}}, "a.b": nil}
	escape := strings.NewReplacer(`\`, `\\`, ".", `\.`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseJSONPath(s)
		if err != nil {
			return
		}
		segs := p.Segments()
		if len(segs) == 0 || p.String() != s {
			t.Fatalf("%q: segments %q, string %q", s, segs, p.String())
		}
		esc := make([]string, len(segs))
		for i, seg := range segs {
			if seg == "" {
				t.Fatalf("%q: empty key in %q", s, segs)
			}
			esc[i] = escape.Replace(seg)
		}
		q, err := ParseJSONPath(strings.Join(esc, "."))
		if err != nil || strings.Join(q.Segments(), "\x00") != strings.Join(segs, "\x00") {
			t.Fatalf("%q: re-escaped %q gives %q, %v", s, strings.Join(esc, "."), q.Segments(), err)
		}
		_, _ = p.Lookup(doc)
	})
}
