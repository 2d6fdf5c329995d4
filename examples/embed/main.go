// Command embed shows a Go program that embeds healthmon: it builds the
// evaluator from a configuration, registers a check written in Go next to
// the configured ones, and serves /metrics and /api/v1/health.
//
//	go run ./examples/embed                          # serve on 127.0.0.1:9892
//	go run ./examples/embed -once                    # evaluate once, print the metrics, exit
//	go run ./examples/embed -config.file my.yml      # other configured components
//
// The Go check ("app") judges this program itself: its goroutines and the
// age of the last job its worker finished. A Go check has the timeout and
// panic isolation of the built-in kinds: if it hangs past its timeout or
// panics, its component is failing with the reason and the others go on.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
	"github.com/healthmon/healthmon/server"
)

// defaultConfig is used without -config.file: this host's resources.
const defaultConfig = `
global:
  interval: 15s
  timeout: 5s
components:
  - name: system
    kind: system
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil))
}

// run is main with its exit code and its context, so a test can drive it.
// ready, when not nil, receives the address served once it listens.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) int {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config.file", "", "healthmon configuration file (default: this host's resources)")
	listen := fs.String("listen", "127.0.0.1:9892", "address to serve /metrics and /api/v1/health on")
	once := fs.Bool("once", false, "evaluate once, print the metrics in the text format and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	cfg, err := loadConfig(*configFile)
	if err != nil {
		fmt.Fprintln(stderr, "embed:", err)
		return 1
	}
	eval, err := collector.NewEvaluator(cfg, logger)
	if err != nil {
		fmt.Fprintln(stderr, "embed:", err)
		return 1
	}

	// The program's own work, which the Go check judges.
	w := startWorker(ctx)
	if err := eval.Register("app", 2*time.Second, collector.CheckFunc(w.check)); err != nil {
		fmt.Fprintln(stderr, "embed:", err)
		return 1
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collector.NewExporter(eval.Latest))

	if *once {
		ev := eval.Evaluate(ctx)
		if err := writeMetrics(stdout, reg); err != nil {
			fmt.Fprintln(stderr, "embed:", err)
			return 1
		}
		fmt.Fprintf(stdout, "# overall status %s, score %.2f\n", ev.Snapshot.Status, ev.Snapshot.Score)
		return 0
	}

	mux, err := server.NewMux(server.Options{TelemetryPath: "/metrics", Gatherer: reg, Latest: eval.Latest, Logger: logger})
	if err != nil {
		fmt.Fprintln(stderr, "embed:", err)
		return 1
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "embed:", err)
		return 1
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go eval.Run(ctx)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	logger.Info("serving", "address", ln.Addr().String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "embed:", err)
		return 1
	}
	return 0
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Parse([]byte(defaultConfig))
	}
	return config.Load(path)
}

func writeMetrics(w io.Writer, g prometheus.Gatherer) error {
	mfs, err := g.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}

// worker stands for the program's real work: it finishes a job every
// 100 ms and records when.
type worker struct {
	lastDone atomic.Int64 // Unix nanoseconds of the last finished job
}

func startWorker(ctx context.Context) *worker {
	w := &worker{}
	w.lastDone.Store(time.Now().UnixNano())
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				w.lastDone.Store(now.UnixNano())
			}
		}
	}()
	return w
}

// check is the Go check: a function of a context that returns readings
// with their thresholds, or an error when it cannot judge at all.
func (w *worker) check(ctx context.Context) ([]scoring.Reading, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	age := time.Since(time.Unix(0, w.lastDone.Load())).Seconds()
	return []scoring.Reading{
		{
			Metric: "last_job_age_seconds", Value: age, Unit: scoring.UnitSeconds,
			Thresholds: scoring.Thresholds{Excellent: scoring.Level(1), Warning: scoring.Level(30), Critical: scoring.Level(120)},
			Advice:     "The worker has stopped finishing jobs: look at its logs and at what it waits on.",
		},
		{
			Metric: "goroutines", Value: float64(runtime.NumGoroutine()),
			Thresholds: scoring.Thresholds{Warning: scoring.Level(10000), Critical: scoring.Level(100000)},
			Advice:     "Goroutines are piling up: take a goroutine profile (/debug/pprof/goroutine) and look for a leak.",
		},
	}, nil
}
