package config

import "testing"

func TestTCPConfig(t *testing.T) {
	cfg, err := Parse([]byte(`
components:
  - name: redis
    kind: tcp
    tcp:
      address: 127.0.0.1:6379
  - name: smtps
    kind: tcp
    tcp:
      address: mail.example.com:465
      tls: true
      tls_config: {server_name: mail.example.com}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Components[0].TCP; c.Address != "127.0.0.1:6379" || c.TLS {
		t.Errorf("redis: %+v", c)
	}
	if c := cfg.Components[1].TCP; !c.TLS || c.TLSConfig.ServerName != "mail.example.com" {
		t.Errorf("smtps: %+v", c)
	}
	lat, ok := cfg.Components[0].ThresholdsFor(MetricLatencySeconds, "")
	if !ok || *lat.Warning != 1 {
		t.Errorf("latency thresholds = %+v", lat)
	}
}

func TestTCPConfigInvalid(t *testing.T) {
	const head = "components:\n  - name: db\n    kind: tcp\n"
	runInvalid(t, []invalidCase{
		{"no block", head, "line 2: field components[db].tcp: a component of kind tcp needs a \"tcp\" block"},
		{"no address", head + "    tcp:\n      tls: true\n", "line 5: field tcp.address: is required"},
		{"no port", head + "    tcp:\n      address: db.example.com\n", "line 5: field tcp.address: \"db.example.com\" is not host:port: missing port in address"},
		{"no host", head + "    tcp:\n      address: \":5432\"\n", "line 5: field tcp.address: \":5432\" has no host"},
		{"port out of range", head + "    tcp:\n      address: db:70000\n", "line 5: field tcp.address: \"db:70000\": port 70000 is not within 1..65535"},
		{"tls_config without tls", head + "    tcp:\n      address: db:5432\n      tls_config: {insecure_skip_verify: true}\n", "line 6: field tcp.tls_config: given without tls: true"},
		{"tls_config conflict", head + "    tcp:\n      address: db:5432\n      tls: true\n      tls_config:\n        ca: x\n        ca_file: y\n",
			"line 8: field tls_config: at most one of ca, ca_file & ca_ref must be configured"},
		{"unknown metric", head + "    tcp:\n      address: db:5432\n    thresholds:\n      latency: {warning: 1}\n",
			"line 7: field components[db].thresholds.latency: unknown metric \"latency\" for kind tcp (known: certificate_expiry_seconds, latency_seconds)"},
		{"misspelled field", head + "    tcp:\n      adress: db:5432\n", "line 5: field components[db].tcp.adress: unknown field"},
	})
}
