package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/healthmon/healthmon/scoring"
)

// replayConfig judges one host with the system kind's default thresholds:
// memory 0.60/0.80/0.95, CPU 0.50/0.85/0.95, load per core 0.70/1.50/3.00.
const replayConfig = `global:
  interval: 60s
components:
  - name: host
    kind: system
`

var replayStart = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// point is one evaluation's readings of the generated host.
type point struct {
	mem, cpu, load float64
}

// writeSeries writes a CSV of one point a minute, alternating the
// timestamp forms (RFC 3339 and Unix seconds) to exercise both.
func writeSeries(t *testing.T, points []point, from int) string {
	t.Helper()
	return writeSeriesEvery(t, points, from, time.Minute)
}

// writeSeriesEvery writes one point every step.
func writeSeriesEvery(t *testing.T, points []point, from int, step time.Duration) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("timestamp,component,metric,value\n")
	for i, p := range points {
		at := replayStart.Add(time.Duration(from+i) * step)
		ts := at.Format(time.RFC3339)
		if i%2 == 1 {
			ts = fmt.Sprint(at.Unix())
		}
		fmt.Fprintf(&b, "%s,host,memory_used_ratio,%.6f\n%s,host,cpu_used_ratio,%.6f\n%s,host,load_per_core,%.6f\n", ts, p.mem, ts, p.cpu, ts, p.load)
	}
	path := filepath.Join(t.TempDir(), "series.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// replayed runs `healthmon replay` and returns its lines, raw and parsed.
func replayed(t *testing.T, cfg, input string, extra ...string) ([]string, []replayLine) {
	t.Helper()
	args := append([]string{"replay", "--config", cfg, "--input", input}, extra...)
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("replay exited %d: %s", code, stderr.String())
	}
	var raw []string
	var lines []replayLine
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l replayLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", len(lines)+1, err, sc.Text())
		}
		raw, lines = append(raw, sc.Text()), append(lines, l)
	}
	return raw, lines
}

func issues(l replayLine, kind, level string) []replayIssue {
	var out []replayIssue
	for _, i := range l.PredictedIssues {
		if i.Kind == kind && (level == "" || i.Level == level) {
			out = append(out, i)
		}
	}
	return out
}

// quiet is stationary noise around safe levels.
func quiet(rng *rand.Rand) point {
	return point{
		mem:  0.45 + rng.NormFloat64()*0.01,
		cpu:  math.Min(1, math.Max(0, 0.20+rng.NormFloat64()*0.03)),
		load: math.Max(0, 0.40+rng.NormFloat64()*0.05),
	}
}

// leak is a memory leak of 0.15 an hour from 0.50 with noise (standard
// deviation 0.005), one point every step: the line crosses warning 0.80 at
// minute 120 and critical 0.95 at minute 180.
func leak(minutes int, seed uint64, step time.Duration) []point {
	rng := rand.New(rand.NewPCG(seed, 1))
	ps := make([]point, int(time.Duration(minutes)*time.Minute/step))
	for i := range ps {
		ps[i] = quiet(rng)
		ps[i].mem = 0.50 + 0.15*(time.Duration(i)*step).Hours() + rng.NormFloat64()*0.005
	}
	return ps
}

// (a) A memory leak at a known rate with noise predicts threshold_breach
// at least 10 minutes before the real crossing, within 10% of the truth.
// One evaluation every 30 s (60 points in the trend window), eight noise
// draws: in each, the first critical prediction is 10 minutes or more ahead
// of the first reading at critical and within 10% of the lead; the median
// error of every prediction made 15 minutes or more ahead is within 10%
// too; the worst is logged.
func TestReplayMemoryLeak(t *testing.T) {
	cfg := writeConfig(t, replayConfig)
	for seed := uint64(101); seed < 109; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { memoryLeak(t, cfg, seed) })
	}
}

