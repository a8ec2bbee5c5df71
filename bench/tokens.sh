#!/usr/bin/env bash
# Client credentials tokens/s and introspections/s, in one run: Latchkey and Ory Hydra v2.3.0,
# each on SQLite and on PostgreSQL, and oidc-provider v9 (in memory, Node 22), under the same
# load. Loopback only; about three minutes, plus the first builds and npm install.
#
#   bench/tokens.sh                  # every server
#   HYDRA=0 PEER=0 bench/tokens.sh   # Latchkey only (PG=0: SQLite only)
#
# On PostgreSQL it also measures the caches (unless NODES=0): the build of commit $BEFORE
# (default bb85b20, before coherent caches: time-bounded caches, one node), this build with
# caching off (CACHE_ENABLED=false), and two nodes of this build on one database with the load
# split between them (CONNS/2 connections each, rates added).
#
# Client secrets are hashed on every server as it ships: Latchkey argon2id (with its cache of
# verified secrets), Hydra PBKDF2-SHA256 with 25,000 iterations (its default hasher), and
# oidc-provider compares them in clear (it stores them so).
#
# Knobs: CONNS (32), THREADS (2), DURATION (10s), WARMUP (3s), and those of bench/lib.sh.
set -euo pipefail
CONNS=${CONNS:-32}
NODES=${NODES:-1}
if [ "$NODES" = 1 ]; then BEFORE=${BEFORE-bb85b20}; fi
THREADS=${THREADS:-2}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || die "wrk is not installed (Debian/Ubuntu: apt-get install wrk)"
BASIC="Basic $(printf 'bench:%s' "$SECRET" | base64 -w0)"

# load NAME URL SCRIPT: warm up, measure, append a result row.
load() {
  local name=$1 url=$2 script=$3 out
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
  rss=$(awk '/^VmRSS:/ {r = $2} /^RssAnon:/ {a = $2} END {printf "%d MB (%d anon)", r/1024, a/1024}' "/proc/$SERVER_PID/status")
  printf '%s|%s|%s|%s|%s\n' "$name" "$rps" "$p50" "$p99" "$rss" >> "$TMP/results"
  echo "  $name: $rps/s (p50 $p50, p99 $p99, RSS $rss)" >&2
}

# load2 NAME URL_A URL_B SCRIPT: the load split over two nodes (two wrk, half the connections
# each, started together); the row has the rates added, the first node's latencies, both RSS.
load2() {
  local name=$1 half=$((CONNS / 2)) out_a out_b first
  wrk -t1 -c"$half" -d"$WARMUP" -s "$4" "$2" > /dev/null &
  first=$!
  wrk -t1 -c"$half" -d"$WARMUP" -s "$4" "$3" > /dev/null
  wait "$first"
  wrk -t1 -c"$half" -d"$DURATION" --latency -s "$4" "$2" > "$TMP/wrk-a" &
  first=$!
  wrk -t1 -c"$half" -d"$DURATION" --latency -s "$4" "$3" > "$TMP/wrk-b"
  wait "$first"
  out_a=$(cat "$TMP/wrk-a"); out_b=$(cat "$TMP/wrk-b")
  if grep -q 'Non-2xx' <<<"$out_a$out_b"; then
    echo "$out_a$out_b" >&2
    die "$name: some responses were errors; the figure would be meaningless"
  fi
  local rps p50 p99 rss
  rps=$(awk '/^Requests\/sec:/ {s += $2} END {printf "%d", s}' "$TMP/wrk-a" "$TMP/wrk-b")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out_a")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out_a")
  rss=$(awk '/^VmRSS:/ {r += $2} END {printf "%d MB (two processes)", r/1024}' "/proc/$SERVER_PID/status" "/proc/$SERVER_PID2/status")
  printf '%s|%s|%s|%s|%s\n' "$name" "$rps" "$p50" "$p99" "$rss" >> "$TMP/results"
  echo "  $name: $rps/s (p50 $p50, p99 $p99, RSS $rss)" >&2
}

