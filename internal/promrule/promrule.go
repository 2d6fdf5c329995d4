// Package promrule wraps Prometheus rule files into a prometheus-operator
// PrometheusRule object, so that the Kubernetes manifests carry exactly the
// rules of rules/.
package promrule

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/yaml.v3"
)

// Default locations, relative to the repository's root.
const (
	RulesGlob = "rules/*.yml"
	Output    = "deploy/kubernetes/prometheusrule.yaml"
)

// Files returns the rule files that glob matches, sorted, so that the
// output does not depend on the directory's order.
func Files(glob string) ([]string, error) {
	files, err := filepath.Glob(glob)
	if err != nil {
		return nil, fmt.Errorf("rule files %s: %w", glob, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("rule files %s: none found", glob)
	}
	sort.Strings(files)
	return files, nil
}

// Generate returns a PrometheusRule named name holding the groups of every
// file, in order, comments and all. Each file must be a Prometheus rule file
// (a mapping with a groups list).
func Generate(name string, files []string) ([]byte, error) {
	groups := &yaml.Node{Kind: yaml.SequenceNode}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading rule file: %w", err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("rule file %s: %w", f, err)
		}
		if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
			return nil, fmt.Errorf("rule file %s: not a mapping", f)
		}
		g := value(doc.Content[0], "groups")
		if g == nil || g.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("rule file %s: no groups list", f)
		}
		groups.Content = append(groups.Content, g.Content...)
	}
	if len(groups.Content) == 0 {
		return nil, errors.New("no rule groups in the rule files")
	}
	labels := mapping("app.kubernetes.io/name", scalar("healthmon"), "app.kubernetes.io/part-of", scalar("healthmon"))
	obj := mapping(
		"apiVersion", scalar("monitoring.coreos.com/v1"),
		"kind", scalar("PrometheusRule"),
		"metadata", mapping("name", scalar(name), "labels", labels),
		"spec", mapping("groups", groups),
	)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Generated from %s by `go run ./internal/cmd/gen-prometheusrule`: do not\n# edit; edit the rule files and run it again (a test checks that they agree).\n", joinNames(files))
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{obj}}); err != nil {
		return nil, fmt.Errorf("encoding the PrometheusRule: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding the PrometheusRule: %w", err)
	}
	return buf.Bytes(), nil
}

func joinNames(files []string) string {
	var b bytes.Buffer
	for i, f := range files {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(filepath.ToSlash(f))
	}
	return b.String()
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

// mapping builds a mapping node from key, value pairs.
func mapping(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, scalar(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return m
}

func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
