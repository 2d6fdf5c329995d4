// Package e2e holds healthmon's end-to-end tests of the shipped rules,
// Alertmanager configuration and dashboards: the healthmon binary, a real
// Prometheus and a real Alertmanager on loopback, and promtool and amtool.
// Everything is in its _test.go files; `make test` runs it.
package e2e
