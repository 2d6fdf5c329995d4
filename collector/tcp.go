package collector

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

func init() { registerKind("tcp", newTCPCheck) }

const adviceTCPLatency = "Look for packet loss or congestion between this host and the service (mtr, ss -ti), and at the service's accept backlog and load."

// tcpCheck connects, optionally completes a TLS handshake, and closes.
type tcpCheck struct {
	address string
	tls     *tls.Config // nil without TLS
}

func newTCPCheck(c *config.Component, _ *slog.Logger) (Check, error) {
	t := &tcpCheck{address: c.TCP.Address}
	if c.TCP.TLS {
		cfg, err := promconfig.NewTLSConfig(&c.TCP.TLSConfig.TLSConfig)
		if err != nil {
			return nil, fmt.Errorf("tls_config: %w", err)
		}
		if cfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(c.TCP.Address)
			cfg.ServerName = host
		}
		t.tls = cfg
	}
	return t, nil
}

// Check implements Check.
func (t *tcpCheck) Check(ctx context.Context) ([]scoring.Reading, error) {
	var d net.Dialer
	start := time.Now()
	conn, err := d.DialContext(ctx, "tcp", t.address)
	if err != nil {
		// net's error names the operation and the address already.
		return nil, err
	}
	defer conn.Close()
	var state *tls.ConnectionState
	if t.tls != nil {
		tc := tls.Client(conn, t.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("TLS handshake with %s: %w", t.address, err)
		}
		s := tc.ConnectionState()
		state = &s
	}
	readings := []scoring.Reading{{
		Metric: config.MetricLatencySeconds, Value: time.Since(start).Seconds(), Unit: scoring.UnitSeconds, Advice: adviceTCPLatency,
	}}
	if r, ok := certExpiryReading(state, time.Now()); ok {
		readings = append(readings, r)
	}
	return readings, nil
}
