// Package loadtest holds healthmon's load and fault tests, run against the
// built binary on loopback. The fault tests run with every `go test`; the
// load tests, which take minutes and need no race detector, only with
// `-tags loadtest` (`make loadtest`, part of `make test`).
package loadtest
