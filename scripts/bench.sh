#!/usr/bin/env bash
# healthmon beside Debian's prometheus-node-exporter, measured in one run on
# this machine; prints one Markdown table (with the machine and the date) to
# stdout, and to the file given as the first argument. Run by `make bench`
# after `make build` and `scripts/install-deps.sh --bench`.
#
# Figures:
#   evaluation  one complete evaluation of the embedded default configuration
#               (go test -bench BenchmarkEvaluateDefault, median of 5)
#   scrape      GET /metrics back to back from 1 and from 50 concurrent
#               keep-alive clients for BENCH_SCRAPE_SECONDS each (p50, p99)
#   CPU         user+system CPU over BENCH_CPU_SECONDS of the default
#               configuration (60 s interval) right after start, scraped
#               every 15 s as a Prometheus would, scaled to an hour
#   memory      resident memory (VmRSS) after that window, and after the
#               scrapes
# node_exporter runs with its default collectors; --web.max-requests=0 so
# that 50 clients are not refused by its limit of 40.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRAPE_SECONDS=${BENCH_SCRAPE_SECONDS:-10}
CPU_SECONDS=${BENCH_CPU_SECONDS:-120}
HEALTHMON=${HEALTHMON:-./healthmon}
NODE_EXPORTER=${NODE_EXPORTER:-$(command -v prometheus-node-exporter || true)}
GO=${GO:-go}

