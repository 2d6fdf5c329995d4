package collector

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"sort"
	"time"

	"github.com/healthmon/healthmon/config"
	"github.com/healthmon/healthmon/scoring"
)

func init() { registerKind("file", newFileCheck) }

const (
	adviceHeartbeat  = "The process that writes this file has stopped or stalled: check that it runs (systemctl status, ps), read its logs, and restart it if needed."
	adviceStatusFile = "Look at the status file and at the process that writes it: its figures are outside their thresholds."
)

// fileCheck reads a heartbeat file's age and, optionally, the numbers of a
// JSON status file.
type fileCheck struct {
	cfg *config.FileConfig
	now func() time.Time
}

func newFileCheck(c *config.Component, _ *slog.Logger) (Check, error) {
	return &fileCheck{cfg: c.File, now: time.Now}, nil
}

// Check implements Check. A missing or unreadable file is a failing
// age_seconds reading, not a check error: the check ran and found the
// process that should write the file gone.
func (f *fileCheck) Check(ctx context.Context) ([]scoring.Reading, error) {
	path := f.cfg.Path
	age := scoring.Reading{Metric: config.MetricAgeSeconds, Value: math.NaN(), Unit: scoring.UnitSeconds, Advice: adviceHeartbeat}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		age.Error = fmt.Sprintf("file %s does not exist", path)
		return []scoring.Reading{age}, nil
	case err != nil:
		age.Error = fmt.Sprintf("file %s: %v", path, unwrapPathError(err))
		return []scoring.Reading{age}, nil
	case fi.IsDir():
		age.Error = fmt.Sprintf("%s is a directory, not a file", path)
		return []scoring.Reading{age}, nil
	}
	age.Value = f.now().Sub(fi.ModTime()).Seconds()
	readings := []scoring.Reading{age, {Metric: config.MetricSizeBytes, Value: float64(fi.Size()), Unit: scoring.UnitBytes}}
	if !f.cfg.JSON {
		return readings, ctx.Err()
	}
	more, err := f.statusReadings()
	if err != nil {
		return readings, fmt.Errorf("status file %s: %w", path, err)
	}
	return append(readings, more...), ctx.Err()
}

// unwrapPathError drops the operation and path that *fs.PathError repeats.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// statusReadings reads the file as JSON: the fields named in json_fields,
// else every top-level number.
func (f *fileCheck) statusReadings() ([]scoring.Reading, error) {
	fh, err := os.Open(f.cfg.Path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	defer fh.Close()
	b, err := readLimited(fh, f.cfg.MaxBytes)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, fmt.Errorf("larger than max_bytes (%d bytes)", f.cfg.MaxBytes)
	case err != nil:
		return nil, unwrapPathError(err)
	}
	doc, err := decodeJSON(b)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if len(f.cfg.JSONFields) > 0 {
		names := make([]string, 0, len(f.cfg.JSONFields))
		for n := range f.cfg.JSONFields {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]scoring.Reading, 0, len(names))
		for _, n := range names {
			p := f.cfg.JSONFields[n]
			out = append(out, assertJSON(&config.JSONAssertion{Path: p, Reading: n}, doc))
		}
		for i := range out {
			out[i].Advice = adviceStatusFile
		}
		return out, nil
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the document is %s, not an object", config.JSONType(doc))
	}
	var names []string
	for k, v := range obj {
		if _, isNum := v.(float64); isNum && validReadingName(k) {
			names = append(names, k)
		}
	}
	if len(names) > config.MaxJSONReadings {
		return nil, fmt.Errorf("%d numeric fields, more than %d: name the ones to read in json_fields", len(names), config.MaxJSONReadings)
	}
	sort.Strings(names)
	out := make([]scoring.Reading, 0, len(names))
	for _, n := range names {
		out = append(out, scoring.Reading{Metric: n, Value: obj[n].(float64), Advice: adviceStatusFile})
	}
	return out, nil
}

// validReadingName reports whether a top-level key can name a reading:
// a metric-like name that is not one of the file kind's own.
func validReadingName(k string) bool {
	if k == config.MetricAgeSeconds || k == config.MetricSizeBytes || k == "" {
		return false
	}
	for i, c := range k {
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
