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

bench_cleanup() {
  local pid
  [[ -n "$BENCH_CHILD" ]] && BENCH_PIDS+=("$BENCH_CHILD")
  for pid in "${BENCH_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
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

# bench_start_server CPU DATA_DIR [extra config args...]: sets GRPC_URL, WEB_URL and SERVER_PID; waits for SERVING.
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
      "--Storage:DataDirectory=$data" "$@") >"$BENCH_WORK/server.log" 2>&1 &
  SERVER_PID=$!
  BENCH_PIDS+=("$SERVER_PID")
  dotnet "$PROBE_DLL" wait-healthy "$GRPC_URL" 60 || { tail -50 "$BENCH_WORK/server.log" >&2; return 1; }
}

# mint_token HANDLE DATA_DIR: the documented operator command.
mint_token() {
  dotnet "$SERVER_DLL" token --user "$1" --data-dir "$2"
}

machine_line() {
  echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -h | awk '/^Mem:/ {print $2}') RAM, .NET SDK $(dotnet --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
