# healthmon: `make test` runs every test and installs what they need.
GO        ?= go
GOBIN     := $(shell $(GO) env GOPATH)/bin
VERSION   := $(shell cat VERSION)
REVISION  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BRANCH    := $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
# The same flags build the release binary here and in the Dockerfile.
LDFLAGS   := -s -w \
	-X github.com/prometheus/common/version.Version=$(VERSION) \
	-X github.com/prometheus/common/version.Revision=$(REVISION) \
	-X github.com/prometheus/common/version.Branch=$(BRANCH)
BUILDFLAGS := -trimpath -tags netgo,osusergo -ldflags "$(LDFLAGS)"

.PHONY: all build deps test lint unit rules loadtest fuzz promtool bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build $(BUILDFLAGS) -o healthmon ./cmd/healthmon

deps:
	./scripts/install-deps.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

# HEALTHMON_REQUIRE_TOOLS=1 turns "tool not installed, skipping" into a
# failure, so `make test` never passes without the real Prometheus,
# Alertmanager and plugins.
unit:
	HEALTHMON_REQUIRE_TOOLS=1 $(GO) test -race -count=1 -timeout 20m ./...

# The shipped Prometheus rules, their unit tests and the example configs;
# the dashboards' queries are checked in ./e2e (promtool and a live Prometheus).
rules:
	promtool check rules rules/healthmon.rules.yml
	promtool test rules rules/tests/*.yml
	promtool check config examples/prometheus.yml
	amtool check-config examples/alertmanager.yml

# The load tests against the built binary (200 concurrent scrapers for 30 s;
# Debian's Prometheus scraping through reloads), without -race, which would
# measure the detector; with the fault tests again (they also run in unit),
# verbose so that every figure is printed.
loadtest:
	$(GO) vet -tags loadtest ./loadtest/
	$(GOBIN)/staticcheck -tags loadtest ./loadtest/
	HEALTHMON_REQUIRE_TOOLS=1 $(GO) test -tags loadtest -count=1 -v -timeout 10m ./loadtest/

# Every fuzz target for FUZZTIME each (their seed corpora run in unit).
FUZZTIME ?= 30s
fuzz:
	@grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r pkg; do \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$pkg/*_test.go | cut -c6-); do \
			echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

test: deps lint rules unit loadtest

# The table of figures beside node_exporter (scripts/bench.sh, ~4 min), then
# every Go benchmark; all of it also into bench.txt.
bench: build
	./scripts/install-deps.sh --bench
	./scripts/bench.sh bench.txt
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./... | tee -a bench.txt

clean:
	rm -f healthmon bench.txt
