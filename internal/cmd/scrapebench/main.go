// Command scrapebench scrapes a metrics URL from concurrent clients and
// prints one line of figures, for scripts/bench.sh:
//
//	go run ./internal/cmd/scrapebench -url http://127.0.0.1:9891/metrics -c 50 -d 10s
//
// prints requests=... failures=... rps=... p50_ms=... p99_ms=... max_ms=... bytes_per_scrape=...
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/healthmon/healthmon/internal/scrapeload"
)

func main() {
	url := flag.String("url", "", "URL to scrape")
	clients := flag.Int("c", 1, "concurrent clients, each scraping back to back")
	duration := flag.Duration("d", 10*time.Second, "how long to scrape")
	contains := flag.String("contains", "", "a string every answer must contain")
	flag.Parse()
	res, err := scrapeload.Run(context.Background(), scrapeload.Options{
		URL: *url, Concurrency: *clients, Duration: *duration, MustContain: *contains,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "scrapebench:", err)
		os.Exit(2)
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }
	perScrape := int64(0)
	if res.Requests > 0 {
		perScrape = res.Bytes / int64(res.Requests)
	}
	fmt.Printf("requests=%d failures=%d rps=%.1f p50_ms=%s p99_ms=%s max_ms=%s bytes_per_scrape=%d\n",
		res.Requests, res.Failures, res.PerSecond(), ms(res.Percentile(0.5)), ms(res.Percentile(0.99)), ms(res.Percentile(1)), perScrape)
	if res.Failures > 0 {
		fmt.Fprintf(os.Stderr, "scrapebench: %d failures, e.g. %q\n", res.Failures, res.Errors)
		os.Exit(1)
	}
}
