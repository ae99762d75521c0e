# Shared by the benchmark scripts: Release build, a server on free loopback ports with a temp data folder,
# and cleanup of everything started (the caller sets `trap bench_cleanup EXIT`).
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# SERVER_DLL may name another build (e.g. a copy of the server before a change, for before/after figures).
BUILD_SERVER=${SERVER_DLL:+no}
SERVER_DLL=${SERVER_DLL:-"$BENCH_ROOT/src/LearnHub.Server/bin/Release/net10.0/LearnHub.Server.dll"}
PROBE_DLL="$BENCH_ROOT/bench/LearnHub.Bench.Probe/bin/Release/net10.0/LearnHub.Bench.Probe.dll"
BENCH_PIDS=()
BENCH_CHILD=""
BENCH_WORK=$(mktemp -d /tmp/learnhub-bench.XXXXXX)
BENCH_PG_DIR=""
BENCH_SERVICE_PIDS=()

bench_cleanup() {
  local pid
  [[ -n "$BENCH_CHILD" ]] && BENCH_PIDS+=("$BENCH_CHILD")
  for pid in "${BENCH_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true # a paused server (bench/telemetry.sh) takes the TERM when it runs again
  done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  # Redis and PostgreSQL last: the servers above are their clients.
  for pid in "${BENCH_SERVICE_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -n "$BENCH_PG_DIR" ]]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$BENCH_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [[ -n "${KEEP_WORK:-}" ]]; then echo "work folder kept: $BENCH_WORK" >&2; else rm -rf "$BENCH_WORK"; fi
}

# run_tracked CMD…: runs a load generator or client in the background and waits for it, so that a signal to the script
# runs the cleanup at once (bash defers traps while a foreground command runs) and the cleanup stops it too.
run_tracked() {
  "$@" &
  BENCH_CHILD=$!
  local status=0
  wait "$BENCH_CHILD" || status=$?
  BENCH_CHILD=""
  return "$status"
}

