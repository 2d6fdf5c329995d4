package collector

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/version"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

func init() { registerKind("http", newHTTPCheck) }

const (
	adviceHTTPLatency = "Find where the time goes (curl -o /dev/null -w '%{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total}\\n' URL): the network, the TLS handshake or the server's own work; look at the server's load and logs."
	adviceHTTPStatus  = "Look at the server's logs for the failing request, and check the URL, method, body and credentials the check sends."
	adviceCertExpiry  = "Renew the certificate now, and find out why the automated renewal (certbot, cert-manager, the provider's) did not."
	adviceJSON        = "Look at what the service answers now (curl the URL) and whether its API or its state changed; adjust the assertion if the change is expected."
)

// httpCheck makes one request per check and judges the response.
type httpCheck struct {
	cfg    *config.HTTPConfig
	client *http.Client
	// target names the URL in messages, without credentials or query
	// (which may hold tokens).
	target string
	logger *slog.Logger
}

// userAgent is sent with every request a check makes.
func userAgent() string {
	v := version.Version
	if v == "" {
		v = "dev"
	}
	return "healthmon/" + v
}

func newHTTPCheck(c *config.Component, logger *slog.Logger) (Check, error) {
	h := c.HTTP
	client, err := newHTTPClient(h.HTTPClient.HTTPClientConfig, c.Name, h.MaxRedirects)
	if err != nil {
		return nil, err
	}
	return &httpCheck{cfg: h, client: client, target: redactURL(h.URL), logger: logger}, nil
}

// newHTTPClient builds a client from prometheus/common's settings, with no
// connection kept between checks (so every check measures a fresh connect
// and handshake) and at most maxRedirects redirects.
func newHTTPClient(cfg promconfig.HTTPClientConfig, name string, maxRedirects int) (*http.Client, error) {
	client, err := promconfig.NewClientFromConfig(cfg, name,
		promconfig.WithKeepAlivesDisabled(), promconfig.WithUserAgent(userAgent()))
	if err != nil {
		return nil, fmt.Errorf("http_client_config: %w", err)
	}
	follow := cfg.FollowRedirects && maxRedirects > 0
	client.CheckRedirect = func(_ *http.Request, via []*http.Request) error {
		if !follow {
			return http.ErrUseLastResponse
		}
		if len(via) > maxRedirects {
			return fmt.Errorf("stopped after %d redirects (max_redirects)", maxRedirects)
		}
		return nil
	}
	return client, nil
}

// redactURL keeps the scheme, host and path of a URL: user info and query
// may hold secrets.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// requestError describes a failed request without the URL's query, which
// net/http's errors repeat.
func requestError(method, target string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s %s: %w", method, target, err)
}

// errTooLarge is returned by readLimited for a body over its limit.
var errTooLarge = errors.New("too large")

// readLimited reads r up to limit bytes; a longer stream is errTooLarge
// after limit+1 bytes, so memory stays bounded whatever the peer sends.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return b[:limit], errTooLarge
	}
	return b, nil
}

// Check implements Check.
func (h *httpCheck) Check(ctx context.Context) ([]scoring.Reading, error) {
	var reqBody io.Reader
	if h.cfg.Body != "" {
		reqBody = strings.NewReader(h.cfg.Body)
	}
	req, err := http.NewRequestWithContext(ctx, h.cfg.Method, h.cfg.URL, reqBody)
	if err != nil {
		return nil, requestError(h.cfg.Method, h.target, err)
	}
	for k, v := range h.cfg.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, requestError(h.cfg.Method, h.target, err)
	}
	defer resp.Body.Close()
	body, readErr := readLimited(resp.Body, h.cfg.MaxBodyBytes)
	latency := time.Since(start).Seconds()

	status := scoring.Reading{Metric: config.MetricStatusCode, Value: float64(resp.StatusCode), Advice: adviceHTTPStatus}
	accepted := statusAccepted(resp.StatusCode, h.cfg.StatusCodes)
	if !accepted {
		status.Error = fmt.Sprintf("status %s is not accepted (want %s)", resp.Status, describeCodes(h.cfg.StatusCodes))
	}
	readings := []scoring.Reading{
		{Metric: config.MetricLatencySeconds, Value: latency, Unit: scoring.UnitSeconds, Advice: adviceHTTPLatency},
		status,
	}
	if r, ok := certExpiryReading(resp.TLS, time.Now()); ok {
		readings = append(readings, r)
	}
	switch {
	case errors.Is(readErr, errTooLarge):
		return readings, fmt.Errorf("%s %s: response body exceeds max_body_bytes (%d bytes); raise max_body_bytes or check a smaller resource", h.cfg.Method, h.target, h.cfg.MaxBodyBytes)
	case readErr != nil:
		return readings, fmt.Errorf("%s %s: reading the response body: %w", h.cfg.Method, h.target, readErr)
	}
	// The body of a refused status is rarely the document the assertions
	// describe: the status alone is the issue.
	if !accepted || len(h.cfg.JSON) == 0 {
		return readings, nil
	}
	doc, err := decodeJSON(body)
	if err != nil {
		return readings, fmt.Errorf("%s %s: response body is not valid JSON: %w", h.cfg.Method, h.target, err)
	}
	for _, a := range h.cfg.JSON {
		readings = append(readings, assertJSON(a, doc))
	}
	return readings, nil
}

