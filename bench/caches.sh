#!/usr/bin/env bash
# What coherent caches cost: the build of commit $BEFORE (default bb85b20: time-bounded caches,
# one node) and this build, alternately on fresh PostgreSQL databases, ROUNDS times (3), client
# credentials tokens/s and introspections/s of one token; the medians and their ratio. Taking
# turns keeps the machine's drift out of the ratio (one run after the other differed by up to
# 30 % here). About two minutes plus the builds.
#
#   bench/caches.sh
#   BEFORE=<commit> ROUNDS=5 bench/caches.sh
#   BEFORE=now HOOK=204 bench/caches.sh    # what a token hook costs (a local one, Node, at once)
#
# Knobs: CONNS (32), THREADS (2), DURATION (8s), WARMUP (3s), and those of bench/lib.sh;
# NOW_ENV: settings for this build's server only; HOOK=204|200: this build calls a token hook
# (bench/hook.mjs on 127.0.0.1:29998) that answers 204, or 200 with one claim.
set -euo pipefail
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-3s}
ROUNDS=${ROUNDS:-3}
BEFORE=${BEFORE:-bb85b20}
HYDRA=0
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || die "wrk is not installed (Debian/Ubuntu: apt-get install wrk)"
[ "$PG" = 1 ] || die "needs PostgreSQL on 127.0.0.1:5432 (.ci/databases.sh starts one)"
BASIC="Basic $(printf 'bench:%s' "$SECRET" | base64 -w0)"
CLIENT='{"client_id": "bench", "client_secret": "'$SECRET'", "grant_types": ["client_credentials"]}'

rps() { # url script
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s "$2" "$1" | awk '/^Requests\/sec:/ {printf "%d", $2}'
}

NOW_ENV=${NOW_ENV:-}
if [ -n "${HOOK:-}" ]; then
  HOOK=$HOOK node "$(dirname "$0")/hook.mjs" &
  PIDS+=($!)
  NOW_ENV="$NOW_ENV OAUTH2_TOKEN_HOOK=http://127.0.0.1:29998/hook"
fi
build_all
lua "$TMP/token.lua" "grant_type=client_credentials" "$BASIC"
for round in $(seq 1 "$ROUNDS"); do
  for which in before now; do
    if [ "$which" = before ]; then bin=$LATCHKEY_BEFORE env=; else bin=$LATCHKEY env=$NOW_ENV; fi
    LK_BIN=$bin LK_ENV=$env start_latchkey postgres
    register "$CLIENT"
    token=$(curl -fsS -u "bench:$SECRET" -d grant_type=client_credentials "$PUBLIC_URL/oauth2/token" |
      sed -E 's/.*"access_token":"([^"]+)".*/\1/')
    lua "$TMP/intro.lua" "token=$token"
    wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$TMP/token.lua" "$PUBLIC_URL/oauth2/token" > /dev/null
    t=$(rps "$PUBLIC_URL/oauth2/token" "$TMP/token.lua")
    i=$(rps "$ADMIN_URL/admin/oauth2/introspect" "$TMP/intro.lua")
    echo "  round $round, $which: $t tokens/s, $i introspections/s" >&2
    echo "$which $t $i" >> "$TMP/rounds"
    stop_server
  done
done

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
echo
echo "$(machine); PostgreSQL; wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS rounds taking turns (medians)${NOW_ENV:+; this build with$NOW_ENV}"
for col in 2 3; do
  name=$([ $col = 2 ] && echo "tokens/s" || echo "introspections/s")
  b=$(awk -v c=$col '$1 == "before" {print $c}' "$TMP/rounds" | median)
  n=$(awk -v c=$col '$1 == "now" {print $c}' "$TMP/rounds" | median)
  awk -v b="$b" -v n="$n" -v name="$name" -v before="$BEFORE" \
    'BEGIN {printf "%-18s @%s %8d   this build %8d   ratio %.2f\n", name, before, b, n, n / b}'
done
