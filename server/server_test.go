package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/scoring"
)

func do(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestEndpoints(t *testing.T) {
	var latest *collector.Evaluation
	reloadErr := errors.New("line 3: field global.interval: must be greater than zero")
	var failReload bool
	mux, err := NewMux(Options{
		TelemetryPath: "/metrics",
		Gatherer:      prometheus.NewRegistry(),
		Latest:        func() *collector.Evaluation { return latest },
		Reload: func(context.Context) error {
			if failReload {
				return reloadErr
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	// Before the first evaluation: alive, not ready, health unknown (503).
	if rec := do(t, mux, "GET", "/-/healthy"); rec.Code != 200 {
		t.Errorf("/-/healthy: %d", rec.Code)
	}
	if rec := do(t, mux, "GET", "/-/ready"); rec.Code != 503 {
		t.Errorf("/-/ready before the first evaluation: %d", rec.Code)
	}
	if rec := do(t, mux, "GET", "/api/v1/health"); rec.Code != 503 || !strings.Contains(rec.Body.String(), "no evaluation has completed yet") {
		t.Errorf("/api/v1/health before the first evaluation: %d %s", rec.Code, rec.Body)
	}

	for _, tt := range []struct {
		status scoring.Status
		code   int
	}{
		{scoring.StatusExcellent, 200}, {scoring.StatusGood, 200}, {scoring.StatusWarning, 200},
		{scoring.StatusCritical, 503}, {scoring.StatusFailing, 503},
	} {
		latest = &collector.Evaluation{Snapshot: scoring.Snapshot{Status: tt.status, Score: 0.5}}
		rec := do(t, mux, "GET", "/api/v1/health")
		if rec.Code != tt.code || !strings.Contains(rec.Body.String(), `"status": "`+tt.status.String()+`"`) {
			t.Errorf("%s: %d %s", tt.status, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
	}
	if rec := do(t, mux, "GET", "/-/ready"); rec.Code != 200 {
		t.Errorf("/-/ready after an evaluation: %d", rec.Code)
	}

	if rec := do(t, mux, "POST", "/-/reload"); rec.Code != 200 {
		t.Errorf("reload: %d %s", rec.Code, rec.Body)
	}
	failReload = true
	if rec := do(t, mux, "POST", "/-/reload"); rec.Code != 500 || !strings.Contains(rec.Body.String(), reloadErr.Error()) {
		t.Errorf("failed reload: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, mux, "GET", "/-/reload"); rec.Code != 405 || rec.Header().Get("Allow") != "POST" {
		t.Errorf("GET /-/reload: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	if rec := do(t, mux, "GET", "/"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "/api/v1/health") {
		t.Errorf("landing page: %d", rec.Code)
	}
	if rec := do(t, mux, "GET", "/metrics"); rec.Code != 200 {
		t.Errorf("/metrics: %d", rec.Code)
	}
}