func memoryLeak(t *testing.T, cfg string, seed uint64) {
	const step = 30 * time.Second
	points := leak(200, seed, step)
	_, lines := replayed(t, cfg, writeSeriesEvery(t, points, 0, step))
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	// The real crossing: the first reading at or above critical.
	crossing := -1
	for i, p := range points {
		if p.mem >= 0.95 {
			crossing = i
			break
		}
	}
	// The truth: the known rate crosses 0.95 at minute 180.
	truth := replayStart.Add(180 * time.Minute)
	observed := replayStart.Add(time.Duration(crossing) * step)
	if d := observed.Sub(truth); d.Abs() > 10*time.Minute {
		t.Fatalf("generated crossing at %s", d)
	}
	first := -1
	var errs []float64
	for i, l := range lines[:crossing] {
		if !l.Timestamp.Before(truth) {
			break
		}
		crit := issues(l, "threshold_breach", "critical")
		if len(crit) == 0 {
			continue
		}
		if crit[0].Component != "host" || crit[0].Metric != "memory_used_ratio" || crit[0].BreachTimestamp == nil {
			t.Fatalf("at %s: issue %+v", l.Timestamp, crit[0])
		}
		lead := truth.Sub(l.Timestamp)
		errRatio := crit[0].BreachTimestamp.Sub(truth).Abs().Seconds() / lead.Seconds()
		if first < 0 {
			first = i
			t.Logf("first critical breach predicted at %s for %s; truth %s, first reading at critical %s: %s ahead, off by %.1f%% of the lead",
				l.Timestamp.Format(time.TimeOnly), crit[0].BreachTimestamp.Format(time.TimeOnly), truth.Format(time.TimeOnly), observed.Format(time.TimeOnly), observed.Sub(l.Timestamp), errRatio*100)
			if observed.Sub(l.Timestamp) < 10*time.Minute {
				t.Fatalf("predicted only %s before the crossing", observed.Sub(l.Timestamp))
			}
			if errRatio > 0.10 {
				t.Fatalf("first prediction off by %.1f%% of the lead, want <= 10%%", errRatio*100)
			}
		}
		if lead >= 15*time.Minute {
			errs = append(errs, errRatio)
		}
	}
	if first < 0 {
		t.Fatal("no critical threshold_breach before the crossing")
	}
	sort.Float64s(errs)
	med, worst := errs[len(errs)/2], errs[len(errs)-1]
	t.Logf("%d predictions made 15+ minutes ahead: median error %.1f%%, worst %.1f%% of the lead", len(errs), med*100, worst*100)
	if med > 0.10 {
		t.Fatalf("median error %.1f%% of the lead, want <= 10%%", med*100)
	}
	// Well inside the horizon (from 45 minutes before the truth), every
	// evaluation keeps the prediction until the level itself is within two
	// minutes of critical.
	for _, l := range lines {
		lead := truth.Sub(l.Timestamp)
		if lead <= 45*time.Minute && lead > 2*time.Minute && l.Timestamp.Before(observed) && len(issues(l, "threshold_breach", "critical")) == 0 {
			t.Fatalf("%s: the critical breach prediction was dropped before the crossing", l.Timestamp.Format(time.TimeOnly))
		}
	}
	// Warning came first, predicted before its own crossing (minute 120).
	warned := false
	for _, l := range lines[:220] {
		warned = warned || len(issues(l, "threshold_breach", "warning")) > 0
	}
	if !warned {
		t.Fatal("no warning breach predicted before minute 110")
	}
}

// (b) 24 hours of stationary noise around safe levels raise no predicted
// issue at any evaluation: independent noise, and noise that wanders (each
// reading half its predecessor's deviation plus new noise, as host metrics
// do).
func TestReplayStationaryNoise(t *testing.T) {
	for _, phi := range []float64{0, 0.5} {
		t.Run(fmt.Sprintf("autocorrelation %.1f", phi), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(202, 2))
			points := make([]point, 24*60)
			var prev point
			for i := range points {
				q := quiet(rng)
				// Keep the stationary spread while correlating neighbours.
				k := math.Sqrt(1 - phi*phi)
				points[i] = point{
					mem:  0.45 + phi*(prev.mem-0.45) + k*(q.mem-0.45),
					cpu:  math.Min(1, math.Max(0, 0.20+phi*(prev.cpu-0.20)+k*(q.cpu-0.20))),
					load: math.Max(0, 0.40+phi*(prev.load-0.40)+k*(q.load-0.40)),
				}
				if i == 0 {
					points[i] = q
				}
				prev = points[i]
			}
			_, lines := replayed(t, writeConfig(t, replayConfig), writeSeries(t, points, 0))
			if len(lines) != 24*60 {
				t.Fatalf("%d lines", len(lines))
			}
			for i, l := range lines {
				if len(l.PredictedIssues) != 0 {
					t.Fatalf("minute %d: predicted %+v from noise", i, l.PredictedIssues)
				}
				if i >= 30 && l.Warmup {
					t.Fatalf("minute %d: still warming up", i)
				}
			}
		})
	}
}