# measure NAME TOKEN_URL INTROSPECT_URL [INTROSPECT_AUTH]: one token beforehand, then both loads.
measure() {
  local name=$1 token_url=$2 intro_url=$3 token
  token=$(curl -fsS -u "bench:$SECRET" -d grant_type=client_credentials "$token_url" |
    sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  [ -n "$token" ] || die "$name: no token"
  lua "$TMP/token.lua" "grant_type=client_credentials" "$BASIC"
  lua "$TMP/intro.lua" "token=$token" "${4:-}"
  load "$name token" "$token_url" "$TMP/token.lua"
  load "$name introspect" "$intro_url" "$TMP/intro.lua"
}

# distinct NAME TOKEN_URL INTROSPECT_URL: introspection spread over every token issued in 5 s (each
# seen about once a second or less), so that Latchkey's one-second record cache does not serve it.
distinct() {
  local name=$1 token_url=$2 intro_url=$3
  : > "$TMP/tokens.txt"
  cat > "$TMP/collect.lua" <<LUA
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
  cat > "$TMP/many.lua" <<LUA
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
  wrk -t"$THREADS" -c"$CONNS" -d5s -s "$TMP/collect.lua" "$token_url" > /dev/null
  echo "  ($(wc -l < "$TMP/tokens.txt") distinct tokens issued for the next load)" >&2
  load "$name introspect (distinct)" "$intro_url" "$TMP/many.lua"
}

build_all
CLIENT='{"client_id": "bench", "client_secret": "'$SECRET'", "grant_types": ["client_credentials"]}'
for db in "${DATABASES[@]}"; do
  echo "Latchkey $("$LATCHKEY" version | awk '{print $2}') on $db" >&2
  start_latchkey "$db"
  register "$CLIENT"
  measure "latchkey/$db" "$PUBLIC_URL/oauth2/token" "$ADMIN_URL/admin/oauth2/introspect"
  distinct "latchkey/$db" "$PUBLIC_URL/oauth2/token" "$ADMIN_URL/admin/oauth2/introspect"
  stop_server
  if [ "$db" = postgres ] && [ "$NODES" = 1 ]; then
    if [ -n "${LATCHKEY_BEFORE:-}" ]; then
      echo "Latchkey at $BEFORE on $db" >&2
      LK_BIN=$LATCHKEY_BEFORE start_latchkey "$db"
      register "$CLIENT"
      measure "latchkey@$BEFORE/$db" "$PUBLIC_URL/oauth2/token" "$ADMIN_URL/admin/oauth2/introspect"
      stop_server
    fi
    echo "Latchkey on $db, caching off" >&2
    LK_ENV=CACHE_ENABLED=false start_latchkey "$db"
    register "$CLIENT"
    measure "latchkey/$db cache off" "$PUBLIC_URL/oauth2/token" "$ADMIN_URL/admin/oauth2/introspect"
    stop_server
    echo "Latchkey on $db, two nodes" >&2
    start_latchkey "$db"
    FIRST_PID=$SERVER_PID
    LK_DSN=$LATCHKEY_DSN LK_PUBLIC_PORT=$((PUBLIC_PORT + 10)) LK_ADMIN_PORT=$((ADMIN_PORT + 10)) start_latchkey "$db"
    SERVER_PID2=$SERVER_PID SERVER_PID=$FIRST_PID
    register "$CLIENT"
    token=$(curl -fsS -u "bench:$SECRET" -d grant_type=client_credentials "$PUBLIC_URL/oauth2/token" |
      sed -E 's/.*"access_token":"([^"]+)".*/\1/')
    lua "$TMP/token.lua" "grant_type=client_credentials" "$BASIC"
    lua "$TMP/intro.lua" "token=$token"
    load2 "latchkey/$db 2 nodes token" "$PUBLIC_URL/oauth2/token" "http://127.0.0.1:$((PUBLIC_PORT + 10))/oauth2/token" "$TMP/token.lua"
    load2 "latchkey/$db 2 nodes introspect" "$ADMIN_URL/admin/oauth2/introspect" "http://127.0.0.1:$((ADMIN_PORT + 10))/admin/oauth2/introspect" "$TMP/intro.lua"
    kill "$SERVER_PID2" 2>/dev/null || true
    wait "$SERVER_PID2" 2>/dev/null || true
    stop_server
  fi
  if [ "$HYDRA" = 1 ]; then
    echo "Hydra v2.3.0 on $db" >&2
    start_hydra "$db"
    register "$CLIENT"
    measure "hydra/$db" "$PUBLIC_URL/oauth2/token" "$ADMIN_URL/admin/oauth2/introspect"
    stop_server
  fi
done
if [ "$PEER" = 1 ]; then
  start_op
  echo "oidc-provider $("$NODE" -p "require('$WORK/node_modules/oidc-provider/package.json').version") on Node $("$NODE" --version)" >&2
  measure "oidc-provider" "http://127.0.0.1:$OP_PORT/token" "http://127.0.0.1:$OP_PORT/token/introspection" "$BASIC"
  stop_server
fi

# --- Report ---------------------------------------------------------------------------------
echo
echo "$(machine); wrk -t$THREADS -c$CONNS -d$DURATION after a $WARMUP warm-up"
printf '%-40s %12s %10s %10s  %s\n' "server / endpoint" "requests/s" "p50" "p99" "RSS"
while IFS='|' read -r name rps p50 p99 rss; do
  printf '%-40s %12s %10s %10s  %s\n' "$name" "$rps" "$p50" "$p99" "$rss"
done < "$TMP/results"
echo
for what in token introspect; do
  for db in "${DATABASES[@]}"; do
    ratio "latchkey/$db vs hydra/$db, $what:" "latchkey/$db $what" "hydra/$db $what"
  done
  ratio "latchkey/sqlite vs oidc-provider, $what:" "latchkey/sqlite $what" "oidc-provider $what"
  if [ -n "${BEFORE:-}" ]; then
    ratio "coherent vs @$BEFORE (postgres), $what:" "latchkey/postgres $what" "latchkey@$BEFORE/postgres $what"
  fi
  ratio "cache off vs on (postgres), $what:" "latchkey/postgres cache off $what" "latchkey/postgres $what"
  ratio "2 nodes vs 1 (postgres), $what:" "latchkey/postgres 2 nodes $what" "latchkey/postgres $what"
  ratio "2 nodes vs hydra (postgres), $what:" "latchkey/postgres 2 nodes $what" "hydra/postgres $what"
done
