package collector

import (
	"math"
	"strings"
	"testing"

	"github.com/healthmon/healthmon/scoring"
)

var inf = math.Inf(1)

func TestPerfdataParseRange(t *testing.T) {
	tests := []struct {
		in      string
		want    Range
		wantErr string
	}{
		{in: "10", want: Range{Start: 0, End: 10}},
		{in: "10:", want: Range{Start: 10, End: inf}},
		{in: "~:10", want: Range{Start: -inf, End: 10}},
		{in: "10:20", want: Range{Start: 10, End: 20}},
		{in: "@10:20", want: Range{Start: 10, End: 20, Inside: true}},
		{in: "@10", want: Range{Start: 0, End: 10, Inside: true}},
		{in: "@~:10", want: Range{Start: -inf, End: 10, Inside: true}},
		{in: "@10:", want: Range{Start: 10, End: inf, Inside: true}},
		{in: ":10", want: Range{Start: 0, End: 10}},
		{in: "-5:5", want: Range{Start: -5, End: 5}},
		{in: "~:", want: Range{Start: -inf, End: inf}},
		{in: "0:", want: Range{Start: 0, End: inf}},
		{in: "1.5e3", want: Range{Start: 0, End: 1500}},
		{in: "10:~", want: Range{Start: 10, End: inf}},
		{in: "", wantErr: `range "": empty`},
		{in: "@", wantErr: `range "@": empty`},
		{in: "abc", wantErr: `range "abc": end: "abc" is not a number`},
		{in: "20:10", wantErr: `range "20:10": start 20 is above end 10`},
		{in: "10:abc", wantErr: `range "10:abc": end: "abc" is not a number`},
		{in: "x:10", wantErr: `range "x:10": start: "x" is not a number`},
		{in: "1..2", wantErr: `is not a number`},
		{in: "inf", wantErr: `is not a number`},
		{in: "NaN", wantErr: `is not a number`},
		{in: "1e999", wantErr: `is not a finite number`},
		{in: "~", wantErr: `range "~": no end`},
		{in: "10%", wantErr: `"10%" is not a number`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRange(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseRange(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRange(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("ParseRange(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			// String renders a range that parses back to the same.
			back, err := ParseRange(got.String())
			if err != nil || back != got {
				t.Fatalf("ParseRange(%q.String() = %q) = %+v, %v; want %+v", tc.in, got.String(), back, err, got)
			}
		})
	}
}

func TestPerfdataRangeAlerts(t *testing.T) {
	// The Nagios plugin guidelines' own examples.
	tests := []struct {
		rng     string
		alert   []float64
		noAlert []float64
	}{
		{"10", []float64{-1, 10.01, 11}, []float64{0, 5, 10}},
		{"10:", []float64{-1, 9.99}, []float64{10, 11, 1e9}},
		{"~:10", []float64{10.01, 11}, []float64{-1e9, 0, 10}},
		{"10:20", []float64{9.99, 20.01}, []float64{10, 15, 20}},
		{"@10:20", []float64{10, 15, 20}, []float64{9.99, 20.01}},
	}
	for _, tc := range tests {
		r, err := ParseRange(tc.rng)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range tc.alert {
			if !r.Alerts(v) {
				t.Errorf("range %s: %g should alert", tc.rng, v)
			}
		}
		for _, v := range tc.noAlert {
			if r.Alerts(v) {
				t.Errorf("range %s: %g should not alert", tc.rng, v)
			}
		}
	}
}

func TestPerfdataRangeThresholds(t *testing.T) {
	up, down := scoring.HigherIsWorse, scoring.LowerIsWorse
	tests := []struct {
		warn, crit string
		factor     float64
		defined    bool
		dir        scoring.Direction
		// warning and critical levels as the plugin states them (before
		// the exclusive nudge); NaN: level absent.
		warning, critical float64
	}{
		{"10", "20", 1, true, up, 10, 20},
		{"~:10", "~:20", 1, true, up, 10, 20},
		{"0:10", "0:20", 1, true, up, 10, 20},
		{"10:", "5:", 1, true, down, 10, 5},
		{"@10:", "@20:", 1, true, up, 10, 20},
		{"@~:10", "@~:5", 1, true, down, 10, 5},
		{"@10", "@5", 1, true, down, 10, 5},
		{"100", "200", 1e-3, true, up, 0.1, 0.2}, // ms thresholds in seconds
		{"80", "90", 1e-2, true, up, 0.8, 0.9},   // % in ratio
		{"10", "", 1, true, up, 10, math.NaN()},
		{"", "10:", 1, true, down, math.NaN(), 10},
		{"10:20", "5:30", 1, false, up, 0, 0},   // two-sided
		{"@10:20", "@5:30", 1, false, up, 0, 0}, // inside a band
		{"10", "5:", 1, false, up, 0, 0},        // directions disagree
		{"20", "10", 1, false, up, 0, 0},        // out of order
		{"5:500", "1:1000", 1, false, up, 0, 0}, // check_procs -w 5:500 -c 1:1000
		{"10:20", "30", 1, true, up, math.NaN(), 30},
		{"~:", "", 1, false, up, 0, 0},
		{"", "", 1, false, up, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.warn+"_"+tc.crit, func(t *testing.T) {
			var w, c *Range
			if tc.warn != "" {
				r, err := ParseRange(tc.warn)
				if err != nil {
					t.Fatal(err)
				}
				w = &r
			}
			if tc.crit != "" {
				r, err := ParseRange(tc.crit)
				if err != nil {
					t.Fatal(err)
				}
				c = &r
			}
			th := RangeThresholds(w, c, tc.factor)
			if th.Defined() != tc.defined {
				t.Fatalf("defined = %v, want %v (%+v)", th.Defined(), tc.defined, th)
			}
			if !tc.defined {
				return
			}
			if th.Direction != tc.dir {
				t.Errorf("direction = %s, want %s", th.Direction, tc.dir)
			}
			checkLevel(t, "warning", th.Warning, tc.warning)
			checkLevel(t, "critical", th.Critical, tc.critical)
			if err := th.Validate(); err != nil {
				t.Errorf("thresholds invalid: %v", err)
			}
			// healthmon judges every non-negative value as the plugin does.
			for _, v := range []float64{0, 0.05, 0.1, 0.2, 0.8, 0.9, 1, 4.99, 5, 5.01, 9.99, 10, 10.01, 19.99, 20, 20.01, 29.99, 30, 30.01, 1e6} {
				want := scoring.StatusGood
				if w != nil && scaled(*w, tc.factor).Alerts(v) && th.Warning != nil {
					want = scoring.StatusWarning
				}
				if c != nil && scaled(*c, tc.factor).Alerts(v) && th.Critical != nil {
					want = scoring.StatusCritical
				}
				if got := th.Evaluate(v); got != want {
					t.Errorf("Evaluate(%g) = %s, plugin says %s", v, got, want)
				}
			}
		})
	}
}

func scaled(r Range, f float64) Range {
	return Range{Start: r.Start * f, End: r.End * f, Inside: r.Inside}
}

// checkLevel compares a level with the plugin's, allowing the one-float
// nudge that makes an exclusive Nagios boundary inclusive.
func checkLevel(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if math.IsNaN(want) {
		if got != nil {
			t.Errorf("%s = %g, want none", name, *got)
		}
		return
	}
	if got == nil {
		t.Errorf("%s absent, want %g", name, want)
		return
	}
	if *got != want && math.Nextafter(want, inf) != *got && math.Nextafter(want, -inf) != *got {
		t.Errorf("%s = %g, want %g", name, *got, want)
	}
}

func TestPerfdataParse(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	r := func(s string) *Range {
		x, err := ParseRange(s)
		if err != nil {
			panic(err)
		}
		return &x
	}
	tests := []struct {
		name    string
		in      string
		want    []Perfdata
		wantErr string
	}{
		{name: "check_load",
			in: "load1=0.430;1.000;2.000;0; load5=0.280;1.000;2.000;0; load15=0.180;1.000;2.000;0; ",
			want: []Perfdata{
				{Label: "load1", Value: 0.43, Warn: r("1"), Crit: r("2"), Min: f(0)},
				{Label: "load5", Value: 0.28, Warn: r("1"), Crit: r("2"), Min: f(0)},
				{Label: "load15", Value: 0.18, Warn: r("1"), Crit: r("2"), Min: f(0)},
			}},
		{name: "check_disk",
			in: " /=13089374208B;216442024755;243497277849;0;270552530944 '/ (inodes)'=421631;;;0;16777216",
			want: []Perfdata{
				{Label: "/", Value: 13089374208, UOM: "B", Warn: r("216442024755"), Crit: r("243497277849"), Min: f(0), Max: f(270552530944)},
				{Label: "/ (inodes)", Value: 421631, Min: f(0), Max: f(16777216)},
			}},
		{name: "check_ping",
			in: "rta=0.301000ms;100.000000;200.000000;0.000000 pl=0%;20;50;0;",
			want: []Perfdata{
				{Label: "rta", Value: 0.301, UOM: "ms", Warn: r("100"), Crit: r("200"), Min: f(0)},
				{Label: "pl", Value: 0, UOM: "%", Warn: r("20"), Crit: r("50"), Min: f(0)},
			}},
		{name: "quoted label with spaces and escaped quote",
			in:   `'it''s a b'=5s 'x=y'=1`,
			want: []Perfdata{{Label: "it's a b", Value: 5, UOM: "s"}, {Label: "x=y", Value: 1}},
		},
		{name: "every range form",
			in: "a=1;10;10: b=1;~:10;10:20 c=1;@10:20;@~:5",
			want: []Perfdata{
				{Label: "a", Value: 1, Warn: r("10"), Crit: r("10:")},
				{Label: "b", Value: 1, Warn: r("~:10"), Crit: r("10:20")},
				{Label: "c", Value: 1, Warn: r("@10:20"), Crit: r("@~:5")},
			}},
		{name: "undetermined value", in: "x=U", want: []Perfdata{{Label: "x", Value: math.NaN()}}},
		{name: "units", in: "a=1us b=2KB c=3c d=-4.5e1dBm e=.5GB",
			want: []Perfdata{
				{Label: "a", Value: 1, UOM: "us"}, {Label: "b", Value: 2, UOM: "KB"}, {Label: "c", Value: 3, UOM: "c"},
				{Label: "d", Value: -45, UOM: "dBm"}, {Label: "e", Value: 0.5, UOM: "GB"},
			}},
		{name: "min and max with unit", in: "time=0.1s;;;0.000000s;10.000000s",
			want: []Perfdata{{Label: "time", Value: 0.1, UOM: "s", Min: f(0), Max: f(10)}}},
		{name: "trailing semicolons", in: "a=1;;;;;;", want: []Perfdata{{Label: "a", Value: 1}}},
		{name: "tabs and newlines", in: "a=1\tb=2\n c=3", want: []Perfdata{{Label: "a", Value: 1}, {Label: "b", Value: 2}, {Label: "c", Value: 3}}},
		{name: "empty", in: "   ", want: nil},

		{name: "no equals", in: "load1", wantErr: `perfdata "load1": want 'label'=value, found no '=' after the label`},
		{name: "no label", in: "=5", wantErr: `perfdata "=5": empty label`},
		{name: "unterminated quote", in: "'abc=5", wantErr: `perfdata "'abc=5": unterminated quoted label`},
		{name: "quoted label without equals", in: "'abc' 5", wantErr: `found no '=' after the label`},
		{name: "no value", in: "a=", wantErr: `perfdata "a=": no value`},
		{name: "value not a number", in: "a=x", wantErr: `perfdata "a=x": value "x" is not a number`},
		{name: "comma decimal", in: "a=0,5", wantErr: `unit ",5": only letters and % are allowed`},
		{name: "too many fields", in: "a=5;;;;;7", wantErr: `more than 5 fields`},
		{name: "bad warn", in: "a=5;x", wantErr: `perfdata "a=5;x": warn: range "x": end: "x" is not a number`},
		{name: "bad crit", in: "a=5;1;20:10", wantErr: `crit: range "20:10": start 20 is above end 10`},
		{name: "bad max", in: "a=5;1;2;0;abc", wantErr: `max: "abc" is not a number`},
		{name: "unit with digits", in: "a=5zz9", wantErr: `unit "zz9"`},
		{name: "infinite", in: "a=1e400", wantErr: `is not a finite number`},
		{name: "space before equals", in: "a =5", wantErr: `perfdata "a": want 'label'=value`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePerfdata(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParsePerfdata(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePerfdata(%q): %v", tc.in, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("ParsePerfdata(%q) = %d items %+v, want %d", tc.in, len(got), got, len(tc.want))
			}
			for i := range got {
				if !samePerfdata(got[i], tc.want[i]) {
					t.Errorf("item %d = %s, want %s", i, fmtPerfdata(got[i]), fmtPerfdata(tc.want[i]))
				}
			}
		})
	}
}

// TestPerfdataParseKeepsGoodItems: one bad item costs only itself.
func TestPerfdataParseKeepsGoodItems(t *testing.T) {
	got, err := ParsePerfdata("a=1 b=oops c=3;x d=4")
	if err == nil {
		t.Fatal("want an error for b and c")
	}
	for _, want := range []string{`perfdata "b=oops"`, `perfdata "c=3;x"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if len(got) != 2 || got[0].Label != "a" || got[1].Label != "d" {
		t.Fatalf("got %+v, want a and d", got)
	}
}

func samePerfdata(a, b Perfdata) bool {
	eqf := func(x, y *float64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqr := func(x, y *Range) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	sameValue := a.Value == b.Value || math.IsNaN(a.Value) && math.IsNaN(b.Value)
	return a.Label == b.Label && sameValue && a.UOM == b.UOM && eqr(a.Warn, b.Warn) && eqr(a.Crit, b.Crit) && eqf(a.Min, b.Min) && eqf(a.Max, b.Max)
}

func fmtPerfdata(p Perfdata) string {
	s := func(r *Range) string {
		if r == nil {
			return "-"
		}
		return r.String()
	}
	g := func(f *float64) string {
		if f == nil {
			return "-"
		}
		return scoring.FormatValue(*f, "")
	}
	return "{" + p.Label + " " + scoring.FormatValue(p.Value, "") + p.UOM + " warn " + s(p.Warn) + " crit " + s(p.Crit) + " min " + g(p.Min) + " max " + g(p.Max) + "}"
}

func TestPerfdataPluginOutput(t *testing.T) {
	out := "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n" +
		"/ 15272 MB (77%);\n" +
		"/boot 68 MB (69%);\n" +
		"/home 69357 MB (27%);\n" +
		"/var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n" +
		"/home=69357MB;253404;253409;0;253414 \n" +
		"/var/log=818MB;970;975;0;980\r\n"
	po, err := ParsePluginOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	if po.Text != "DISK OK - free space: / 3326 MB (56%);" {
		t.Errorf("Text = %q", po.Text)
	}
	if len(po.LongText) != 4 || po.LongText[3] != "/var/log 819 MB (84%); " {
		t.Errorf("LongText = %q", po.LongText)
	}
	var labels []string
	for _, p := range po.Perfdata {
		labels = append(labels, p.Label)
	}
	if got := strings.Join(labels, ","); got != "/,/boot,/home,/var/log" {
		t.Errorf("perfdata labels = %s", got)
	}
	// Text only, and a '|' in the long text that starts the perfdata.
	po, err = ParsePluginOutput("OK\n")
	if err != nil || po.Text != "OK" || len(po.Perfdata) != 0 || len(po.LongText) != 0 {
		t.Errorf("plain OK: %+v, %v", po, err)
	}
	po, err = ParsePluginOutput("")
	if err != nil || po.Text != "" {
		t.Errorf("empty output: %+v, %v", po, err)
	}
}

func TestPerfdataMetricName(t *testing.T) {
	tests := []struct{ label, uom, want string }{
		{"load1", "", "load1"},
		{"rta", "ms", "rta_seconds"},
		{"time", "s", "time_seconds"},
		{"pl", "%", "pl_ratio"},
		{"/", "B", "root_bytes"},
		{"/ (inodes)", "", "root_inodes"},
		{"/var/log", "MB", "var_log_bytes"},
		{"/var (inodes)", "", "var_inodes"},
		{"it's a b", "", "it_s_a_b"},
		{"used_bytes", "B", "used_bytes"},
		{"packets", "c", "packets_total"},
		{"1min", "", "_1min"},
		{"---", "", "perfdata"},
		{"Température", "", "Temp_rature"},
		{"signal", "dBm", "signal"},
	}
	for _, tc := range tests {
		if got := MetricName(tc.label, tc.uom); got != tc.want {
			t.Errorf("MetricName(%q, %q) = %q, want %q", tc.label, tc.uom, got, tc.want)
		}
	}
}

func TestPerfdataReadings(t *testing.T) {
	items, err := ParsePerfdata("rta=250ms;100;200;0 pl=25%;20;50;0;100 a=2KB b=3MB c=1GB d=2TB e=5c f=7dBm;~:10 exit_code=1 rta=1s")
	if err != nil {
		t.Fatal(err)
	}
	got := PerfdataReadings(items, map[string]bool{"exit_code": true})
	type want struct {
		metric    string
		value     float64
		unit      string
		status    scoring.Status
		defined   bool
		direction scoring.Direction
	}
	wants := []want{
		{"rta_seconds", 0.25, scoring.UnitSeconds, scoring.StatusCritical, true, scoring.HigherIsWorse},
		{"pl_ratio", 0.25, scoring.UnitRatio, scoring.StatusWarning, true, scoring.HigherIsWorse},
		{"a_bytes", 2048, scoring.UnitBytes, scoring.StatusGood, false, 0},
		{"b_bytes", 3 << 20, scoring.UnitBytes, scoring.StatusGood, false, 0},
		{"c_bytes", 1 << 30, scoring.UnitBytes, scoring.StatusGood, false, 0},
		{"d_bytes", 2 << 40, scoring.UnitBytes, scoring.StatusGood, false, 0},
		{"e_total", 5, scoring.UnitNone, scoring.StatusGood, false, 0},
		{"f", 7, scoring.UnitNone, scoring.StatusGood, true, scoring.HigherIsWorse},
		{"exit_code_2", 1, scoring.UnitNone, scoring.StatusGood, false, 0},
		{"rta_seconds_2", 1, scoring.UnitSeconds, scoring.StatusCritical, false, 0},
	}
	if len(got) != len(wants) {
		t.Fatalf("got %d readings, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		r := got[i]
		r.Judge()
		if r.Metric != w.metric || r.Value != w.value || r.Unit != w.unit || r.Thresholds.Defined() != w.defined {
			t.Errorf("reading %d = %s %g %q defined=%v, want %s %g %q defined=%v", i, r.Metric, r.Value, r.Unit, r.Thresholds.Defined(), w.metric, w.value, w.unit, w.defined)
			continue
		}
		if w.defined && (r.Status != w.status || r.Thresholds.Direction != w.direction) {
			t.Errorf("%s: status %s %s, want %s %s", r.Metric, r.Status, r.Thresholds.Direction, w.status, w.direction)
		}
	}
	// The ms thresholds are in seconds too.
	if th := got[0].Thresholds; th.Warning == nil || math.Abs(*th.Warning-0.1) > 1e-12 || th.Critical == nil || math.Abs(*th.Critical-0.2) > 1e-12 {
		t.Errorf("rta thresholds = %+v, want 0.1 s and 0.2 s", th)
	}
}

// FuzzParsePerfdata: no input panics, and what parses is well formed and
// turns into valid readings with unique names.
func FuzzParsePerfdata(f *testing.F) {
	for _, seed := range []string{
		"OK - load average: 0.43, 0.28, 0.18|load1=0.430;1.000;2.000;0; load5=0.280;1.000;2.000;0; load15=0.180;1.000;2.000;0; ",
		"DISK OK - free space: / 80779MiB (86% inode=97%);| /=13089374208B;216442024755;243497277849;0;270552530944 '/ (inodes)'=421631;;;0;16777216",
		"PROCS CRITICAL: 0 processes with command name 'sh' | procs=0;5:500;1:1000;0;",
		"PING OK - Packet loss = 0%, RTA = 0.30 ms|rta=0.301000ms;100.000000;200.000000;0.000000 pl=0%;20;50;0;",
		"OK | a=1;10;10: b=1;~:10;10:20 c=1;@10:20;@~:5 d=U e=5c f=1KB;@10:;~:",
		"OK\nlong 1\nlong 2 | x=1s\ny=2%;;;0;100\n",
		"OK | 'it''s'=1 'unterminated=2",
		"| =5 a= a=x a=5;;;;;7 a=5;20:10 a=1e400 a=.5e-3ms;1e3 '' =",
		"OK | a=-0;-0;@-0:-0",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		po, _ := ParsePluginOutput(s)
		for _, p := range po.Perfdata {
			if strings.TrimSpace(p.Label) == "" {
				t.Fatalf("item with empty label from %q", s)
			}
			if math.IsInf(p.Value, 0) {
				t.Fatalf("infinite value from %q", s)
			}
			for _, r := range []*Range{p.Warn, p.Crit} {
				if r != nil && !(r.Start <= r.End) {
					t.Fatalf("range %+v from %q", *r, s)
				}
			}
		}
		names := map[string]bool{}
		for _, r := range PerfdataReadings(po.Perfdata, nil) {
			if names[r.Metric] || r.Metric == "" {
				t.Fatalf("metric name %q empty or repeated from %q", r.Metric, s)
			}
			names[r.Metric] = true
			if err := r.Thresholds.Validate(); err != nil {
				t.Fatalf("invalid thresholds for %s from %q: %v", r.Metric, s, err)
			}
		}
	})
}
