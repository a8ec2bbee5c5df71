#!/usr/bin/env bash
# Start-to-ready time, idle RSS and binary size of a release build on SQLite.
# Usage: bench/startup.sh [runs]   (default 10). Loopback only; takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/latchkey"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))
export DSN="sqlite://$work/bench.sqlite?mode=rwc" SECRETS_SYSTEM=bench-secret-0123456789 \
  SERVE_PUBLIC_HOST=127.0.0.1 SERVE_ADMIN_HOST=127.0.0.1 SERVE_PUBLIC_PORT=$port SERVE_ADMIN_PORT=$((port + 1)) LOG_LEVEL=warn
"$bin" migrate sql up -e --yes >/dev/null
total=0; best=999999
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$bin" serve all --dangerous-force-http & pid=$!
  until curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null; do sleep 0.001; done
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  total=$((total + ms)); [ "$ms" -lt "$best" ] && best=$ms
  sleep 1
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" || true
done
size=$(stat -c %s "$bin")
printf '| metric | value |\n|---|---|\n'
printf '| start to /health/ready (mean of %d) | %d ms |\n' "$runs" $((total / runs))
printf '| start to /health/ready (best) | %d ms |\n' "$best"
printf '| idle RSS after 1 s | %d KiB |\n' "$rss"
printf '| release binary | %.1f MB |\n' "$(echo "$size / 1000000" | bc -l)"