// (c) A single burst raises a spike at that evaluation, and no breach.
func TestReplaySingleBurst(t *testing.T) {
	rng := rand.New(rand.NewPCG(303, 3))
	points := make([]point, 120)
	for i := range points {
		points[i] = quiet(rng)
	}
	const burst = 90
	points[burst].mem = 0.78
	_, lines := replayed(t, writeConfig(t, replayConfig), writeSeries(t, points, 0))
	for i, l := range lines {
		spikes := issues(l, "memory_spike", "")
		if i == burst && (len(spikes) != 1 || spikes[0].Metric != "memory_used_ratio" || spikes[0].BreachTimestamp != nil) {
			t.Fatalf("minute %d: spikes %+v, want one memory_spike", i, spikes)
		}
		if i != burst && len(spikes) != 0 {
			t.Fatalf("minute %d: spike %+v away from the burst", i, spikes)
		}
		if b := issues(l, "threshold_breach", ""); len(b) != 0 {
			t.Fatalf("minute %d: breach predicted after a single burst: %+v", i, b)
		}
		if i != burst && len(l.PredictedIssues) != 0 {
			t.Fatalf("minute %d: %+v", i, l.PredictedIssues)
		}
	}
}

// (d) A sawtooth that grows and is reclaimed (memory that a collector frees
// every few minutes, peaking between warning and critical) raises no
// critical breach, which would never come. Teeth longer than half the
// trend window are not told from a leak (see the README).
func TestReplaySawtooth(t *testing.T) {
	for _, period := range []int{5, 10, 15} {
		t.Run(fmt.Sprintf("every %d minutes", period), func(t *testing.T) { sawtooth(t, period) })
	}
}

func sawtooth(t *testing.T, period int) {
	rng := rand.New(rand.NewPCG(404, uint64(period)))
	points := make([]point, 6*60)
	for i := range points {
		points[i] = quiet(rng)
		// 0.55 .. 0.865
		points[i].mem = 0.55 + 0.315*float64(i%period)/float64(period-1) + rng.NormFloat64()*0.005
	}
	_, lines := replayed(t, writeConfig(t, replayConfig), writeSeries(t, points, 0))
	for i, l := range lines {
		if b := issues(l, "threshold_breach", "critical"); len(b) != 0 {
			t.Fatalf("minute %d: critical breach predicted on a reclaimed sawtooth: %+v", i, b)
		}
		if b := issues(l, "degradation", ""); len(b) != 0 {
			t.Fatalf("minute %d: degradation on a steady sawtooth: %+v", i, b)
		}
	}
	// It does reach warning every cycle: the statuses say so, not the
	// predictions.
	warning := 0
	for _, l := range lines {
		if l.OverallStatus == scoring.StatusWarning {
			warning++
		}
	}
	if warning == 0 {
		t.Fatal("the sawtooth never reached warning")
	}
}

