#!/usr/bin/env bash
# Unary throughput and latency of GetSession and ListRecommendations against DiagnosticsService/Ping (same auth and
# rate-limit pipeline, no work), one server, one h2load, same run. Server on CPU 0, h2load on CPU 1.
# Env: DURATION (s, default 20), WARMUP (s, 5), CONNS (50), STREAMS (20 per connection), ROUNDS (3: the three calls
# run in turn ROUNDS times, so drift from other load on the machine hits every call alike), WARMUP_ROUND (s, 15:
# an untimed run of each call before the first round).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap bench_cleanup EXIT
DURATION=${DURATION:-20} WARMUP=${WARMUP:-5} CONNS=${CONNS:-50} STREAMS=${STREAMS:-20} ROUNDS=${ROUNDS:-3}
WARMUP_ROUND=${WARMUP_ROUND:-15}
command -v h2load >/dev/null || { echo "h2load missing: apt-get update && apt-get install -y nghttp2-client" >&2; exit 1; }

bench_build bench/LearnHub.Bench.Probe/LearnHub.Bench.Probe.csproj
machine_line
data="$BENCH_WORK/data"
bench_start_server 0 "$data" --Storage:SeedDemoData=true \
  --RateLimits:ReadsPerSecond=100000000 --RateLimits:ReadBurst=100000000 --Logging:LogLevel:Default=Warning
token=$(mint_token xiaowang "$data")
dotnet "$PROBE_DLL" bodies "$BENCH_WORK/bodies" >/dev/null
echo "real-client check (h2load counts HTTP 200 even when grpc-status is not 0):"
dotnet "$PROBE_DLL" check "$GRPC_URL" "$token" | tee "$BENCH_WORK/check.txt"

declare -A path=(
  [ping]=/learnhub.v1.DiagnosticsService/Ping
  [get-session]=/learnhub.v1.SessionService/GetSession
  [list-recommendations]=/learnhub.v1.SessionService/ListRecommendations
)
declare -A frame
for call in "${!path[@]}"; do
  frame[$call]=$(awk -F'\t' -v p="${path[$call]}" '$1 == p { split($3, a, " "); print a[3] }' "$BENCH_WORK/check.txt")
done

# Every error answer is trailers-only (no DATA), so a fixed-count run whose DATA bytes equal count x the frame size
# proves every call under h2load answered with a message, not just HTTP 200. It also warms the server up.
VERIFY=${VERIFY:-5000}
for call in ping get-session list-recommendations; do
  out="$BENCH_WORK/$call.verify.txt"
  run_tracked taskset -c 1 h2load "$GRPC_URL${path[$call]}" -d "$BENCH_WORK/bodies/$call.bin" \
    -H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer $token" \
    -c "$CONNS" -m "$STREAMS" -n "$VERIFY" >"$out"
  data_bytes=$(awk '/^traffic:/ { for (i = 1; i <= NF; i++) if ($i == "data") { v = $(i - 1); gsub(/[()]/, "", v); print v } }' "$out")
  if [[ "$data_bytes" != $((VERIFY * frame[$call])) ]]; then
    echo "verify $call: $data_bytes DATA bytes for $VERIFY calls, expected $((VERIFY * frame[$call])): some calls failed" >&2
    exit 1
  fi
  echo "verify $call: $VERIFY calls, $data_bytes DATA bytes = $VERIFY x ${frame[$call]}: every call answered OK"
done

# An untimed round first: the verification runs are too short for the JIT to finish tiering up on a busy core
# (Ping's CPU per call still fell by half between the first and second timed rounds without it).
for call in ping get-session list-recommendations; do
  run_tracked taskset -c 1 h2load "$GRPC_URL${path[$call]}" -d "$BENCH_WORK/bodies/$call.bin" \
    -H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer $token" \
    -c "$CONNS" -m "$STREAMS" -D "$WARMUP_ROUND" >/dev/null
done

results="$BENCH_WORK/results.tsv"
for round in $(seq "$ROUNDS"); do
  for call in ping get-session list-recommendations; do
    out="$BENCH_WORK/$call.$round.txt" log="$BENCH_WORK/$call.$round.log"
    cpu_before=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
    run_tracked taskset -c 1 h2load "$GRPC_URL${path[$call]}" -d "$BENCH_WORK/bodies/$call.bin" \
      -H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer $token" \
      -c "$CONNS" -m "$STREAMS" -D "$DURATION" --warm-up-time "$WARMUP" --log-file "$log" >"$out"
    cpu_after=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
    rps=$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' "$out")
    done_count=$(awk '/^requests:/ { print $6 }' "$out")
    succeeded=$(awk '/^requests:/ { print $8 }' "$out")
    # h2load logs the measured phase only (warm-up requests are left out).
    read -r n p50 p99 max non200 < <(python3 "$BENCH_ROOT/bench/latency.py" "$log")
    server_cpu=$(awk -v t=$((cpu_after - cpu_before)) -v hz="$(getconf CLK_TCK)" -v s=$((DURATION + WARMUP)) 'BEGIN { printf "%.0f", 100 * t / hz / s }')
    # Server CPU per call, warm-up included: DATA bytes / frame size counts every answered call of the run. Unlike
    # req/s it does not depend on how much of its core the server got from the rest of the machine.
    data_bytes=$(awk '/^traffic:/ { for (i = 1; i <= NF; i++) if ($i == "data") { v = $(i - 1); gsub(/[()]/, "", v); print v } }' "$out")
    cpu_us=$(awk -v t=$((cpu_after - cpu_before)) -v hz="$(getconf CLK_TCK)" -v calls=$((data_bytes / frame[$call])) 'BEGIN { printf "%.0f", 1e6 * t / hz / calls }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$call" "$rps" "$p50" "$p99" "$max" "$n" "$done_count" "$succeeded" "$non200" "$server_cpu" "$cpu_us" | tee -a "$results"
  done
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
print()
print("| round | call | req/s | p50 ms | p99 ms | max ms | requests | non-200 | server CPU % | server CPU µs/call |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
by_round = {}
for rnd, call, rps, p50, p99, mx, n, done, ok, non200, cpu, cpu_us in rows:
    print(f"| {rnd} | {call} | {float(rps):,.0f} | {p50} | {p99} | {mx} | {int(done):,} | {non200} | {cpu} | {cpu_us} |")
    by_round.setdefault(rnd, {})[call] = (float(rps), float(p99), float(cpu_us))
print()
for call, rps_target, p99_factor in [("list-recommendations", 0.70, None), ("get-session", 0.50, 2.0)]:
    ratios = [r[call][0] / r["ping"][0] for r in by_round.values()]
    p99s = [r[call][1] / r["ping"][1] for r in by_round.values()]
    cpus = [r["ping"][2] / r[call][2] for r in by_round.values()]
    ratio, p99r = statistics.median(ratios), statistics.median(p99s)
    verdict = ratio >= rps_target and (p99_factor is None or p99r <= p99_factor)
    print(f"{call}: req/s vs Ping {ratio:.2f} (per round {', '.join(f'{x:.2f}' for x in ratios)}; target >= {rps_target:.2f}), "
          f"p99 vs Ping {p99r:.2f}x (per round {', '.join(f'{x:.2f}' for x in p99s)}"
          f"{f'; target <= {p99_factor:.0f}x' if p99_factor else ''}) -> {'MET' if verdict else 'MISSED'}; "
          f"CPU-normalised capacity vs Ping (Ping µs/call ÷ its µs/call) {statistics.median(cpus):.2f}")
PY
machine_line