bench_build() {
  local project projects=("$@")
  [[ "$BUILD_SERVER" == no ]] || projects=(src/LearnHub.Server/LearnHub.Server.csproj "${projects[@]}")
  for project in "${projects[@]}"; do
    dotnet build -c Release --nologo -v q "$BENCH_ROOT/$project" >"$BENCH_WORK/build.log" 2>&1 \
      || { cat "$BENCH_WORK/build.log" >&2; return 1; }
  done
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# bench_start_server CPU DATA_DIR [extra config args...]: sets GRPC_URL, WEB_URL, SERVER_PID and SERVER_LOG; waits for
# SERVING. The log is $BENCH_WORK/server.log, or $BENCH_WORK/$SERVER_NAME.log when SERVER_NAME is set (several servers).
bench_start_server() {
  local cpu=$1 data=$2
  shift 2
  local grpc_port web_port
  grpc_port=$(free_port)
  web_port=$(free_port)
  GRPC_URL="http://127.0.0.1:$grpc_port"
  WEB_URL="http://127.0.0.1:$web_port"
  # The working directory is the content root: appsettings.json comes from the build output.
  (cd "$(dirname "$SERVER_DLL")" && exec taskset -c "$cpu" dotnet "$SERVER_DLL" \
      "--Kestrel:Endpoints:Grpc:Url=$GRPC_URL" "--Kestrel:Endpoints:Web:Url=$WEB_URL" \
      "--Storage:DataDirectory=$data" "$@") >"$BENCH_WORK/${SERVER_NAME:-server}.log" 2>&1 &
  SERVER_PID=$!
  SERVER_LOG="$BENCH_WORK/${SERVER_NAME:-server}.log"
  BENCH_PIDS+=("$SERVER_PID")
  dotnet "$PROBE_DLL" wait-healthy "$GRPC_URL" 60 || { tail -50 "$SERVER_LOG" >&2; return 1; }
}

BARE_DLL="$BENCH_ROOT/bench/LearnHub.Bench.Bare/bin/Release/net10.0/LearnHub.Bench.Bare.dll"

# bench_start_bare CPU: bare grpc-dotnet serving the same contract (bench/LearnHub.Bench.Bare, built by bench_build
# when named), the baseline; sets GRPC_URL and SERVER_PID and waits for it to print "serving Ping on URL" (its log is
# $BENCH_WORK/bare.log).
bench_start_bare() {
  GRPC_URL="http://127.0.0.1:$(free_port)"
  (cd "$(dirname "$BARE_DLL")" && exec taskset -c "$1" dotnet "$BARE_DLL" --urls "$GRPC_URL") >"$BENCH_WORK/bare.log" 2>&1 &
  SERVER_PID=$!
  BENCH_PIDS+=("$SERVER_PID")
  for _ in $(seq 600); do
    grep -q '^serving Ping' "$BENCH_WORK/bare.log" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$BENCH_WORK/bare.log" >&2
  return 1
}

# bench_apt_install COMMAND:PACKAGE…: installs (as root, from Debian's packages) the packages whose command is missing.
bench_apt_install() {
  local pair missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "installing ${missing[*]}" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

PG_BIN=/usr/lib/postgresql/15/bin
# bench_start_postgres [server settings…]: a private PostgreSQL 15 on a free loopback port in the work folder (initdb
# refuses root: it runs as postgres). Sets PG_PORT; bench_cleanup stops it. Settings go in as -c NAME=VALUE.
bench_start_postgres() {
  local setting options=""
  for setting in "$@"; do options+=" -c $setting"; done
  BENCH_PG_DIR="$BENCH_WORK/pg"
  PG_PORT=$(free_port)
  chmod 711 "$BENCH_WORK"
  mkdir -p "$BENCH_PG_DIR"
  chown postgres "$BENCH_PG_DIR"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$BENCH_PG_DIR/data" -A trust -U postgres >"$BENCH_WORK/initdb.log" 2>&1 \
    || { cat "$BENCH_WORK/initdb.log" >&2; return 1; }
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$BENCH_PG_DIR/data" \
    -o "-p $PG_PORT -k $BENCH_PG_DIR -c listen_addresses=127.0.0.1$options" -l "$BENCH_PG_DIR/postgres.log" -w start >/dev/null \
    || { cat "$BENCH_PG_DIR/postgres.log" >&2; return 1; }
}

# The connection string's tuning for the benchmarks (docs/operations.md): a pool sized for a 2-core database, statements
# prepared once per connection instead of parsed and planned per call. PG_CS_EXTRA="" gives Npgsql's defaults.
PG_CS_EXTRA=${PG_CS_EXTRA-"Maximum Pool Size=16;Max Auto Prepare=20"}
# pg_cs DATABASE [EXTRA]: the server's Storage:ConnectionString for a database of the private PostgreSQL.
pg_cs() { echo "Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=$1${2:+;$2}"; }

# pg_sql DATABASE SQL…: runs SQL through psql on the private server (stops at the first error).
pg_sql() {
  local database=$1
  shift
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$database" "$@"
}

# pg_cpu_ticks: CPU ticks (user + system) of the private PostgreSQL: the postmaster with its reaped children, plus its
# live children (the backends of open connections, background workers).
pg_cpu_ticks() {
  local postmaster
  postmaster=$(head -1 "$BENCH_PG_DIR/data/postmaster.pid")
  {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$postmaster/stat"
    for child in $(cat "/proc/$postmaster/task/$postmaster/children" 2>/dev/null); do
      awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$child/stat" 2>/dev/null || true
    done
  } | awk '{ t += $1 } END { print t + 0 }'
}

# bench_start_redis: a private Redis on a free loopback port, no persistence; sets REDIS_PORT and REDIS_PID (stopped by
# bench_cleanup after the servers).
bench_start_redis() {
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$BENCH_WORK" >"$BENCH_WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  BENCH_SERVICE_PIDS+=("$REDIS_PID")
  for _ in $(seq 100); do
    redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  cat "$BENCH_WORK/redis.log" >&2
  return 1
}

# data_bytes_of H2LOAD_OUTPUT: the DATA bytes h2load received. Every gRPC error answer is trailers-only (no DATA), so a
# fixed-count run whose DATA bytes equal count x the reply's frame size proves every call was answered with a message,
# not only with HTTP 200 (which a refused call gets too).
data_bytes_of() { awk '/^traffic:/ { for (i = 1; i <= NF; i++) if ($i == "data") { v = $(i - 1); gsub(/[()]/, "", v); print v } }' "$1"; }

# mint_token HANDLE DATA_DIR: the documented operator command.
mint_token() {
  dotnet "$SERVER_DLL" token --user "$1" --data-dir "$2"
}

machine_line() {
  echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -h | awk '/^Mem:/ {print $2}') RAM, .NET SDK $(dotnet --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
