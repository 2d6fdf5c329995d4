// Command healthmon judges the health of a host and the services it depends
// on, predicts trouble, and exposes it all to Prometheus.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/server"
)

// defaultListen is healthmon's default port.
const defaultListen = ":9891"

// flags are the command line, shared by every sub-command.
type flags struct {
	configFile    string
	configCheck   bool
	telemetryPath string
	maxRequests   int
	web           *web.FlagConfig
	log           *promslog.Config
	storagePath   string
}

func init() {
	// `go run` builds carry no version; the Makefile and Dockerfile set it.
	if version.Version == "" {
		version.Version = "dev"
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its exit code, so tests can drive it.
func run(args []string, stdout, stderr io.Writer) int {
	app := kingpin.New("healthmon", "Judges the health of a host and the services it depends on, predicts trouble, and exposes it to Prometheus.")
	app.UsageWriter(stderr)
	app.ErrorWriter(stderr)
	var f flags
	app.Flag("config.file", "Configuration file; the embedded default (this host's resources) when not given.").PlaceHolder("FILE").StringVar(&f.configFile)
	app.Flag("config.check", "Validate the configuration and exit: 0 and OK, or 1 and the error.").BoolVar(&f.configCheck)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&f.telemetryPath)
	app.Flag("web.max-requests", "Maximum number of concurrent scrapes of the metrics; more are answered 503. 0 for no limit.").Default("256").IntVar(&f.maxRequests)
	app.Flag("storage.path", "Directory where the history is saved and restored, so a restart loses no trend; empty disables.").Default("data/").StringVar(&f.storagePath)
	f.web = kingpinflag.AddFlags(app, defaultListen)
	f.log = &promslog.Config{}
	flag.AddFlags(app, f.log)
	app.Version(version.Print("healthmon"))
	app.HelpFlag.Short('h')

	serve := app.Command("serve", "Run the exporter (the default).").Default()
	check := app.Command("check", "Run every check once, print a table, and exit 0 (excellent, good), 1 (warning) or 2 (critical, failing).")
	replayCmd := app.Command("replay", "Feed recorded readings (CSV timestamp,component,metric,value) through scoring, history and prediction on their own clock; write one JSON object per evaluation.")
	var ro replayOptions
	replayCmd.Flag("config", "Configuration that names the components and their thresholds.").Required().PlaceHolder("FILE").StringVar(&ro.configFile)
	replayCmd.Flag("input", "Recorded series, CSV with a header timestamp,component,metric,value (and optionally resource).").Required().PlaceHolder("SERIES.csv").StringVar(&ro.input)
	storageSet := false
	app.GetFlag("storage.path").IsSetByUser(&storageSet)

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "healthmon: %v\n", err)
		return 2
	}
	f.log.Writer = stderr
	logger := promslog.New(f.log)

	if cmd == replayCmd.FullCommand() {
		// Replay touches the storage path only when asked to.
		if storageSet {
			ro.storage = f.storagePath
		}
		return runReplay(ro, stdout, stderr, logger)
	}

	cfg, err := loadConfig(f.configFile)
	if f.configCheck {
		if err != nil {
			fmt.Fprintf(stderr, "FAILED: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "OK: %s: %d components\n", configName(f.configFile), len(cfg.Components))
		return 0
	}
	if err != nil {
		logger.Error("Invalid configuration", "err", err)
		return 1
	}

	switch cmd {
	case check.FullCommand():
		return runCheck(cfg, stdout, logger)
	case serve.FullCommand():
		return runServe(f, cfg, logger)
	}
	return 2
}

func configName(path string) string {
	if path == "" {
		return "embedded default configuration"
	}
	return path
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		cfg, err := config.Default()
		if err != nil {
			return nil, fmt.Errorf("embedded default configuration: %w", err)
		}
		return cfg, nil
	}
	return config.Load(path)
}

// newGatherer returns what /metrics serves: the health families from one
// registry, the exporter's own go_* and process_* metrics from another, as
// node_exporter does.
func newGatherer(eval *collector.Evaluator, extra ...prometheus.Collector) prometheus.Gatherer {
	health := prometheus.NewRegistry()
	exporter := collector.NewExporter(eval.Latest)
	collector.AddPredictionFamilies(exporter)
	health.MustRegister(versioncollector.NewCollector("healthmon"), exporter)
	health.MustRegister(extra...)
	own := prometheus.NewRegistry()
	own.MustRegister(collectors.NewGoCollector(), collector.NewProcessCollector())
	return prometheus.Gatherers{own, health}
}

func runServe(f flags, cfg *config.Config, logger *slog.Logger) int {
	logger.Info("Starting healthmon", "version", version.Info(), "config", configName(f.configFile))
	logger.Info("Build context", "build_context", version.BuildContext())

	eval, err := collector.NewEvaluator(cfg, logger)
	if err != nil {
		logger.Error("Cannot build the checks", "err", err)
		return 1
	}
	reloader := newReloader(f.configFile, eval, logger)
	store := openStore(f.storagePath, eval, logger)

	mux, err := server.NewMux(server.Options{
		TelemetryPath: f.telemetryPath,
		Gatherer:      newGatherer(eval, append(storeCollectors(store), reloader)...),
		Latest:        eval.Latest,
		ExtendHealth:  server.ExtendHealthWithPredictions,
		Summary:       server.SummaryHandler(eval.History(), eval.PredictionSettings, nil),
		Reload:        reloader.Reload,
		Version:       version.Info(),
		Logger:        logger,

		MaxRequestsInFlight: f.maxRequests,
	})
	if err != nil {
		logger.Error("Cannot build the HTTP handlers", "err", err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = reloader.Reload(ctx)
			}
		}
	}()

	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		eval.Run(ctx)
	}()

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- web.ListenAndServe(srv, f.web, logger) }()

	code := 0
	select {
	case err := <-serveErr:
		logger.Error("HTTP server stopped", "err", err)
		code = 1
		stop()
	case <-ctx.Done():
		logger.Info("Shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	<-loopDone
	saveHistory(store, eval, logger)
	return code
}