// (e) A stop and restart mid-series restores the history, and the
// predictions continue exactly where they were.
func TestReplayRestart(t *testing.T) {
	points := leak(200, 101, time.Minute)
	cfg := writeConfig(t, replayConfig)
	whole, _ := replayed(t, cfg, writeSeries(t, points, 0))

	const cut = 150
	dir := filepath.Join(t.TempDir(), "data")
	first, _ := replayed(t, cfg, writeSeries(t, points[:cut], 0), "--storage.path", dir)
	second, parsed := replayed(t, cfg, writeSeries(t, points[cut:], cut), "--storage.path", dir)
	if len(first) != cut || len(second) != len(points)-cut {
		t.Fatalf("%d and %d lines", len(first), len(second))
	}
	if parsed[0].Warmup || len(issues(parsed[0], "threshold_breach", "critical")) == 0 {
		t.Fatalf("the first evaluation after the restart lost the trend: %+v", parsed[0])
	}
	for i := range second {
		if second[i] != whole[cut+i] {
			t.Fatalf("minute %d differs after the restart:\n got %s\nwant %s", cut+i, second[i], whole[cut+i])
		}
	}
	// Without the storage path, the second half starts cold.
	_, cold := replayed(t, cfg, writeSeries(t, points[cut:], cut))
	if !cold[0].Warmup {
		t.Fatal("a replay without history is not warming up")
	}
	// Replaying the same part again is refused: it does not continue the
	// saved history.
	var stdout, stderr bytes.Buffer
	code := run([]string{"replay", "--config", cfg, "--input", writeSeries(t, points[:10], 0), "--storage.path", dir}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "replay a series that continues it") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

func TestParseSeries(t *testing.T) {
	rows, err := parseSeries(strings.NewReader("timestamp,component,metric,value\n" +
		"2026-06-01T00:01:00Z,host,memory_used_ratio,0.5\n" +
		"1780272000,host,memory_used_ratio,0.4\n" +
		"1780272000.5, host , cpu_used_ratio , 1e-1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].value != 0.4 || rows[0].line != 3 || rows[1].metric != "cpu_used_ratio" ||
		!rows[1].at.Equal(time.Unix(1780272000, 5e8)) || rows[2].line != 2 {
		t.Fatalf("rows %+v", rows)
	}
	rows, err = parseSeries(strings.NewReader("timestamp,component,metric,resource,value\n2026-06-01T00:00:00+02:00,host,disk_used_ratio,/var,0.5\n"))
	if err != nil || len(rows) != 1 || rows[0].resource != "/var" || !rows[0].at.Equal(time.Date(2026, 5, 31, 22, 0, 0, 0, time.UTC)) {
		t.Fatalf("resource form: %+v %v", rows, err)
	}
	bad := []struct{ name, csv, want string }{
		{"empty", "", "line 1: empty input"},
		{"no value column", "timestamp,component,metric\n", `line 1: the header has no "value" column`},
		{"unknown column", "timestamp,component,metric,value,unit\n", `line 1: unknown column "unit"`},
		{"duplicate column", "timestamp,component,metric,value,value\n", `line 1: column "value" appears twice`},
		{"bad timestamp", "timestamp,component,metric,value\n2026-06-01T00:00:00Z,h,m,1\nyesterday,h,m,1\n", `line 3: timestamp "yesterday" is neither RFC 3339`},
		{"bad value", "timestamp,component,metric,value\n2026-06-01T00:00:00Z,h,m,high\n", `line 2: value "high" is not a finite number`},
		{"infinite value", "timestamp,component,metric,value\n2026-06-01T00:00:00Z,h,m,+Inf\n", `line 2: value "+Inf"`},
		{"missing field", "timestamp,component,metric,value\n2026-06-01T00:00:00Z,h,m,1\n2026-06-01T00:00:00Z,h,1\n", "line 3: wrong number of fields"},
		{"empty component", "timestamp,component,metric,value\n2026-06-01T00:00:00Z,,m,1\n", "line 2: component and metric must not be empty"},
		{"bare quote", "timestamp,component,metric,value\n2026-06-01T00:00:00Z,h\"x,m,1\n", "line 2: bare \" in non-quoted-field"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSeries(strings.NewReader(tt.csv))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestReplayErrors(t *testing.T) {
	cfg := writeConfig(t, replayConfig)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown component", []string{"--config", cfg, "--input", write("a.csv", "timestamp,component,metric,value\n1780272000,db,up,1\n")},
			`a.csv: line 2: component "db" is not in`},
		{"bad csv", []string{"--config", cfg, "--input", write("b.csv", "timestamp,component,metric,value\nnow,host,up,1\n")},
			`b.csv: line 2: timestamp "now"`},
		{"missing input", []string{"--config", cfg, "--input", filepath.Join(dir, "none.csv")}, "no such file"},
		{"bad config", []string{"--config", write("c.yml", "components: []\n"), "--input", write("d.csv", "timestamp,component,metric,value\n")}, "at least one component"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"replay"}, tt.args...), &stdout, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), tt.want) || stdout.Len() != 0 {
				t.Fatalf("exit %d stdout %q stderr %q, want %q", code, stdout.String(), stderr.String(), tt.want)
			}
		})
	}
}

// FuzzParseSeries: the parser never panics, every error names a line, and
// what it accepts is sorted and finite.
func FuzzParseSeries(f *testing.F) {
	for _, seed := range []string{
		"timestamp,component,metric,value\n2026-06-01T00:00:00Z,host,memory_used_ratio,0.5\n",
		"timestamp,component,metric,resource,value\n1780272000,host,disk_used_ratio,/,0.5\n1780271000.25,host,disk_used_ratio,/var,NaN\n",
		"value,metric,component,timestamp\n1,m,c,0\n",
		"timestamp,component,metric,value\n\"2026-06-01T00:00:00Z\",\"a,b\",m,1\n",
		"timestamp,component,metric,value\nx,y\n",
		"\uFEFFtimestamp,component,metric,value\n",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := parseSeries(strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for i, r := range rows {
			if math.IsInf(r.value, 0) || r.component == "" || r.metric == "" || r.line < 2 {
				t.Fatalf("row %+v accepted", r)
			}
			if i > 0 && rows[i-1].at.After(r.at) {
				t.Fatalf("rows out of order at %d", i)
			}
		}
	})
}
