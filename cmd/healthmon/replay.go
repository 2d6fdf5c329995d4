package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/healthmon/healthmon/collector"
	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/prediction"
	"github.com/healthmon/healthmon/scoring"
)

// replayRow is one reading of a recorded series.
type replayRow struct {
	line      int
	at        time.Time
	component string
	metric    string
	resource  string
	value     float64
}

// The replay CSV's columns; resource is optional.
var (
	requiredColumns = []string{"timestamp", "component", "metric", "value"}
	optionalColumns = []string{"resource"}
)

// parseSeries reads a recorded series: a CSV whose header names the
// columns timestamp, component, metric and value (in any order) and
// optionally resource; timestamps are RFC 3339 or Unix seconds. Rows come
// back sorted by time, rows of one time in file order. Every error names
// its line.
func parseSeries(r io.Reader) ([]replayRow, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("line 1: empty input: want a header timestamp,component,metric,value")
	}
	if err != nil {
		return nil, csvError(err)
	}
	col := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\uFEFF")))
		known := false
		for _, c := range append(requiredColumns, optionalColumns...) {
			known = known || c == name
		}
		if !known {
			return nil, fmt.Errorf("line 1: unknown column %q in the header (want timestamp, component, metric, value and optionally resource)", name)
		}
		if _, dup := col[name]; dup {
			return nil, fmt.Errorf("line 1: column %q appears twice in the header", name)
		}
		col[name] = i
	}
	for _, c := range requiredColumns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("line 1: the header has no %q column (want timestamp,component,metric,value)", c)
		}
	}
	resourceCol, hasResource := col["resource"]
	var rows []replayRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		field := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
		row := replayRow{line: line, component: field("component"), metric: field("metric")}
		if hasResource {
			row.resource = strings.TrimSpace(rec[resourceCol])
		}
		if row.at, err = parseTimestamp(field("timestamp")); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if row.component == "" || row.metric == "" {
			return nil, fmt.Errorf("line %d: component and metric must not be empty", line)
		}
		v := field("value")
		row.value, err = strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(row.value, 0) {
			return nil, fmt.Errorf("line %d: value %q is not a finite number", line, v)
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].at.Before(rows[j].at) })
	return rows, nil
}

// csvError names the line of a CSV syntax error.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d: %w", pe.Line, pe.Err)
	}
	return err
}

