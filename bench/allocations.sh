#!/usr/bin/env bash
# What a Ping call allocates on the server, and how often the GC runs for it, with telemetry off and on, beside bare
# grpc-dotnet serving the same contract (bench/LearnHub.Bench.Bare). Each server runs alone on CPU 0 (h2load on CPU 1):
# WARMUP calls, then CALLS calls measured by dotnet-counters (the runtime's System.Runtime meter, read once a second:
# dotnet.gc.heap.total_allocated and dotnet.gc.collections) and the server's CPU time from /proc. The per-second rates
# summed over the session agree within a few hundred bytes a call from run to run: enough to set LearnHub beside bare
# grpc-dotnet, not to see less. ROWS: any of bare off metrics traced (traced: every meter, spans capped at
# MaxTracesPerSecond 100 and recorded with no exporter attached: Telemetry:Tracing=true).
# BY_TYPE=1 adds, per row, the types that allocate most (bench/LearnHub.Bench.AllocationTypes, a startup hook that
# reads the runtime's allocation ticks, one about every 100 KB, in process): a sample by bytes, so a type's figure is
# good to a few per cent of the total; listening costs the server some CPU, so its CPU column is not comparable then.
# Env: CALLS (500000), WARMUP (300000), CONNS (20), STREAMS (20 per connection), ROWS ("bare off metrics traced"),
# BY_TYPE (0), TOP (20 types per row).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap bench_cleanup EXIT
CALLS=${CALLS:-500000} WARMUP=${WARMUP:-300000} CONNS=${CONNS:-20} STREAMS=${STREAMS:-20}
read -r -a rows <<<"${ROWS:-bare off metrics traced}"
BY_TYPE=${BY_TYPE:-0} TOP=${TOP:-20}

bench_apt_install h2load:nghttp2-client
bench_build bench/LearnHub.Bench.Probe/LearnHub.Bench.Probe.csproj bench/LearnHub.Bench.Bare/LearnHub.Bench.Bare.csproj \
  bench/LearnHub.Bench.AllocationTypes/LearnHub.Bench.AllocationTypes.csproj
HOOK_DLL="$BENCH_ROOT/bench/LearnHub.Bench.AllocationTypes/bin/Release/net10.0/LearnHub.Bench.AllocationTypes.dll"
# dotnet-counters, from the NuGet feed, into the work folder (removed with it).
dotnet tool install --tool-path "$BENCH_WORK/tools" dotnet-counters --version "${COUNTERS_VERSION:-10.0.750501}" >"$BENCH_WORK/tool.log" 2>&1 \
  || { cat "$BENCH_WORK/tool.log" >&2; exit 1; }
machine_line
echo "LearnHub: $(git -C "$BENCH_ROOT" rev-parse --short HEAD)$(git -C "$BENCH_ROOT" diff --quiet HEAD -- src || echo ' + uncommitted changes in src/')"
dotnet "$PROBE_DLL" bodies "$BENCH_WORK/bodies" >/dev/null
PING=/learnhub.v1.DiagnosticsService/Ping

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Ping's reply, an empty message, is a 5-byte frame: every call answered with it, none refused (a refusal is an HTTP
# 200 too, and allocates its own error details).
PING_FRAME=5
load() { # URL TOKEN CALLS
  taskset -c 1 h2load "$1$PING" -d "$BENCH_WORK/bodies/ping.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    -H "authorization: Bearer $2" -c "$CONNS" -m "$STREAMS" -n "$3" >"$BENCH_WORK/h2load.txt"
  [[ $(data_bytes_of "$BENCH_WORK/h2load.txt") == $(($3 * PING_FRAME)) ]] \
    || { echo "some of the $3 calls were not answered with Ping's reply:" >&2; cat "$BENCH_WORK/h2load.txt" >&2; return 1; }
}
# As unary.sh and telemetry.sh: the rate limiter lets every call through (it still runs).
common=(--RateLimits:ReadsPerSecond=100000000 --RateLimits:ReadBurst=100000000 --Logging:LogLevel:Default=Warning)

# Waits for the hook's next write a whole second from now (it writes every second), then keeps a copy.
types_copy() { # FILE COPY
  local since=$(($(date +%s) + 1))
  for _ in $(seq 100); do [[ -f $1 ]] && (($(stat -c %Y "$1") >= since)) && break; sleep 0.1; done
  cp "$1" "$2"
}

echo "| server | bytes allocated per call | GCs per 10,000 calls (gen0 / gen1 / gen2) | server CPU µs per call |"
echo "|---|---:|---:|---:|"
for row in "${rows[@]}"; do
  data="$BENCH_WORK/$row-data"
  mkdir -p "$data"
  token=""
  types="$BENCH_WORK/$row-types.tsv"
  if [[ $BY_TYPE == 1 ]]; then
    export DOTNET_STARTUP_HOOKS="$HOOK_DLL" ALLOCATION_TYPES_FILE="$types"
  fi
  case $row in
    bare) bench_start_bare 0; token=none ;; # it ignores metadata
    off) SERVER_NAME=$row bench_start_server 0 "$data" "${common[@]}" --Telemetry:Enabled=false ;;
    metrics) SERVER_NAME=$row bench_start_server 0 "$data" "${common[@]}" --Telemetry:Enabled=true --Telemetry:Tracing=false ;;
    traced) SERVER_NAME=$row bench_start_server 0 "$data" "${common[@]}" --Telemetry:Enabled=true --Telemetry:Tracing=true ;;
    *) echo "unknown row '$row' (rows: bare off metrics traced)" >&2; exit 2 ;;
  esac
  unset DOTNET_STARTUP_HOOKS ALLOCATION_TYPES_FILE
  [[ -n $token ]] || token=$(mint_token xiaowang "$data")
  load "$GRPC_URL" "$token" "$WARMUP"
  [[ $BY_TYPE != 1 ]] || types_copy "$types" "$types.before"
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
  [[ $BY_TYPE != 1 ]] || types_copy "$types" "$types.after"
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
  if [[ $BY_TYPE == 1 ]]; then
    # The load's share: totals after it less totals before it, per type.
    awk -F'\t' -v calls="$CALLS" 'FNR == NR { before[$3] = $1; seen[$3] = $2; next }
      { printf "%.0f\t%d\t%s\n", ($1 - before[$3]) / calls, $2 - seen[$3], $3 }' "$types.before" "$types.after" \
      | sort -t$'\t' -k1,1nr | awk -v top="$TOP" 'NR <= top' >"$types.top"
  fi
done
echo "h2load -c $CONNS -m $STREAMS -n $CALLS on Ping after $WARMUP unmeasured calls, each server alone on CPU 0"
if [[ $BY_TYPE == 1 ]]; then
  for row in "${rows[@]}"; do
    echo
    echo "$row, the types that allocate most (sampled bytes per call, samples):"
    awk -F'\t' '{ printf "  %6d  %6d  %s\n", $1, $2, $3 }' "$BENCH_WORK/$row-types.tsv.top"
  done
fi
