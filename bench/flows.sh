#!/usr/bin/env bash
# Complete browser login flows per second, in one run: authorization request with PKCE → login
# accepted → consent accepted → code → token request with an RS256 ID token. Latchkey and Ory
# Hydra v2.3.0, each on SQLite and on PostgreSQL, driven through the same admin challenge API by
# the same load driver (which is their login/consent app), and oidc-provider v9 (in memory, Node
# 22, interaction pages that finish at once). Loopback only; about two minutes, plus the builds.
#
#   bench/flows.sh                  # every server
#   HYDRA=0 PEER=0 bench/flows.sh   # Latchkey only (PG=0: SQLite only)
#   BEFORE=<commit> bench/flows.sh  # also the build of that commit, right after this one
#
# Knobs: CONC (concurrent users, 32), DURATION (10 s), WARMUP (3 s), and those of bench/lib.sh.
set -euo pipefail
CONC=${CONC:-32}
DURATION=${DURATION:-10}
[ "$DURATION" -ge 2 ] || { echo "bench: DURATION must be at least 2 (seconds)" >&2; exit 1; }
WARMUP=${WARMUP:-3}
CALLBACK=http://127.0.0.1:29999/cb
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# drive NAME [env…]: run the load driver against the server; append a result row with the
# flows/s, latencies, and the CPU the server and the driver used (they share the machine).
drive() {
  local name=$1
  shift
  env CONC="$CONC" WARMUP="$WARMUP" DURATION="$DURATION" "$@" "$DRIVER" > "$TMP/out" &
  local dpid=$!
  sleep "$WARMUP"
  # CPU is sampled over all but the last second of the measured time, while the driver still runs.
  local s0 d0 s1 d1 window=$((DURATION - 1))
  s0=$(ticks "$SERVER_PID"); d0=$(ticks "$dpid")
  sleep "$window"
  s1=$(ticks "$SERVER_PID"); d1=$(ticks "$dpid")
  wait "$dpid" || die "$name: the load driver failed (see above)"
  read -r fps p50 p99 rpf < "$TMP/out"
  local hz cores dcores
  hz=$(getconf CLK_TCK)
  cores=$(awk -v a="$s0" -v b="$s1" -v hz="$hz" -v d="$window" 'BEGIN {printf "%.2f", (b - a) / hz / d}')
  dcores=$(awk -v a="$d0" -v b="$d1" -v hz="$hz" -v d="$window" 'BEGIN {printf "%.2f", (b - a) / hz / d}')
  printf '%s|%s|%s|%s|%s|%s|%s\n' "$name" "$fps" "$p50" "$p99" "$rpf" "$cores" "$dcores" >> "$TMP/results"
  echo "  $name: $fps flows/s (p50 $p50 ms, p99 $p99 ms, $rpf requests per flow; server $cores cores, driver $dcores)" >&2
}

build_all --example flowload
DRIVER=$TARGET/examples/flowload
CLIENT='{"client_id": "bench", "client_secret": "'$SECRET'", "grant_types": ["authorization_code"],
  "response_types": ["code"], "scope": "openid", "redirect_uris": ["'$CALLBACK'"]}'
challenge_api() { # NAME [env…]: drive a server that speaks Hydra's challenge API
  local name=$1
  shift
  drive "$name" AUTH_URL="$PUBLIC_URL/oauth2/auth" TOKEN_URL="$PUBLIC_URL/oauth2/token" \
    ADMIN_URL="$ADMIN_URL" CLIENT_ID=bench CLIENT_SECRET="$SECRET" REDIRECT_URI="$CALLBACK" "$@"
}
# Hydra on SQLite answers concurrent flows with "database is locked" (500s, even with WAL and a
# busy timeout): it is measured with one user at a time, and Latchkey on SQLite with one user too,
# for a like-for-like ratio.
SOLO=${SOLO:-1}
for db in "${DATABASES[@]}"; do
  echo "Latchkey $("$LATCHKEY" version | awk '{print $2}') on $db" >&2
  start_latchkey "$db"
  register "$CLIENT"
  challenge_api "latchkey/$db"
  if [ "$db" = sqlite ] && [ "$HYDRA" = 1 ]; then
    challenge_api "latchkey/sqlite/$SOLO" CONC="$SOLO"
  fi
  stop_server
  if [ -n "${LATCHKEY_BEFORE:-}" ]; then
    echo "Latchkey at $BEFORE on $db" >&2
    LK_BIN=$LATCHKEY_BEFORE start_latchkey "$db"
    register "$CLIENT"
    challenge_api "latchkey@$BEFORE/$db"
    stop_server
  fi
  if [ "$HYDRA" = 1 ]; then
    echo "Hydra v2.3.0 on $db" >&2
    start_hydra "$db"
    register "$CLIENT"
    if [ "$db" = sqlite ]; then
      challenge_api "hydra/sqlite/$SOLO" CONC="$SOLO"
    else
      challenge_api "hydra/$db"
    fi
    stop_server
  fi
done
if [ "$PEER" = 1 ]; then
  start_op
  echo "oidc-provider $("$NODE" -p "require('$WORK/node_modules/oidc-provider/package.json').version") on Node $("$NODE" --version)" >&2
  drive "oidc-provider" \
    AUTH_URL="http://127.0.0.1:$OP_PORT/auth" TOKEN_URL="http://127.0.0.1:$OP_PORT/token" \
    ADMIN_URL= CLIENT_ID=flows CLIENT_SECRET="$SECRET" REDIRECT_URI="$CALLBACK"
  stop_server
fi

# --- Report ---------------------------------------------------------------------------------
echo
echo "$(machine); $CONC concurrent users, ${DURATION} s after a ${WARMUP} s warm-up"
printf '%-20s %10s %10s %10s %13s %13s %13s\n' "server" "flows/s" "p50 ms" "p99 ms" "requests/flow" "server cores" "driver cores"
while IFS='|' read -r name fps p50 p99 rpf cores dcores; do
  printf '%-20s %10s %10s %10s %13s %13s %13s\n' "$name" "$fps" "$p50" "$p99" "$rpf" "$cores" "$dcores"
done < "$TMP/results"
echo
ratio "latchkey/sqlite vs hydra/sqlite, $SOLO user(s):" "latchkey/sqlite/$SOLO" "hydra/sqlite/$SOLO"
ratio "latchkey/postgres vs hydra/postgres:" "latchkey/postgres" "hydra/postgres"
ratio "latchkey/sqlite vs oidc-provider:" "latchkey/sqlite" "oidc-provider"
if [ -n "${BEFORE:-}" ]; then
  for db in "${DATABASES[@]}"; do
    ratio "latchkey/$db vs @$BEFORE:" "latchkey/$db" "latchkey@$BEFORE/$db"
  done
fi