[ -x "$HEALTHMON" ] || { echo "bench: $HEALTHMON not built (make build)" >&2; exit 1; }
[ -n "$NODE_EXPORTER" ] || { echo "bench: prometheus-node-exporter not installed (scripts/install-deps.sh --bench)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_ready() { # url
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: $1 never answered" >&2; exit 1
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{ i = index($0, ") "); split(substr($0, i + 2), f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
field() { # line key
  tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'
}

echo "bench: building the load generator" >&2
$GO build -o "$work/scrapebench" ./internal/cmd/scrapebench

echo "bench: BenchmarkEvaluateDefault (5 runs)" >&2
eval_ns=$($GO test -run '^$' -bench '^BenchmarkEvaluateDefault$' -benchtime 2s -count 5 ./cmd/healthmon/ |
  awk '/^BenchmarkEvaluateDefault/ {print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
eval_ms=$(awk -v n="$eval_ns" 'BEGIN {printf "%.3f", n / 1e6}')

hm_port=$(free_port)
ne_port=$(free_port)
"$HEALTHMON" --web.listen-address="127.0.0.1:$hm_port" --storage.path="$work/data" --log.level=warn 2>"$work/healthmon.log" &
pids+=($!); hm_pid=$!
"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$ne_port" --web.max-requests=0 --log.level=warn 2>"$work/node_exporter.log" &
pids+=($!); ne_pid=$!
hm_url="http://127.0.0.1:$hm_port/metrics"
ne_url="http://127.0.0.1:$ne_port/metrics"
wait_ready "http://127.0.0.1:$hm_port/-/ready"
wait_ready "$ne_url"

echo "bench: CPU over ${CPU_SECONDS}s, one scrape each every 15 s" >&2
hz=$(getconf CLK_TCK)
hm_cpu0=$(cpu_ticks "$hm_pid"); ne_cpu0=$(cpu_ticks "$ne_pid")
end=$((SECONDS + CPU_SECONDS))
while [ $SECONDS -lt $end ]; do
  curl -fsS -o /dev/null "$hm_url"; curl -fsS -o /dev/null "$ne_url"
  left=$((end - SECONDS)); [ $left -gt 15 ] && left=15
  [ $left -gt 0 ] && sleep "$left"
done
hm_cpu1=$(cpu_ticks "$hm_pid"); ne_cpu1=$(cpu_ticks "$ne_pid")
per_hour() { awk -v a="$1" -v b="$2" -v hz="$hz" -v w="$CPU_SECONDS" 'BEGIN {printf "%.1f", (b - a) / hz * 3600 / w}'; }
hm_cph=$(per_hour "$hm_cpu0" "$hm_cpu1")
ne_cph=$(per_hour "$ne_cpu0" "$ne_cpu1")
hm_rss_idle=$(rss_kib "$hm_pid")
ne_rss_idle=$(rss_kib "$ne_pid")

# Warm both up alike.
"$work/scrapebench" -url "$hm_url" -c 1 -d 2s >/dev/null
"$work/scrapebench" -url "$ne_url" -c 1 -d 2s >/dev/null
declare -A res
for c in 1 50; do
  for who in hm ne; do
    url=$hm_url; [ "$who" = ne ] && url=$ne_url
    echo "bench: scraping $url from $c client(s) for ${SCRAPE_SECONDS}s" >&2
    res[$who.$c]=$("$work/scrapebench" -url "$url" -c "$c" -d "${SCRAPE_SECONDS}s")
  done
done
hm_rss=$(rss_kib "$hm_pid")
ne_rss=$(rss_kib "$ne_pid")
hm_eval_live=$(curl -fsS "$hm_url" | awk '/^healthmon_evaluation_duration_seconds / {printf "%.3f", $2 * 1000}')

ratio() { awk -v n="$1" -v h="$2" 'BEGIN { if (h > 0) printf "%.1fx", n / h; else print "n/a" }'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
row() { # label key
  local h n
  h=$(field "${res[hm.$2]}" "$3"); n=$(field "${res[ne.$2]}" "$3")
  printf '| %s | %s ms | %s ms | %s |\n' "$1" "$h" "$n" "$(ratio "$n" "$h")"
}

model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
ne_version=$("$NODE_EXPORTER" --version 2>&1 | head -1)
hm_version=$("$HEALTHMON" --version 2>&1 | head -1)

table=$(cat <<EOF
Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores of ${model:-an unknown CPU}, $mem RAM, Linux $(uname -r), $($GO env GOVERSION);
$hm_version; $ne_version (default collectors).
Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).

| figure | healthmon | node_exporter | node_exporter / healthmon |
|---|---|---|---|
| complete evaluation of the default config | $eval_ms ms (benchmark); $hm_eval_live ms (last, live) | | |
$(row "scrape p50, 1 client" 1 p50_ms)
$(row "scrape p99, 1 client" 1 p99_ms)
$(row "scrape p50, 50 clients" 50 p50_ms)
$(row "scrape p99, 50 clients" 50 p99_ms)
| scrapes per second, 50 clients | $(field "${res[hm.50]}" rps) | $(field "${res[ne.50]}" rps) | |
| bytes per scrape | $(field "${res[hm.1]}" bytes_per_scrape) | $(field "${res[ne.1]}" bytes_per_scrape) | |
| resident memory, idle (after the CPU window) | $(mib "$hm_rss_idle") | $(mib "$ne_rss_idle") | $(ratio "$ne_rss_idle" "$hm_rss_idle") |
| resident memory after the scrapes | $(mib "$hm_rss") | $(mib "$ne_rss") | $(ratio "$ne_rss" "$hm_rss") |
| CPU seconds per hour (60 s interval, a scrape every 15 s) | $hm_cph | $ne_cph | $(ratio "$ne_cph" "$hm_cph") |
EOF
)
# The targets of the issue, stated plainly.
p50h=$(field "${res[hm.1]}" p50_ms); p50n=$(field "${res[ne.1]}" p50_ms)
targets=$(awk -v h="$p50h" -v n="$p50n" -v rh="$hm_rss" -v rn="$ne_rss" -v e="$eval_ms" 'BEGIN {
  printf "Targets: scrape >= 5x faster than node_exporter (p50, 1 client): %s (%.1fx); ", (n >= 5 * h ? "met" : "NOT met"), n / h
  printf "resident memory <= node_exporter'"'"'s (after the scrapes): %s; ", (rh <= rn ? "met" : "NOT met")
  printf "evaluation < 5 ms: %s\n", (e < 5 ? "met" : "NOT met")
}')
printf '%s\n\n%s\n' "$table" "$targets"
if [ -n "${1:-}" ]; then printf '%s\n\n%s\n' "$table" "$targets" >"$1"; fi
