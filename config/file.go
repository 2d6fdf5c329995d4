package config

import (
	"path/filepath"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/healthmon/healthmon/scoring"
)

// FileConfig configures a check of kind file: a heartbeat file whose
// modification time says that the process writing it is alive, and
// optionally a JSON status file whose numbers become readings.
type FileConfig struct {
	// Path of the file, absolute.
	Path string `yaml:"path"`
	// JSON reads the file as a JSON object whose top-level numbers become
	// readings named after their keys (at most MaxJSONReadings).
	JSON bool `yaml:"json"`
	// JSONFields names the numbers to read instead: reading name -> path
	// (see JSONPath). Implies json.
	JSONFields map[string]JSONPath `yaml:"json_fields,omitempty"`
	// MaxBytes is the most of the file read as JSON; a larger file fails
	// the check. Default 1 MiB.
	MaxBytes int64 `yaml:"max_bytes"`
}

// The file kind's metrics.
const (
	// MetricAgeSeconds is the time since the file was last modified.
	MetricAgeSeconds = "age_seconds"
	// MetricSizeBytes is the file's size.
	MetricSizeBytes = "size_bytes"
)

// MaxJSONReadings bounds the readings that json: true takes from a status
// file, so that a file that grows does not grow the series without end.
const MaxJSONReadings = 64

// fileDefaults suit a heartbeat written every minute or faster: two
// minutes old is still excellent, five missed minutes warn, fifteen are
// critical.
var fileDefaults = map[string]*Threshold{
	MetricAgeSeconds: th(scoring.HigherIsWorse, 120, 300, 900),
	MetricSizeBytes:  th(scoring.HigherIsWorse, nan, nan, nan),
}

func init() {
	registerKind("file", kindSpec{
		present:  func(c *Component) bool { return c.File != nil },
		prepare:  prepareFile,
		defaults: fileDefaults,
		// Not fixed: a JSON status file adds readings.
	})
}

func prepareFile(c *Component) error {
	if err := requireBlock(c.File != nil, "file"); err != nil {
		return err
	}
	if c.File.JSON && len(c.File.JSONFields) == 0 {
		return nil // the status file's keys name the readings
	}
	known := map[string]bool{MetricAgeSeconds: true, MetricSizeBytes: true}
	for name := range c.File.JSONFields {
		known[name] = true
	}
	return checkThresholdNames(c, known)
}

// UnmarshalYAML applies the defaults and validates, naming the field and
// its line.
func (f *FileConfig) UnmarshalYAML(node *yaml.Node) error {
	*f = FileConfig{MaxBytes: DefaultMaxBodyBytes}
	type plain FileConfig
	if err := node.Decode((*plain)(f)); err != nil {
		return err
	}
	if f.Path == "" {
		return fieldError(node, "path", "file.path", "is required")
	}
	if !filepath.IsAbs(f.Path) {
		return fieldError(node, "path", "file.path", "%q is not an absolute path", f.Path)
	}
	if f.MaxBytes < 1 {
		return fieldError(node, "max_bytes", "file.max_bytes", "must be at least 1, got %d", f.MaxBytes)
	}
	names := make([]string, 0, len(f.JSONFields))
	for name := range f.JSONFields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch {
		case !readingNameRE.MatchString(name):
			return fieldError(node, "json_fields", "file.json_fields."+name, "reading name %q must match %s", name, readingNameRE)
		case fileDefaults[name] != nil:
			return fieldError(node, "json_fields", "file.json_fields."+name, "%q is a metric of the file kind itself; choose another name", name)
		case len(f.JSONFields[name].Segments()) == 0:
			return fieldError(node, "json_fields", "file.json_fields."+name, "empty path")
		}
	}
	if len(f.JSONFields) > 0 {
		f.JSON = true
	}
	return nil
}
