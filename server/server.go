package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/healthmon/healthmon/collector"
)

// Options wires the HTTP endpoints to the rest of healthmon.
type Options struct {
	// TelemetryPath is where /metrics is served.
	TelemetryPath string
	// Gatherer is what /metrics serves.
	Gatherer prometheus.Gatherer
	// Latest returns the last evaluation, nil before the first.
	Latest func() *collector.Evaluation
	// ExtendHealth adds later stages' data (predictions) to the health view.
	ExtendHealth func(*collector.Evaluation, *HealthView)
	// Summary serves /api/v1/summary when set.
	Summary http.Handler
	// Reload reloads the configuration; nil disables /-/reload.
	Reload func(ctx context.Context) error
	// Version is shown on the landing page.
	Version string
	Logger  *slog.Logger
	// MaxRequestsInFlight bounds concurrent scrapes of TelemetryPath; more
	// are answered 503. 0 means no limit.
	MaxRequestsInFlight int
}

// NewMux builds the handler of every endpoint.
func NewMux(o Options) (*http.ServeMux, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.Handle(o.TelemetryPath, promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(o.Logger.Handler(), slog.LevelError),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: o.MaxRequestsInFlight,
		EnableOpenMetrics:   true,
	}))
	mux.Handle("GET /api/v1/health", HealthHandler(o.Latest, o.ExtendHealth))
	if o.Summary != nil {
		mux.Handle("GET /api/v1/summary", o.Summary)
	}
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "Healthy")
	})
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if o.Latest() == nil {
			http.Error(w, "Not ready: no evaluation has completed yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	if o.Reload != nil {
		mux.HandleFunc("POST /-/reload", func(w http.ResponseWriter, r *http.Request) {
			if err := o.Reload(r.Context()); err != nil {
				http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
				return
			}
			fmt.Fprintln(w, "Reloaded")
		})
		// Without this, a GET would fall through to the landing page's 404.
		mux.HandleFunc("/-/reload", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "Only POST reloads the configuration.", http.StatusMethodNotAllowed)
		})
	}
	if o.TelemetryPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "healthmon",
			Description: "Judges the health of this host and the services it depends on, predicts trouble, and speaks Prometheus.",
			Version:     o.Version,
			Links: []web.LandingLinks{
				{Address: o.TelemetryPath, Text: "Metrics"},
				{Address: "/api/v1/health", Text: "Health", Description: "the current snapshot as JSON; 503 when critical or failing"},
				{Address: "/api/v1/summary?window=1h", Text: "Summary", Description: "score and status over a window"},
				{Address: "/-/healthy", Text: "Healthy"},
				{Address: "/-/ready", Text: "Ready"},
			},
		})
		if err != nil {
			return nil, fmt.Errorf("landing page: %w", err)
		}
		mux.Handle("/", landing)
	}
	return mux, nil
}