// parseTimestamp reads RFC 3339 or Unix seconds (with a fraction).
func parseTimestamp(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1e11 && !math.IsNaN(f) {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("timestamp %q is neither RFC 3339 (2006-01-02T15:04:05Z) nor Unix seconds", s)
}

// replayLine is the JSON object written for each evaluation.
type replayLine struct {
	Timestamp       time.Time      `json:"timestamp"`
	OverallStatus   scoring.Status `json:"overall_status"`
	OverallScore    *float64       `json:"overall_score"`
	ScoreSlope      *float64       `json:"score_slope_per_second"`
	Warmup          bool           `json:"warmup"`
	PredictedIssues []replayIssue  `json:"predicted_issues"`
}

type replayIssue struct {
	Kind            string     `json:"kind"`
	Component       string     `json:"component"`
	Metric          string     `json:"metric"`
	Resource        string     `json:"resource,omitempty"`
	Level           string     `json:"level,omitempty"`
	BreachTimestamp *time.Time `json:"breach_timestamp,omitempty"`
	Message         string     `json:"message"`
}

func newReplayLine(ev *collector.Evaluation) replayLine {
	l := replayLine{Timestamp: ev.Snapshot.Time.UTC(), OverallStatus: ev.Snapshot.Status, PredictedIssues: []replayIssue{}, Warmup: true}
	if s := ev.Snapshot.Score; !math.IsNaN(s) {
		l.OverallScore = &s
	}
	if p := ev.Prediction; p != nil {
		l.Warmup = p.Warmup
		if s, ok := p.ScoreSlope(); ok {
			l.ScoreSlope = &s
		}
		for _, i := range p.Issues {
			ri := replayIssue{Kind: i.Kind, Component: i.Component, Metric: i.Metric, Resource: i.Resource, Level: i.Level, Message: i.Message}
			if i.BreachAt != nil {
				t := i.BreachAt.UTC().Round(time.Millisecond)
				ri.BreachTimestamp = &t
			}
			l.PredictedIssues = append(l.PredictedIssues, ri)
		}
	}
	return l
}

// unitOf guesses a reading's unit from its name's suffix, for messages.
func unitOf(metric string) string {
	switch {
	case strings.HasSuffix(metric, "_ratio"):
		return scoring.UnitRatio
	case strings.HasSuffix(metric, "_bytes"):
		return scoring.UnitBytes
	case strings.HasSuffix(metric, "_seconds"):
		return scoring.UnitSeconds
	}
	return scoring.UnitNone
}

// replayOptions are the inputs of `healthmon replay`.
type replayOptions struct {
	configFile string
	input      string
	// storage, when set, is restored before and saved after the replay.
	storage string
}

// runReplay feeds a recorded series through scoring, history and
// prediction on its own clock and writes one JSON object per evaluation.
func runReplay(o replayOptions, stdout, stderr io.Writer, logger *slog.Logger) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "healthmon replay: %v\n", err)
		return 1
	}
	cfg, err := config.Load(o.configFile)
	if err != nil {
		return fail(err)
	}
	in, err := os.Open(o.input)
	if err != nil {
		return fail(err)
	}
	rows, err := parseSeries(bufio.NewReader(in))
	in.Close()
	if err != nil {
		return fail(fmt.Errorf("%s: %w", o.input, err))
	}
	names := map[string]bool{}
	for _, c := range cfg.Components {
		names[c.Name] = true
	}
	for _, r := range rows {
		if !names[r.component] {
			known := make([]string, 0, len(names))
			for n := range names {
				known = append(known, n)
			}
			sort.Strings(known)
			return fail(fmt.Errorf("%s: line %d: component %q is not in %s (it has %s)", o.input, r.line, r.component, o.configFile, strings.Join(known, ", ")))
		}
	}
	// The JSON lines are the output: the evaluator's logs of status changes
	// (stamped with the wall clock) only at debug level.
	evalLogger := slog.New(slog.DiscardHandler)
	if logger.Enabled(context.Background(), slog.LevelDebug) {
		evalLogger = logger
	}
	eval, err := collector.NewEvaluator(cfg, evalLogger)
	if err != nil {
		return fail(err)
	}
	var store *prediction.Store
	if o.storage != "" {
		store = prediction.NewStore(o.storage, logger)
		if _, err := store.Restore(eval.History()); err != nil {
			logger.Warn("Replay starts with an empty history", "err", err)
		}
		if newest, ok := eval.History().Newest(); ok && len(rows) > 0 && !rows[0].at.After(newest) {
			return fail(fmt.Errorf("the history in %s ends at %s, not before the first reading at %s: replay a series that continues it, or use another --storage.path",
				o.storage, newest.UTC().Format(time.RFC3339), rows[0].at.UTC().Format(time.RFC3339)))
		}
	}
	if err := replay(eval, rows, stdout); err != nil {
		return fail(err)
	}
	if store != nil {
		if err := store.Save(eval.History()); err != nil {
			return fail(err)
		}
	}
	return 0
}

// replay evaluates at each distinct time of rows, with the latest value of
// every series seen so far, and writes a JSON line per evaluation.
func replay(eval *collector.Evaluator, rows []replayRow, out io.Writer) error {
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	current := map[string]map[prediction.SeriesKey]float64{}
	for i := 0; i < len(rows); {
		at := rows[i].at
		for ; i < len(rows) && rows[i].at.Equal(at); i++ {
			r := rows[i]
			if current[r.component] == nil {
				current[r.component] = map[prediction.SeriesKey]float64{}
			}
			current[r.component][prediction.SeriesKey{Component: r.component, Metric: r.metric, Resource: r.resource}] = r.value
		}
		readings := make(map[string][]scoring.Reading, len(current))
		for comp, series := range current {
			rs := make([]scoring.Reading, 0, len(series))
			for k, v := range series {
				rs = append(rs, scoring.Reading{Metric: k.Metric, Resource: k.Resource, Value: v, Unit: unitOf(k.Metric)})
			}
			sort.Slice(rs, func(a, b int) bool {
				if rs[a].Metric != rs[b].Metric {
					return rs[a].Metric < rs[b].Metric
				}
				return rs[a].Resource < rs[b].Resource
			})
			readings[comp] = rs
		}
		ev := eval.EvaluateAt(at, readings)
		if err := enc.Encode(newReplayLine(ev)); err != nil {
			return fmt.Errorf("writing the replay: %w", err)
		}
	}
	return w.Flush()
}
