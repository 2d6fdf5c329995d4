package collector

import (
	"crypto/tls"
	"io"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/healthmon/healthmon/scoring"
)

// tcpServer accepts on 127.0.0.1 until the test ends. Each connection is
// handed to serve, which owns it.
func tcpServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		l.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				// Close the connection when the test ends, so that a
				// server that hangs does not outlive it.
				stop := make(chan struct{})
				defer close(stop)
				go func() {
					select {
					case <-done:
						conn.Close()
					case <-stop:
					}
				}()
				serve(conn)
			}()
		}
	}()
	return l.Addr().String()
}

// handshake completes a TLS handshake as a server, then waits for the peer
// to close.
func handshake(cert tls.Certificate) func(net.Conn) {
	return func(c net.Conn) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		if tc.Handshake() == nil {
			_, _ = io.Copy(io.Discard, tc)
		}
	}
}

func TestTCPCheck(t *testing.T) {
	now := time.Now()
	good, goodCA := genCert(t, now.Add(-time.Hour), now.Add(10*24*time.Hour))
	expired, expiredCA := genCert(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	plain := tcpServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	tlsGood := tcpServer(t, handshake(good))
	tlsExpired := tcpServer(t, handshake(expired))
	// silent accepts and never answers the TLS client hello.
	silent := tcpServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	refused := closedAddr(t)

	tests := []struct {
		name, block string
		err         string
		wantCert    float64 // days; 0: no certificate reading
		wantStatus  scoring.Status
	}{
		{name: "connect", block: "address: " + plain},
		{name: "connection refused", block: "address: " + refused, err: "dial tcp " + refused + ": connect: connection refused"},
		{name: "TLS", block: "address: " + tlsGood + "\n      tls: true\n      tls_config: {ca_file: " + goodCA + "}", wantCert: 10, wantStatus: scoring.StatusWarning},
		{name: "TLS by name", block: "address: " + strings.Replace(tlsGood, "127.0.0.1", "localhost", 1) + "\n      tls: true\n      tls_config: {ca_file: " + goodCA + "}", wantCert: 10},
		{name: "TLS self-signed", block: "address: " + tlsGood + "\n      tls: true", err: "TLS handshake with " + tlsGood + ": tls: failed to verify certificate: x509: certificate signed by unknown authority"},
		{name: "TLS expired", block: "address: " + tlsExpired + "\n      tls: true\n      tls_config: {ca_file: " + expiredCA + "}", err: "certificate has expired"},
		{name: "TLS expired, verification off", block: "address: " + tlsExpired + "\n      tls: true\n      tls_config: {insecure_skip_verify: true}", wantCert: -1, wantStatus: scoring.StatusCritical},
		{name: "TLS server hangs", block: "address: " + silent + "\n      tls: true", err: "TLS handshake with " + silent + ": context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const timeout = 500 * time.Millisecond
			c := loadComponent(t, "tcp", "    timeout: 500ms\n    tcp:\n      "+tt.block+"\n")
			start := time.Now()
			h, got, err := checkComponent(t, c)
			if elapsed := time.Since(start); elapsed > timeout+time.Second {
				t.Errorf("returned after %s, past its %s deadline plus a second", elapsed, timeout)
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				if h.Status != scoring.StatusFailing {
					t.Errorf("status %s, want failing", h.Status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r := got["latency_seconds"]; !(r.Value > 0) || !r.Thresholds.Defined() {
				t.Errorf("latency_seconds = %+v", r)
			}
			r, ok := got["certificate_expiry_seconds"]
			switch {
			case tt.wantCert == 0 && ok:
				t.Errorf("certificate reading without TLS: %+v", r)
			case tt.wantCert != 0 && (!ok || math.Abs(r.Value-tt.wantCert*86400) > 60):
				t.Errorf("certificate_expiry_seconds = %+v, want about %.0f days", r, tt.wantCert)
			}
			if tt.wantStatus.Known() && r.Status != tt.wantStatus {
				t.Errorf("certificate status %s, want %s", r.Status, tt.wantStatus)
			}
		})
	}
}
