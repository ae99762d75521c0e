#!/usr/bin/env bash
# What a Ping call allocates on the server, and how often the GC runs for it, with telemetry off and on, beside bare
# grpc-dotnet serving the same contract (bench/LearnHub.Bench.Bare). Each server runs alone on CPU 0 (h2load on CPU 1):
# WARMUP calls, then CALLS calls measured by dotnet-counters (the runtime's System.Runtime meter, read once a second:
# dotnet.gc.heap.total_allocated and dotnet.gc.collections) and the server's CPU time from /proc. The per-second rates
# summed over the session agree within a few hundred bytes a call from run to run: enough to set LearnHub beside bare
# grpc-dotnet, not to see less. ROWS: any of bare off metrics traced (traced: every meter, spans capped at
# MaxTracesPerSecond 100 and recorded with no exporter attached: Telemetry:Tracing=true).
# Env: CALLS (500000), WARMUP (300000), CONNS (20), STREAMS (20 per connection), ROWS ("bare off metrics traced").
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap bench_cleanup EXIT
CALLS=${CALLS:-500000} WARMUP=${WARMUP:-300000} CONNS=${CONNS:-20} STREAMS=${STREAMS:-20}
read -r -a rows <<<"${ROWS:-bare off metrics traced}"

bench_apt_install h2load:nghttp2-client
bench_build bench/LearnHub.Bench.Probe/LearnHub.Bench.Probe.csproj bench/LearnHub.Bench.Bare/LearnHub.Bench.Bare.csproj
# dotnet-counters, from the NuGet feed, into the work folder (removed with it).
dotnet tool install --tool-path "$BENCH_WORK/tools" dotnet-counters --version "${COUNTERS_VERSION:-10.0.750501}" >"$BENCH_WORK/tool.log" 2>&1 \
  || { cat "$BENCH_WORK/tool.log" >&2; exit 1; }
machine_line
echo "LearnHub: $(git -C "$BENCH_ROOT" rev-parse --short HEAD)$(git -C "$BENCH_ROOT" diff --quiet HEAD -- src || echo ' + uncommitted changes in src/')"
dotnet "$PROBE_DLL" bodies "$BENCH_WORK/bodies" >/dev/null
PING=/learnhub.v1.DiagnosticsService/Ping

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
load() { # URL TOKEN CALLS
  taskset -c 1 h2load "$1$PING" -d "$BENCH_WORK/bodies/ping.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    -H "authorization: Bearer $2" -c "$CONNS" -m "$STREAMS" -n "$3" >"$BENCH_WORK/h2load.txt"
  grep -q "^requests: $3 total, $3 started, $3 done, $3 succeeded" "$BENCH_WORK/h2load.txt" \
    || { cat "$BENCH_WORK/h2load.txt" >&2; return 1; }
}

echo "| server | bytes allocated per call | GCs per 10,000 calls (gen0 / gen1 / gen2) | server CPU µs per call |"
echo "|---|---:|---:|---:|"
for row in "${rows[@]}"; do
  data="$BENCH_WORK/$row-data"
  mkdir -p "$data"
  token=""
  case $row in
    bare) bench_start_bare 0; token=none ;; # it ignores metadata
    off) SERVER_NAME=$row bench_start_server 0 "$data" --Telemetry:Enabled=false ;;
    metrics) SERVER_NAME=$row bench_start_server 0 "$data" --Telemetry:Enabled=true --Telemetry:Tracing=false ;;
    traced) SERVER_NAME=$row bench_start_server 0 "$data" --Telemetry:Enabled=true --Telemetry:Tracing=true ;;
    *) echo "unknown row '$row' (rows: bare off metrics traced)" >&2; exit 2 ;;
  esac
  [[ -n $token ]] || token=$(mint_token xiaowang "$data")
  load "$GRPC_URL" "$token" "$WARMUP"
  "$BENCH_WORK/tools/dotnet-counters" collect -p "$SERVER_PID" --counters System.Runtime --format csv \
    -o "$BENCH_WORK/$row.csv" --refresh-interval 1 >"$BENCH_WORK/counters-$row.log" 2>&1 &
  counters=$!
  # The load starts once the session has reported (its first report can take seconds to come).
  for _ in $(seq 300); do grep -q total_allocated "$BENCH_WORK/$row.csv" 2>/dev/null && break; sleep 0.1; done
  grep -q total_allocated "$BENCH_WORK/$row.csv" || { cat "$BENCH_WORK/counters-$row.log" >&2; exit 1; }
  sleep 2
  before=$(cpu_ticks "$SERVER_PID")
  load "$GRPC_URL" "$token" "$CALLS"
  ticks=$(($(cpu_ticks "$SERVER_PID") - before))
  # The session ends once it has written a report stamped 2 s after the load: its reports reach the file seconds late,
  # and a count of reports written since would end it before the load's own.
  until_stamp=$(($(date +%s) + 2))
  for _ in $(seq 300); do
    last=$(grep total_allocated "$BENCH_WORK/$row.csv" | tail -1 | cut -d, -f1)
    (($(date -d "$last" +%s) >= until_stamp)) && break
    sleep 0.1
  done
  kill "$counters" 2>/dev/null || true # it writes each report as it comes (SIGINT is ignored in a background job)
  wait "$counters" 2>/dev/null || true
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  # Rates a second, reported each second: their sum is the total over the session (idle seconds add their little).
  awk -F, -v row="$row" -v calls="$CALLS" -v ticks="$ticks" -v hz="$(getconf CLK_TCK)" '
    $3 ~ /^dotnet.gc.heap.total_allocated/ { bytes += $NF }
    $3 ~ /^dotnet.gc.collections/ { g = $3; sub(/.*generation=/, "", g); sub(/\].*/, "", g); gc[g] += $NF }
    END { printf "| %s | %.0f | %.1f / %.1f / %.1f | %.1f |\n", row, bytes / calls, gc["gen0"] * 1e4 / calls,
            gc["gen1"] * 1e4 / calls, gc["gen2"] * 1e4 / calls, ticks / hz * 1e6 / calls }' "$BENCH_WORK/$row.csv"
done
echo "h2load -c $CONNS -m $STREAMS -n $CALLS on Ping after $WARMUP unmeasured calls, each server alone on CPU 0"
