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

.PHONY: all build deps test lint unit rules promtool bench clean

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

test: deps lint rules unit

bench: build
	./scripts/install-deps.sh --bench
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./... | tee bench.txt

clean:
	rm -f healthmon bench.txt
