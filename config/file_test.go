package config

import "testing"

func TestFileConfig(t *testing.T) {
	cfg, err := Parse([]byte(`
components:
  - name: evolution
    kind: file
    file:
      path: /var/lib/evolution/heartbeat
  - name: status
    kind: file
    file:
      path: /var/lib/evolution/status.json
      json_fields:
        generations: stats.generations
    thresholds:
      age_seconds: {warning: 60, critical: 120, excellent: null}
      generations: {direction: lower_is_worse, warning: 10}
  - name: any_key
    kind: file
    file: {path: /x.json, json: true}
    thresholds:
      whatever_the_file_holds: {warning: 1}
`))
	if err != nil {
		t.Fatal(err)
	}
	hb, st := cfg.Components[0], cfg.Components[1]
	if hb.File.JSON || hb.File.MaxBytes != 1<<20 {
		t.Errorf("heartbeat: %+v", hb.File)
	}
	age, _ := hb.ThresholdsFor(MetricAgeSeconds, "")
	if *age.Excellent != 120 || *age.Warning != 300 || *age.Critical != 900 {
		t.Errorf("default age thresholds = %+v", age)
	}
	if !st.File.JSON || st.File.JSONFields["generations"].String() != "stats.generations" {
		t.Errorf("json_fields implies json: %+v", st.File)
	}
	age, _ = st.ThresholdsFor(MetricAgeSeconds, "")
	if age.Excellent != nil || *age.Warning != 60 {
		t.Errorf("overridden age thresholds = %+v", age)
	}
}

func TestFileConfigInvalid(t *testing.T) {
	const head = "components:\n  - name: hb\n    kind: file\n"
	runInvalid(t, []invalidCase{
		{"no block", head, "line 2: field components[hb].file: a component of kind file needs a \"file\" block"},
		{"no path", head + "    file:\n      json: true\n", "line 5: field file.path: is required"},
		{"relative path", head + "    file:\n      path: run/heartbeat\n", "line 5: field file.path: \"run/heartbeat\" is not an absolute path"},
		{"zero max bytes", head + "    file:\n      path: /x\n      max_bytes: 0\n", "line 6: field file.max_bytes: must be at least 1, got 0"},
		{"bad reading name", head + "    file:\n      path: /x\n      json_fields: {\"a b\": a}\n", "line 6: field file.json_fields.a b: reading name \"a b\" must match"},
		{"reading of the kind", head + "    file:\n      path: /x\n      json_fields: {age_seconds: age}\n", "line 6: field file.json_fields.age_seconds: \"age_seconds\" is a metric of the file kind itself"},
		{"bad path", head + "    file:\n      path: /x\n      json_fields:\n        n: a.\n", "line 7: field path: path \"a.\" has an empty key"},
		{"threshold for no reading", head + "    file:\n      path: /x\n    thresholds:\n      age: {warning: 1}\n",
			"line 5: field components[hb].file: thresholds.age: no reading of this component is called \"age\" (its readings: age_seconds, size_bytes)"},
		{"misspelled field", head + "    file:\n      pth: /x\n", "line 5: field components[hb].file.pth: unknown field"},
	})
}
