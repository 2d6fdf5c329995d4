package config

import (
	"errors"
	"net"
	"strconv"

	promconfig "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/healthmon/healthmon/scoring"
)

// TCPConfig configures a check of kind tcp: a connection to an address,
// optionally with a TLS handshake, judged by its latency and, with TLS, by
// the certificate's expiry.
type TCPConfig struct {
	// Address is host:port.
	Address string `yaml:"address"`
	// TLS makes the check a TLS handshake after the connect.
	TLS bool `yaml:"tls"`
	// TLSConfig holds prometheus/common's TLS settings (ca_file,
	// server_name, insecure_skip_verify, client certificates, ...); the
	// server name defaults to the address' host. Requires tls: true.
	TLSConfig TLSConfig `yaml:"tls_config"`
}

// tcpDefaults: a connect beyond a second on a healthy network means a
// retransmitted SYN (its first timeout is one second).
var tcpDefaults = map[string]*Threshold{
	MetricLatencySeconds:           th(scoring.HigherIsWorse, 0.1, 1, 3),
	MetricCertificateExpirySeconds: th(scoring.LowerIsWorse, 30*day, 14*day, 3*day),
}

func init() {
	registerKind("tcp", kindSpec{
		present:      func(c *Component) bool { return c.TCP != nil },
		prepare:      func(c *Component) error { return requireBlock(c.TCP != nil, "tcp") },
		defaults:     tcpDefaults,
		fixedMetrics: true,
	})
}

// UnmarshalYAML validates, naming the field and its line.
func (t *TCPConfig) UnmarshalYAML(node *yaml.Node) error {
	*t = TCPConfig{}
	type plain TCPConfig
	if err := node.Decode((*plain)(t)); err != nil {
		return err
	}
	if t.Address == "" {
		return fieldError(node, "address", "tcp.address", "is required (host:port)")
	}
	host, port, err := net.SplitHostPort(t.Address)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err)
		}
		return fieldError(node, "address", "tcp.address", "%q is not host:port: %v", t.Address, err)
	}
	if host == "" {
		return fieldError(node, "address", "tcp.address", "%q has no host", t.Address)
	}
	if n, err := strconv.Atoi(port); err == nil {
		if n < 1 || n > 65535 {
			return fieldError(node, "address", "tcp.address", "%q: port %d is not within 1..65535", t.Address, n)
		}
	} else if _, err := net.LookupPort("tcp", port); err != nil {
		return fieldError(node, "address", "tcp.address", "%q: port %q is neither a number nor a known service", t.Address, port)
	}
	if valueNode(node, "tls_config") != nil && !t.TLS {
		return fieldError(node, "tls_config", "tcp.tls_config", "given without tls: true")
	}
	return nil
}

// TLSConfig is prometheus/common's TLSConfig, validated with errors that
// name the line.
type TLSConfig struct {
	promconfig.TLSConfig `yaml:",inline"`
}

// UnmarshalYAML applies prometheus/common's validation.
func (c *TLSConfig) UnmarshalYAML(node *yaml.Node) error {
	c.TLSConfig = promconfig.TLSConfig{}
	if err := node.Decode(&c.TLSConfig); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return err
		}
		return lineError(node.Line, "tls_config", "%v", err)
	}
	return nil
}
