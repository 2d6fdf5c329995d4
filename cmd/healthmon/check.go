package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

// Exit codes of `healthmon check`, as scripts and Nagios-style callers
// expect.
const (
	exitHealthy  = 0 // excellent or good
	exitWarning  = 1
	exitCritical = 2 // critical, failing, or no judgement at all
)

// runCheck runs every check once and prints a table.
func runCheck(cfg *config.Config, out io.Writer, logger *slog.Logger) int {
	eval, err := collector.NewEvaluator(cfg, logger)
	if err != nil {
		fmt.Fprintf(out, "healthmon: %v\n", err)
		return exitCritical
	}
	ev := eval.Evaluate(context.Background())
	printReport(out, ev.Snapshot)
	return exitCode(ev.Snapshot.Status)
}

func exitCode(s scoring.Status) int {
	switch s {
	case scoring.StatusExcellent, scoring.StatusGood:
		return exitHealthy
	case scoring.StatusWarning:
		return exitWarning
	}
	return exitCritical
}

// printReport writes the snapshot as a table: one row per reading, then the
// issues and what to do about them.
func printReport(out io.Writer, snap scoring.Snapshot) {
	score := "n/a"
	if !math.IsNaN(snap.Score) {
		score = fmt.Sprintf("%.2f", snap.Score)
	}
	fmt.Fprintf(out, "Overall: %s (score %s, %d components, evaluated in %s)\n\n",
		strings.ToUpper(snap.Status.String()), score, len(snap.Components), snap.Duration.Round(10_000))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tSTATUS\tMETRIC\tVALUE\tWARNING\tCRITICAL\tMETRIC STATUS")
	for _, c := range snap.Components {
		first := true
		row := func(metric, value, warn, crit, status string) {
			name, st := "", ""
			if first {
				name, st = c.Name, c.Status.String()
				first = false
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, st, metric, value, warn, crit, status)
		}
		for _, r := range c.Readings {
			value := scoring.FormatValue(r.Value, r.Unit)
			if r.Error != "" {
				value = "error"
			} else if math.IsNaN(r.Value) {
				value = "n/a (no value yet)"
			}
			status := "-"
			if r.Judged() {
				status = r.Status.String()
			}
			row(r.ID(), value, level(r, scoring.StatusWarning), level(r, scoring.StatusCritical), status)
		}
		if first {
			row("-", "-", "-", "-", "-")
		}
	}
	_ = tw.Flush()

	var lines []string
	for _, c := range snap.Components {
		for i, issue := range c.Issues {
			lines = append(lines, "  - "+issue)
			if i < len(c.Recommendations) {
				lines = append(lines, "    -> "+c.Recommendations[i])
			}
		}
	}
	if len(lines) > 0 {
		fmt.Fprintf(out, "\nIssues:\n%s\n", strings.Join(lines, "\n"))
	}
}

func level(r scoring.Reading, s scoring.Status) string {
	v, ok := r.Thresholds.LevelOf(s)
	if !ok {
		return "-"
	}
	op := ">="
	if r.Thresholds.Direction == scoring.LowerIsWorse {
		op = "<="
	}
	return op + scoring.FormatValue(v, r.Unit)
}
