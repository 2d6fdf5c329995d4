package main

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/healthmon/healthmon/internal/harness"
)

// Distinct secrets, one per place a configuration can hold one.
const (
	secretBasic     = "Sb4sic-pass-0f3a9"
	secretBearer    = "Sb3arer-token-71c2e"
	secretExecArg   = "Sexec-arg-5d8b1"
	secretExecEnv   = "Sexec-env-a94c7"
	secretRayToken  = "Sray-token-c03f6"
	secretPromQL    = "Spromql-pass-8e21d"
	secretDeadBasic = "Sdead-pass-2b7e4"
)

var allSecrets = []string{secretBasic, secretBearer, secretExecArg, secretExecEnv, secretRayToken, secretPromQL, secretDeadBasic}

// secretsConfig uses every secret: against servers that accept only the
// right one and a plugin that checks the hash of what it got (so those
// checks pass only if the secrets really arrive), and against closed ports
// and a missing program (so the error paths run too).
func secretsConfig(api, closed string) string {
	return fmt.Sprintf(`global: {interval: 500ms, timeout: 3s}
components:
  - name: api_basic
    kind: http
    http:
      url: %[1]s/basic
      http_client_config:
        basic_auth: {username: monitor, password: %[3]s}
  - name: api_bearer
    kind: http
    http:
      url: %[1]s/bearer
      http_client_config:
        authorization: {type: Bearer, credentials: %[4]s}
  - name: api_dead
    kind: http
    http:
      url: %[2]s/
      http_client_config:
        basic_auth: {username: monitor, password: %[9]s}
  - name: plugin
    kind: exec
    exec:
      command: [/bin/sh, -c, 'test "$(printf %%s "$1$DB_PASS" | sha256sum)" = "%[10]s  -" && echo "OK - secrets arrived | ok=1"', sh, {secret: %[5]s}]
      secret_env: {DB_PASS: %[6]s}
  - name: plugin_missing
    kind: exec
    exec:
      command: [/nonexistent/check_thing, --password, {secret: %[5]s}]
      secret_env: {DB_PASS: %[6]s}
  - name: ray_cluster
    kind: ray
    ray:
      address: %[2]s
      http_client_config:
        authorization: {credentials: %[7]s}
  - name: prom_query
    kind: promql
    promql:
      url: %[2]s
      query: up
      http_client_config:
        basic_auth: {username: monitor, password: %[8]s}
`, api, closed, secretBasic, secretBearer, secretExecArg, secretExecEnv, secretRayToken, secretPromQL, secretDeadBasic,
		fmt.Sprintf("%x", sha256.Sum256([]byte(secretExecArg+secretExecEnv))))
}

// leaks returns the secrets that text shows.
func leaks(text string) []string {
	var out []string
	for _, s := range allSecrets {
		if strings.Contains(text, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestSecretsNeverShow runs the binary at debug level with a secret in every
// place a configuration can hold one, checks that the secrets are used (the
// servers that demand them are satisfied, the plugin receives them), and
// that none shows in the log, /metrics, /api/v1/*, the reload answers (a
// good and a refused reload), `healthmon check` or --config.check.
func TestSecretsNeverShow(t *testing.T) {
	var basicOK, bearerOK atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/basic":
			if u, p, ok := r.BasicAuth(); ok && u == "monitor" && p == secretBasic {
				basicOK.Add(1)
				return
			}
		case "/bearer":
			if r.Header.Get("Authorization") == "Bearer "+secretBearer {
				bearerOK.Add(1)
				return
			}
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	}))
	defer api.Close()
	closed := "http://" + harness.FreeAddr(t)

	dir := t.TempDir()
	cfg := filepath.Join(dir, "healthmon.yml")
	writeFile(t, cfg, secretsConfig(api.URL, closed))
	p := harness.Start(t, harness.Options{Args: []string{"--config.file=" + cfg, "--log.level=debug"}})
	// Several evaluations, so that every path (and every error) has run.
	first := lastEvaluation(t, p)
	harness.Eventually(t, 30*time.Second, "evaluations after the first", func() bool {
		return lastEvaluation(t, p) > first+1
	})

	mfs := p.Metrics(t)
	for component, want := range map[string]float64{"api_basic": 1, "api_bearer": 1, "plugin": 1, "api_dead": 0, "plugin_missing": 0, "ray_cluster": 0, "prom_query": 0} {
		if v, ok := harness.Value(mfs, "healthmon_check_success", "component", component); !ok || v != want {
			t.Errorf("healthmon_check_success{component=%q} = %v (present %v), want %v", component, v, ok, want)
		}
	}
	if basicOK.Load() == 0 || bearerOK.Load() == 0 {
		t.Errorf("the secrets were not sent: basic auth accepted %d times, bearer %d times", basicOK.Load(), bearerOK.Load())
	}

	surfaces := map[string]string{}
	for _, path := range []string{"/metrics", "/api/v1/health", "/api/v1/summary?window=1h", "/"} {
		_, body := p.Get(t, path)
		surfaces["GET "+path] = body
	}
	code, body := p.Do(t, http.MethodPost, "/-/reload")
	if code != http.StatusOK {
		t.Errorf("reload of the same file: %d %s", code, body)
	}
	surfaces["POST /-/reload (good)"] = body
	// A refused reload whose broken component holds secrets.
	writeFile(t, cfg, secretsConfig(api.URL, closed)+`  - name: broken
    kind: http
    http:
      url: "not a url"
      http_client_config:
        basic_auth: {username: monitor, password: `+secretBasic+`}
`)
	code, body = p.Do(t, http.MethodPost, "/-/reload")
	if code != http.StatusInternalServerError {
		t.Errorf("reload of a broken file: %d %s", code, body)
	}
	surfaces["POST /-/reload (refused)"] = body

	bin := harness.Binary(t)
	out, _ := exec.Command(bin, "--config.file="+cfg, "--config.check").CombinedOutput()
	surfaces["--config.check (refused)"] = string(out)
	writeFile(t, cfg, secretsConfig(api.URL, closed))
	out, _ = exec.Command(bin, "--config.file="+cfg, "--config.check").CombinedOutput()
	surfaces["--config.check"] = string(out)
	out, _ = exec.Command(bin, "check", "--config.file="+cfg, "--log.level=debug").CombinedOutput()
	surfaces["healthmon check"] = string(out)
	if !strings.Contains(string(out), "plugin_missing") {
		t.Errorf("healthmon check did not run the configuration:\n%s", out)
	}

	p.Stop(t)
	surfaces["log (debug)"] = p.Logs()
	for where, text := range surfaces {
		if l := leaks(text); len(l) > 0 {
			t.Errorf("%s shows the secrets %v:\n%.3000s", where, l, text)
		}
	}
	if !strings.Contains(p.Logs(), "level=DEBUG") {
		t.Error("the log has no debug lines: the test did not look where secrets would leak")
	}
}
