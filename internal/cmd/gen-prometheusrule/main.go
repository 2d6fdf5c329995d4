// Command gen-prometheusrule writes deploy/kubernetes/prometheusrule.yaml
// from the rule files in rules/. Run it from the repository's root:
//
//	go run ./internal/cmd/gen-prometheusrule
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/healthmon/healthmon/internal/promrule"
)

func main() {
	rules := flag.String("rules", promrule.RulesGlob, "glob of the Prometheus rule files")
	out := flag.String("out", promrule.Output, "PrometheusRule file to write")
	name := flag.String("name", "healthmon", "name of the PrometheusRule object")
	flag.Parse()
	if err := run(*rules, *out, *name); err != nil {
		fmt.Fprintln(os.Stderr, "gen-prometheusrule:", err)
		os.Exit(1)
	}
}

func run(glob, out, name string) error {
	files, err := promrule.Files(glob)
	if err != nil {
		return err
	}
	data, err := promrule.Generate(name, files)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return nil
}