// statusAccepted reports whether code is among codes, or is 2xx when no
// codes are configured.
func statusAccepted(code int, codes []int) bool {
	if len(codes) == 0 {
		return code >= 200 && code <= 299
	}
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}

func describeCodes(codes []int) string {
	if len(codes) == 0 {
		return "2xx"
	}
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ", ")
}

// certExpiryReading returns the seconds until the earliest expiry among the
// certificates the peer presented.
func certExpiryReading(state *tls.ConnectionState, now time.Time) (scoring.Reading, bool) {
	if state == nil || len(state.PeerCertificates) == 0 {
		return scoring.Reading{}, false
	}
	earliest := state.PeerCertificates[0].NotAfter
	for _, c := range state.PeerCertificates[1:] {
		if c.NotAfter.Before(earliest) {
			earliest = c.NotAfter
		}
	}
	return scoring.Reading{
		Metric: config.MetricCertificateExpirySeconds,
		Value:  earliest.Sub(now).Seconds(),
		Unit:   scoring.UnitSeconds,
		Advice: adviceCertExpiry,
	}, true
}

// decodeJSON parses a whole document; a syntax error names its offset.
func decodeJSON(b []byte) (any, error) {
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s at byte %d of %d", se.Error(), se.Offset, len(b))
		}
		return nil, err
	}
	return doc, nil
}

// assertJSON turns one assertion into a reading: the number itself for a
// reading, else 1 when it holds and 0 with the reason when it does not.
func assertJSON(a *config.JSONAssertion, doc any) scoring.Reading {
	v, err := a.Path.Lookup(doc)
	if a.Reading != "" {
		// No advice of its own: the generic one (what drives the figure,
		// or what stops it from being read) fits a figure best.
		r := scoring.Reading{Metric: a.Reading, Value: math.NaN()}
		switch n, ok := v.(float64); {
		case err != nil:
			r.Error = err.Error()
		case !ok:
			r.Error = fmt.Sprintf("%s is %s %s, not a number", a.Path, config.JSONType(v), shortJSON(v))
		default:
			r.Value = n
		}
		return r
	}
	r := scoring.Reading{Metric: config.MetricJSONAssertion, Resource: a.Path.String(), Value: 1, Advice: adviceJSON}
	switch {
	case err != nil:
		r.Error = err.Error()
	case a.Type != "" && config.JSONType(v) != a.Type:
		r.Error = fmt.Sprintf("%s is %s %s, want %s", a.Path, config.JSONType(v), shortJSON(v), a.Type)
	case a.HasEquals && !reflect.DeepEqual(v, a.Equals):
		r.Error = fmt.Sprintf("%s is %s, want %s", a.Path, shortJSON(v), shortJSON(a.Equals))
	}
	if r.Error != "" {
		r.Value = 0
	}
	return r
}

// shortJSON renders a value for a message, cut to a readable length.
func shortJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const max = 80
	if len(b) > max {
		return strings.ToValidUTF8(string(b[:max]), "") + "..."
	}
	return string(b)
}
