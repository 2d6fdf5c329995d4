package collector

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/healthmon/healthmon/scoring"
)

// This file parses the output of Nagios-compatible plugins, as the Nagios
// plugin development guidelines and monitoring-plugins define it:
//
//	TEXT OUTPUT | PERFDATA
//	LONG TEXT LINE 1
//	LONG TEXT LINE 2 | PERFDATA LINE 2
//	PERFDATA LINE 3
//
// Each performance data item is 'label'=value[UOM];[warn];[crit];[min];[max]
// and the warn and crit fields are Nagios ranges.

// PluginOutput is the parsed output of a plugin.
type PluginOutput struct {
	// Text is the first line's text before any '|': the plugin's one-line
	// status, which becomes the component's reason.
	Text string
	// LongText holds the text of the further lines.
	LongText []string
	// Perfdata holds the performance data items that parsed, in order.
	Perfdata []Perfdata
}

// Perfdata is one performance data item, in the plugin's own unit.
type Perfdata struct {
	Label string
	// Value is NaN when the plugin reported U (undetermined).
	Value float64
	// UOM is the unit of measurement as written (s, ms, %, B, KB, c, ...).
	UOM        string
	Warn, Crit *Range
	Min, Max   *float64
}

// Range is a Nagios threshold range. A plugin alerts when the value is
// outside Start..End (both inclusive), or inside it when Inside is set
// (the @ prefix). Start may be -Inf (~) and End +Inf (nothing after the
// colon).
type Range struct {
	Start, End float64
	Inside     bool
}

// Alerts reports whether v raises an alert under the range, as the plugin
// itself decides.
func (r Range) Alerts(v float64) bool {
	in := v >= r.Start && v <= r.End
	if r.Inside {
		return in
	}
	return !in
}

// String renders the range in Nagios syntax.
func (r Range) String() string {
	var b strings.Builder
	if r.Inside {
		b.WriteByte('@')
	}
	switch {
	case math.IsInf(r.Start, -1):
		b.WriteString("~:")
	case r.Start != 0:
		b.WriteString(strconv.FormatFloat(r.Start, 'g', -1, 64) + ":")
	case math.IsInf(r.End, 1):
		b.WriteString("0:")
	}
	if !math.IsInf(r.End, 1) {
		b.WriteString(strconv.FormatFloat(r.End, 'g', -1, 64))
	}
	return b.String()
}

// ParseRange parses a Nagios range: 10 (alert outside 0..10), 10: (alert
// below 10), ~:10 (alert above 10), 10:20 (alert outside 10..20), @10:20
// (alert inside 10..20).
func ParseRange(s string) (Range, error) {
	orig := s
	r := Range{Start: 0, End: math.Inf(1)}
	if strings.HasPrefix(s, "@") {
		r.Inside = true
		s = s[1:]
	}
	if s == "" {
		return Range{}, fmt.Errorf("range %q: empty", orig)
	}
	lo, hi, hasColon := strings.Cut(s, ":")
	if !hasColon {
		lo, hi = "", s
	}
	var err error
	switch lo {
	case "~":
		r.Start = math.Inf(-1)
	case "":
		r.Start = 0
	default:
		if r.Start, err = parseNumber(lo); err != nil {
			return Range{}, fmt.Errorf("range %q: start: %w", orig, err)
		}
	}
	switch hi {
	case "", "~":
		if !hasColon {
			return Range{}, fmt.Errorf("range %q: no end", orig)
		}
		r.End = math.Inf(1)
	default:
		if r.End, err = parseNumber(hi); err != nil {
			return Range{}, fmt.Errorf("range %q: end: %w", orig, err)
		}
	}
	if r.Start > r.End {
		return Range{}, fmt.Errorf("range %q: start %g is above end %g", orig, r.Start, r.End)
	}
	return r, nil
}

