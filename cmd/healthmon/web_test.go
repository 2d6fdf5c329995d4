package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/healthmon/healthmon/internal/harness"
	"github.com/healthmon/healthmon/internal/testutil"
)

// testCert is a self-signed certificate for 127.0.0.1, made for one test.
type testCert struct {
	certFile, keyFile string
	cert              *x509.Certificate
	pool              *x509.CertPool
}

func newTestCert(t *testing.T) testCert {
	c := testutil.SelfSignedCert(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	return testCert{certFile: c.CertFile, keyFile: c.KeyFile, cert: c.X509, pool: c.Pool}
}

// basicAuth adds credentials to every request.
type basicAuth struct {
	user, password string
	next           http.RoundTripper
}

func (b basicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b.user, b.password)
	return b.next.RoundTrip(r)
}

func tlsClient(pool *x509.CertPool) *http.Client {
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
}

// TestTLS serves over TLS with a certificate made here, and checks a real
// handshake: a client trusting it gets the metrics over TLS from that very
// certificate; one that does not trust it, and a plain-HTTP client, get
// nothing.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	tc := newTestCert(t)
	webConfig := filepath.Join(dir, "web.yml")
	writeFile(t, webConfig, "tls_server_config:\n  cert_file: "+tc.certFile+"\n  key_file: "+tc.keyFile+"\n")
	p := harness.Start(t, harness.Options{
		Args:   []string{"--web.config.file=" + webConfig},
		Scheme: "https",
		Client: tlsClient(tc.pool),
	})

	resp, err := p.Client.Get(p.URL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics over TLS: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading /metrics over TLS: %v", err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "healthmon_overall_score") {
		t.Fatalf("GET /metrics over TLS = %d, body without healthmon_overall_score", resp.StatusCode)
	}
	if resp.TLS == nil || !resp.TLS.HandshakeComplete || len(resp.TLS.PeerCertificates) == 0 {
		t.Fatalf("no completed TLS handshake: %+v", resp.TLS)
	}
	if !resp.TLS.PeerCertificates[0].Equal(tc.cert) {
		t.Error("the server presented another certificate than the one configured")
	}

	untrusting := tlsClient(x509.NewCertPool())
	if _, err := untrusting.Get(p.URL + "/metrics"); err == nil {
		t.Error("a client that does not trust the certificate got an answer")
	} else if !errors.As(err, new(*tls.CertificateVerificationError)) {
		t.Errorf("a client that does not trust the certificate: %v, want a certificate verification error", err)
	}

	plain := &http.Client{Timeout: 10 * time.Second}
	if resp, err := plain.Get("http://" + p.Addr + "/metrics"); err == nil {
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP got the metrics from the TLS listener")
		}
	}
}

// TestBasicAuth protects every path with a bcrypt-hashed password (over
// TLS, as in production) and checks that each protected path answers 401
// without credentials and with a wrong password, and serves with the right
// ones.
func TestBasicAuth(t *testing.T) {
	dir := t.TempDir()
	tc := newTestCert(t)
	const user, password = "prometheus", "s3cret-scrape-password"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	writeFile(t, webConfig, "tls_server_config:\n  cert_file: "+tc.certFile+"\n  key_file: "+tc.keyFile+
		"\nbasic_auth_users:\n  "+user+": "+string(hash)+"\n")
	configFile := filepath.Join(dir, "healthmon.yml")
	writeFile(t, configFile, "components:\n  - {name: system, kind: system}\n")

	authed := tlsClient(tc.pool)
	authed.Transport = basicAuth{user: user, password: password, next: authed.Transport}
	p := harness.Start(t, harness.Options{
		Args:   []string{"--web.config.file=" + webConfig, "--config.file=" + configFile},
		Scheme: "https",
		Client: authed,
	})

	anonymous := tlsClient(tc.pool)
	wrong := tlsClient(tc.pool)
	wrong.Transport = basicAuth{user: user, password: "not-" + password, next: wrong.Transport}
	paths := []struct{ method, path string }{
		{http.MethodGet, "/metrics"},
		{http.MethodGet, "/api/v1/health"},
		{http.MethodGet, "/api/v1/summary?window=1h"},
		{http.MethodPost, "/-/reload"},
	}
	for _, pc := range paths {
		t.Run(pc.method+" "+pc.path, func(t *testing.T) {
			for _, c := range []struct {
				name   string
				client *http.Client
			}{{"no credentials", anonymous}, {"wrong password", wrong}} {
				req, _ := http.NewRequest(pc.method, p.URL+pc.path, nil)
				resp, err := c.client.Do(req)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s: %d, want 401", c.name, resp.StatusCode)
				}
				if c.name == "no credentials" && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
					t.Errorf("%s: WWW-Authenticate = %q, want a Basic challenge", c.name, resp.Header.Get("WWW-Authenticate"))
				}
			}
			code, body := p.Do(t, pc.method, pc.path)
			if code == http.StatusUnauthorized || code >= 500 && code != http.StatusServiceUnavailable {
				t.Errorf("with the right credentials: %d %s", code, body)
			}
		})
	}
	if logs := p.Logs(); strings.Contains(logs, password) || strings.Contains(logs, string(hash)) {
		t.Errorf("the log shows the password or its hash:\n%s", logs)
	}
}
