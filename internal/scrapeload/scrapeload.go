// Package scrapeload scrapes a URL from many concurrent clients and
// measures the latencies, for the load tests and `make bench`.
package scrapeload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options describe one run.
type Options struct {
	// URL scraped.
	URL string
	// Concurrency is the number of clients scraping back to back.
	Concurrency int
	// Duration of the run; Requests, when set, stops it earlier.
	Duration time.Duration
	// Requests per client; 0 for no limit.
	Requests int
	// Client; one with a keep-alive connection per client when nil.
	Client *http.Client
	// MustContain is a string every answer's body must contain.
	MustContain string
	// Accept header; Prometheus' text format when empty.
	Accept string
}

// Result is what a run measured.
type Result struct {
	Requests  int
	Failures  int
	Bytes     int64
	Elapsed   time.Duration
	Latencies []time.Duration // sorted
	// Errors holds the first few distinct failures.
	Errors []string
}

// Percentile returns the latency below which a fraction p of requests fell.
func (r Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(p*float64(len(r.Latencies))+0.5) - 1
	i = max(0, min(i, len(r.Latencies)-1))
	return r.Latencies[i]
}

// PerSecond returns the requests per second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// String summarises the run.
func (r Result) String() string {
	return fmt.Sprintf("%d requests, %d failed, %.0f/s, p50 %s, p99 %s, max %s",
		r.Requests, r.Failures, r.PerSecond(), r.Percentile(0.50), r.Percentile(0.99), r.Percentile(1))
}

// Run scrapes until the duration has passed, every client has made its
// requests, or ctx is done.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.URL == "" || o.Concurrency < 1 {
		return Result{}, errors.New("scrapeload: a URL and a concurrency of at least 1 are required")
	}
	if o.Duration <= 0 && o.Requests <= 0 {
		return Result{}, errors.New("scrapeload: a duration or a number of requests is required")
	}
	if o.Accept == "" {
		o.Accept = "text/plain;version=0.0.4"
	}
	client := o.Client
	if client == nil {
		client = &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				MaxIdleConns:        o.Concurrency,
				MaxIdleConnsPerHost: o.Concurrency,
				IdleConnTimeout:     time.Minute,
				DisableCompression:  true,
			},
		}
		defer client.CloseIdleConnections()
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}

	type clientResult struct {
		lat      []time.Duration
		failures int
		bytes    int64
		errs     []string
	}
	results := make([]clientResult, o.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			for n := 0; o.Requests == 0 || n < o.Requests; n++ {
				if ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				size, err := scrape(ctx, client, o)
				if err != nil && ctx.Err() != nil {
					return // cut by the end of the run, not a failure
				}
				r.lat = append(r.lat, time.Since(t0))
				r.bytes += size
				if err != nil {
					r.failures++
					if len(r.errs) < 3 {
						r.errs = append(r.errs, err.Error())
					}
				}
			}
		}()
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start)}
	seen := map[string]bool{}
	for _, r := range results {
		res.Latencies = append(res.Latencies, r.lat...)
		res.Failures += r.failures
		res.Bytes += r.bytes
		for _, e := range r.errs {
			if !seen[e] && len(res.Errors) < 5 {
				seen[e] = true
				res.Errors = append(res.Errors, e)
			}
		}
	}
	res.Requests = len(res.Latencies)
	sort.Slice(res.Latencies, func(i, j int) bool { return res.Latencies[i] < res.Latencies[j] })
	return res, nil
}

func scrape(ctx context.Context, client *http.Client, o Options) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", o.Accept)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body strings.Builder
	n, err := io.Copy(&body, resp.Body)
	if err != nil {
		return n, fmt.Errorf("reading the body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("status %d: %.100s", resp.StatusCode, body.String())
	}
	if o.MustContain != "" && !strings.Contains(body.String(), o.MustContain) {
		return n, fmt.Errorf("the body lacks %q", o.MustContain)
	}
	return n, nil
}
