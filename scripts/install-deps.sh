#!/usr/bin/env bash
# Installs what the tests need when it is missing: Debian's Prometheus,
# Alertmanager (amtool), monitoring plugins and, for `make bench`,
# node_exporter; and staticcheck through the Go module proxy.
# Runs `apt-get update` at most once, and only when something is missing.
set -euo pipefail

want_bins=(promtool:prometheus prometheus:prometheus amtool:prometheus-alertmanager
           prometheus-alertmanager:prometheus-alertmanager
           /usr/lib/nagios/plugins/check_dummy:monitoring-plugins-basic)
if [ "${1:-}" = "--bench" ]; then
  want_bins+=(prometheus-node-exporter:prometheus-node-exporter)
fi

missing=()
for pair in "${want_bins[@]}"; do
  bin=${pair%%:*}; pkg=${pair##*:}
  if [[ $bin == /* ]]; then [ -x "$bin" ] && continue; else command -v "$bin" >/dev/null 2>&1 && continue; fi
  [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]} (run as root or install them)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends keeps the install small; the packages' own
  # services are not wanted (tests start their own on loopback).
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the daemons it installs where systemd runs; stop them so
  # they hold no ports the tests might want.
  for svc in prometheus prometheus-alertmanager prometheus-node-exporter; do
    if command -v systemctl >/dev/null 2>&1; then systemctl stop "$svc" >/dev/null 2>&1 || true; fi
  done
fi

STATICCHECK_VERSION=v0.8.2
gobin=$(go env GOPATH)/bin
if ! "$gobin/staticcheck" -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
  echo "install-deps: installing staticcheck ${STATICCHECK_VERSION}"
  (cd / && GOFLAGS=-mod=mod go install "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}")
fi
