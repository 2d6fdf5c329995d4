package config

import "testing"

func TestPromQLConfig(t *testing.T) {
	cfg, err := Parse([]byte(`
components:
  - name: deployments
    kind: promql
    promql:
      url: http://127.0.0.1:9090
      query: sum(active_deployments)
    thresholds:
      value: {direction: lower_is_worse, critical: 1}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Components[0]
	p := c.PromQL
	if p.Metric != "value" || p.OnEmpty != OnEmptyFailing || p.MaxSeries != 100 || p.MaxBodyBytes != 1<<20 || p.ResourceLabel != "" {
		t.Errorf("defaults: %+v", p)
	}
	v, ok := c.ThresholdsFor("value", "")
	if !ok || *v.Critical != 1 {
		t.Errorf("value thresholds = %+v", v)
	}
}

func TestPromQLConfigInvalid(t *testing.T) {
	const head = "components:\n  - name: q\n    kind: promql\n"
	runInvalid(t, []invalidCase{
		{"no block", head, "line 2: field components[q].promql: a component of kind promql needs a \"promql\" block"},
		{"no url", head + "    promql:\n      query: up\n", "line 5: field promql.url: is required"},
		{"no query", head + "    promql:\n      url: http://p:9090\n", "line 5: field promql.query: is required"},
		{"blank query", head + "    promql:\n      url: http://p:9090\n      query: \"  \"\n", "line 6: field promql.query: is required"},
		{"bad metric", head + "    promql:\n      url: http://p:9090\n      query: up\n      metric: 1up\n", "line 7: field promql.metric: \"1up\" must match"},
		{"bad resource label", head + "    promql:\n      url: http://p:9090\n      query: up\n      resource_label: a-b\n", "line 7: field promql.resource_label: \"a-b\" is not a label name"},
		{"bad on_empty", head + "    promql:\n      url: http://p:9090\n      query: up\n      on_empty: ok\n", "line 7: field promql.on_empty: \"ok\" is neither failing nor unknown"},
		{"zero max series", head + "    promql:\n      url: http://p:9090\n      query: up\n      max_series: 0\n", "line 7: field promql.max_series: must be at least 1"},
		{"client config conflict", head + "    promql:\n      url: http://p:9090\n      query: up\n      http_client_config:\n        bearer_token: hunter2\n        bearer_token_file: /t\n",
			"line 8: field http_client_config: at most one of bearer_token & bearer_token_file must be configured"},
		{"threshold for another metric", head + "    promql:\n      url: http://p:9090\n      query: up\n      metric: up\n    thresholds:\n      value: {warning: 1}\n",
			"line 5: field components[q].promql: thresholds.value: no reading of this component is called \"value\" (its readings: up)"},
		{"misspelled field", head + "    promql:\n      url: http://p:9090\n      querry: up\n", "line 6: field components[q].promql.querry: unknown field"},
	})
}