// numberPrefix returns the length of the decimal number at the start of s
// (sign, digits, point, exponent), 0 when there is none.
func numberPrefix(s string) int {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	// An exponent only when digits follow, so a unit starting with e is not
	// swallowed.
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '-' || s[j] == '+') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	return i
}

// parseNumber parses a whole field as a finite decimal number.
func parseNumber(s string) (float64, error) {
	n := numberPrefix(s)
	if n == 0 || n != len(s) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return parseFinite(s)
}

func parseFinite(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return v, nil
}

// ParsePluginOutput splits a plugin's output into its status text, long
// text and performance data. Items of performance data that do not parse
// are left out, and the returned error says which and why; the rest is
// returned all the same.
func ParsePluginOutput(out string) (PluginOutput, error) {
	var po PluginOutput
	lines := strings.Split(strings.TrimRight(out, "\r\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], "\r")
	}
	text, perf, _ := strings.Cut(lines[0], "|")
	po.Text = strings.TrimSpace(text)
	parts := []string{perf}
	inPerf := false
	for _, l := range lines[1:] {
		if inPerf {
			parts = append(parts, l)
			continue
		}
		if t, p, ok := strings.Cut(l, "|"); ok {
			if strings.TrimSpace(t) != "" {
				po.LongText = append(po.LongText, t)
			}
			parts = append(parts, p)
			inPerf = true
			continue
		}
		po.LongText = append(po.LongText, l)
	}
	var err error
	po.Perfdata, err = ParsePerfdata(strings.Join(parts, " "))
	return po, err
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// ParsePerfdata parses space-separated performance data items. Labels may
// be quoted with single quotes, a quote inside them written twice. Items
// that do not parse are skipped and reported in the error, which joins one
// error per bad item.
func ParsePerfdata(s string) ([]Perfdata, error) {
	var out []Perfdata
	var errs []error
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		var label string
		if s[i] == '\'' {
			var b strings.Builder
			j, closed := i+1, false
			for j < len(s) {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(s[j])
				j++
			}
			if !closed {
				errs = append(errs, fmt.Errorf("perfdata %q: unterminated quoted label", s[start:]))
				break
			}
			label, i = b.String(), j
		} else {
			j := i
			for j < len(s) && s[j] != '=' && !isSpace(s[j]) {
				j++
			}
			label, i = s[i:j], j
		}
		end := i
		for end < len(s) && !isSpace(s[end]) {
			end++
		}
		item := s[start:end]
		if i >= len(s) || s[i] != '=' {
			errs = append(errs, fmt.Errorf("perfdata %q: want 'label'=value, found no '=' after the label", item))
			i = end
			continue
		}
		p, err := parsePerfValue(label, s[i+1:end])
		i = end
		if err != nil {
			errs = append(errs, fmt.Errorf("perfdata %q: %w", item, err))
			continue
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

// parsePerfValue parses value[UOM];[warn];[crit];[min];[max].
func parsePerfValue(label, s string) (Perfdata, error) {
	p := Perfdata{Label: label}
	if strings.TrimSpace(label) == "" {
		return p, errors.New("empty label")
	}
	fields := strings.Split(s, ";")
	if len(fields) > 5 {
		for _, f := range fields[5:] {
			if f != "" {
				return p, fmt.Errorf("more than 5 fields (value;warn;crit;min;max)")
			}
		}
	}
	v := fields[0]
	switch {
	case v == "":
		return p, errors.New("no value")
	case v == "U":
		p.Value = math.NaN()
	default:
		n := numberPrefix(v)
		if n == 0 {
			return p, fmt.Errorf("value %q is not a number", v)
		}
		f, err := parseFinite(v[:n])
		if err != nil {
			return p, fmt.Errorf("value: %w", err)
		}
		p.Value, p.UOM = f, v[n:]
		for _, c := range p.UOM {
			if !(c == '%' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return p, fmt.Errorf("unit %q: only letters and %% are allowed", p.UOM)
			}
		}
	}
	get := func(i int) string {
		if i < len(fields) {
			return strings.TrimSpace(fields[i])
		}
		return ""
	}
	for i, dst := range []**Range{&p.Warn, &p.Crit} {
		if f := get(1 + i); f != "" {
			r, err := ParseRange(f)
			if err != nil {
				return p, fmt.Errorf("%s: %w", [...]string{"warn", "crit"}[i], err)
			}
			*dst = &r
		}
	}
	for i, dst := range []**float64{&p.Min, &p.Max} {
		f := get(3 + i)
		if f == "" {
			continue
		}
		// Some plugins repeat the unit on min and max.
		f = strings.TrimSuffix(f, p.UOM)
		x, err := parseNumber(f)
		if err != nil {
			return p, fmt.Errorf("%s: %w", [...]string{"min", "max"}[i], err)
		}
		*dst = &x
	}
	return p, nil
}

// uomScale says how a plugin's unit of measurement becomes a base unit.
type uomScale struct {
	factor float64
	unit   string
	// suffix is appended to the metric name, Prometheus style.
	suffix string
}

// uomScales are the units healthmon normalises. Byte multiples are powers
// of 1024, as monitoring-plugins computes them (check_disk's kB, MB, GB
// and TB are 1024-based); the IEC spellings are accepted as well. A unit
// not listed is kept as is: the value is exposed unscaled, without a unit.
var uomScales = map[string]uomScale{
	"":    {1, scoring.UnitNone, ""},
	"s":   {1, scoring.UnitSeconds, "_seconds"},
	"ms":  {1e-3, scoring.UnitSeconds, "_seconds"},
	"us":  {1e-6, scoring.UnitSeconds, "_seconds"},
	"ns":  {1e-9, scoring.UnitSeconds, "_seconds"},
	"%":   {1e-2, scoring.UnitRatio, "_ratio"},
	"B":   {1, scoring.UnitBytes, "_bytes"},
	"KB":  {1 << 10, scoring.UnitBytes, "_bytes"},
	"kB":  {1 << 10, scoring.UnitBytes, "_bytes"},
	"KiB": {1 << 10, scoring.UnitBytes, "_bytes"},
	"MB":  {1 << 20, scoring.UnitBytes, "_bytes"},
	"MiB": {1 << 20, scoring.UnitBytes, "_bytes"},
	"GB":  {1 << 30, scoring.UnitBytes, "_bytes"},
	"GiB": {1 << 30, scoring.UnitBytes, "_bytes"},
	"TB":  {1 << 40, scoring.UnitBytes, "_bytes"},
	"TiB": {1 << 40, scoring.UnitBytes, "_bytes"},
	"c":   {1, scoring.UnitNone, "_total"},
}

func scaleOf(uom string) uomScale {
	if s, ok := uomScales[uom]; ok {
		return s
	}
	return uomScale{1, scoring.UnitNone, ""}
}

// MetricName turns a perfdata label into a reading's metric name: letters,
// digits and underscores, every other run of characters one underscore,
// none leading or trailing, and the base unit's suffix (_seconds, _bytes,
// _ratio, _total) appended unless already there. The label "/" (the root
// file system, as check_disk names it) becomes root; a label with nothing
// usable becomes perfdata; a leading digit gets an underscore before it.
func MetricName(label, uom string) string {
	var b strings.Builder
	pending := false
	for _, c := range label {
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(c)
			continue
		}
		pending = true
	}
	name := strings.Trim(b.String(), "_")
	switch {
	case strings.HasPrefix(strings.TrimSpace(label), "/") && (name == "" || strings.HasPrefix(label, "/ ")):
		// "/" and check_disk's "/ (inodes)".
		name = strings.Trim("root_"+name, "_")
	case name == "":
		name = "perfdata"
	case name[0] >= '0' && name[0] <= '9':
		name = "_" + name
	}
	if suffix := scaleOf(uom).suffix; suffix != "" && !strings.HasSuffix(name, suffix) {
		name += suffix
	}
	return name
}

// PerfdataReadings turns performance data into readings: the metric named
// by MetricName (made unique with _2, _3, ... against taken and each
// other), the value in base units, and thresholds from the warn and crit
// ranges where one level with a direction can express them (see
// RangeThresholds). taken may be nil.
func PerfdataReadings(items []Perfdata, taken map[string]bool) []scoring.Reading {
	used := map[string]bool{}
	for k := range taken {
		used[k] = true
	}
	out := make([]scoring.Reading, 0, len(items))
	for _, p := range items {
		sc := scaleOf(p.UOM)
		name := MetricName(p.Label, p.UOM)
		for n := 2; used[name]; n++ {
			name = fmt.Sprintf("%s_%d", MetricName(p.Label, p.UOM), n)
		}
		used[name] = true
		out = append(out, scoring.Reading{
			Metric:     name,
			Value:      p.Value * sc.factor,
			Unit:       sc.unit,
			Thresholds: RangeThresholds(p.Warn, p.Crit, sc.factor),
		})
	}
	return out
}

// RangeThresholds maps a perfdata item's warn and crit ranges, in the
// plugin's unit times factor, to healthmon thresholds.
//
// A range maps to one level with a direction when it alerts on one side
// only: 10 and ~:10 (above 10) are higher_is_worse, 10: (below 10) is
// lower_is_worse, @10: (at or above 10) is higher_is_worse and @~:10 (at
// or below 10) lower_is_worse. A lower bound of 0 is taken as no lower
// bound, since perfdata values are almost always non-negative: 10 and 0:10
// are above 10, @10 is at or below 10. Nagios alerts strictly outside a
// range while healthmon's levels are reached at the level itself, so an
// exclusive level is stored as the next float beyond it (10 becomes
// 10.000000000000002): healthmon then judges exactly as the plugin does.
//
// A range that alerts on both sides (10:20) or inside a band (@10:20)
// has no such level and gives none; so do a warn and a crit that point in
// different directions or are out of order. Such readings keep their
// value and are judged by the plugin's exit code alone.
func RangeThresholds(warn, crit *Range, factor float64) scoring.Thresholds {
	wl, wd, wok := rangeLevel(warn, factor)
	cl, cd, cok := rangeLevel(crit, factor)
	var t scoring.Thresholds
	switch {
	case wok && cok:
		if wd != cd {
			return scoring.Thresholds{}
		}
		t = scoring.Thresholds{Direction: wd, Warning: &wl, Critical: &cl}
	case wok:
		t = scoring.Thresholds{Direction: wd, Warning: &wl}
	case cok:
		t = scoring.Thresholds{Direction: cd, Critical: &cl}
	default:
		return scoring.Thresholds{}
	}
	if t.Validate() != nil {
		return scoring.Thresholds{}
	}
	return t
}

// rangeLevel returns the single level and direction that a range stands
// for, if it has one.
func rangeLevel(r *Range, factor float64) (float64, scoring.Direction, bool) {
	if r == nil {
		return 0, 0, false
	}
	start, end := r.Start*factor, r.End*factor
	noLow := math.IsInf(start, -1) || start == 0
	noHigh := math.IsInf(end, 1)
	if !r.Inside {
		switch {
		case noLow && !noHigh: // alert above end
			return math.Nextafter(end, math.Inf(1)), scoring.HigherIsWorse, true
		case noHigh && !math.IsInf(start, -1): // alert below start
			return math.Nextafter(start, math.Inf(-1)), scoring.LowerIsWorse, true
		}
		return 0, 0, false
	}
	switch {
	case noLow && !noHigh: // alert at or below end
		return end, scoring.LowerIsWorse, true
	case noHigh && !math.IsInf(start, -1): // alert at or above start
		return start, scoring.HigherIsWorse, true
	}
	return 0, 0, false
}
