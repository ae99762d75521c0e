#!/usr/bin/env bash
# What OpenTelemetry costs (issue 14: the Prometheus endpoint and tracing together ≤ 5 % of Ping's throughput). One
# build, one server per row, measured in the same run:
#   off       Telemetry:Enabled=false: no OpenTelemetry registered at all (the product's instruments record into nothing)
#   traced    the shipped settings with an OTLP endpoint configured: every meter behind /metrics, scraped once a second
#             while under load, and traces exported over OTLP/HTTP to a sink on CPU 1 that answers 200 (below), at the
#             shipped sampling: every trace, at most Telemetry:MaxTracesPerSecond (100) a second
#   sampled   as traced with Telemetry:TraceSampleRatio=$SAMPLED (0.1) and the cap lifted (MaxTracesPerSecond=0): one
#             trace in ten of every call, however many; SAMPLED= (empty) leaves this row out
# and, when ROWS names them (e.g. ROWS="off defaults metrics tracing"), to find where a cost comes from:
#   on        every trace recorded and exported (ratio 1, cap lifted)
#   defaults  the shipped settings without OTLP: /metrics scraped 1/s, no spans (log lines still carry trace ids)
#   metrics   /metrics only (Telemetry:Tracing=false)
#   tracing   every span exported over OTLP, no /metrics
#   unsampled as sampled with TraceSampleRatio=0: the tracer provider and exporter in place, no span recorded (what
#             tracing costs a call that is not sampled)
# Every server on CPU 0 (only one under load at a time), h2load, the scraper and the sink on CPU 1. Each round runs
# the rows in turn (in reverse on even rounds); each ratio to off is taken per round and the summary is the median.
# Env: DURATION (s, 20), WARMUP (s, 5), CONNS (50), STREAMS (20 per connection), ROUNDS (3), WARMUP_ROUND (s, 15),
# VERIFY (5000 calls per row), SAMPLED (0.1), SERVER_DLL (lib.sh), KEEP_WORK=1 (keep logs and h2load output).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap bench_cleanup EXIT
DURATION=${DURATION:-20} WARMUP=${WARMUP:-5} CONNS=${CONNS:-50} STREAMS=${STREAMS:-20} ROUNDS=${ROUNDS:-3}
WARMUP_ROUND=${WARMUP_ROUND:-15} VERIFY=${VERIFY:-5000} SAMPLED=${SAMPLED-0.1}
started_at=$(date +%s)
elapsed() { echo "[$(( $(date +%s) - started_at )) s]"; }

bench_apt_install h2load:nghttp2-client curl:curl
bench_build bench/LearnHub.Bench.Probe/LearnHub.Bench.Probe.csproj
machine_line
echo "LearnHub: $(git -C "$BENCH_ROOT" rev-parse --short HEAD)$(git -C "$BENCH_ROOT" diff --quiet HEAD -- src || echo ' + uncommitted changes in src/')"

# The OTLP sink: counts what it is sent, answers every export with an empty (valid) protobuf response.
cat >"$BENCH_WORK/otlp_sink.py" <<'PY'
"""An OTLP/HTTP sink for bench/telemetry.sh: answers every export with 200 and an empty protobuf response (a valid
Export*ServiceResponse), and keeps a count of requests and bytes per signal in the given file."""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, out = int(sys.argv[1]), sys.argv[2]
counts = {}


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        self.rfile.read(length)
        n, size = counts.get(self.path, (0, 0))
        counts[self.path] = (n + 1, size + length)
        with open(out, "w") as f:
            f.write(", ".join(f"{p}: {c} exports, {s:,} bytes" for p, (c, s) in sorted(counts.items())))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Sink).serve_forever()
PY
SINK_PORT=$(free_port)
taskset -c 1 python3 "$BENCH_WORK/otlp_sink.py" "$SINK_PORT" "$BENCH_WORK/sink.txt" >"$BENCH_WORK/sink.log" 2>&1 &
BENCH_PIDS+=("$!")

declare -A url web pid token
common=(--Storage:SeedDemoData=true --RateLimits:ReadsPerSecond=100000000 --RateLimits:ReadBurst=100000000
  --Logging:LogLevel:Default=Warning)
start() {
  local name=$1 data="$BENCH_WORK/$1-data"
  shift
  SERVER_NAME=$name bench_start_server 0 "$data" "${common[@]}" "$@"
  url[$name]=$GRPC_URL web[$name]=$WEB_URL pid[$name]=$SERVER_PID
  token[$name]=$(mint_token xiaowang "$data")
  echo "$(elapsed) $name: pid $SERVER_PID on CPU 0, $GRPC_URL (web $WEB_URL) $*"
}
otlp=("--Telemetry:Otlp:Endpoint=http://127.0.0.1:$SINK_PORT" --OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)
# The rows: ROWS picks and orders them (off always first: the ratios are to it).
declare -A flags=(
  [off]="--Telemetry:Enabled=false"
  [traced]="--Telemetry:Enabled=true ${otlp[*]}"
  [sampled]="--Telemetry:Enabled=true --Telemetry:TraceSampleRatio=$SAMPLED --Telemetry:MaxTracesPerSecond=0 ${otlp[*]}"
  [on]="--Telemetry:Enabled=true --Telemetry:TraceSampleRatio=1 --Telemetry:MaxTracesPerSecond=0 ${otlp[*]}"
  [defaults]="--Telemetry:Enabled=true"
  [metrics]="--Telemetry:Enabled=true --Telemetry:Tracing=false"
  [tracing]="--Telemetry:Enabled=true --Telemetry:Metrics:Path= --Telemetry:MaxTracesPerSecond=0 ${otlp[*]}"
  [unsampled]="--Telemetry:Enabled=true --Telemetry:TraceSampleRatio=0 ${otlp[*]}"
)
read -r -a rows <<<"${ROWS:-off traced${SAMPLED:+ sampled}}"
[[ ${rows[0]} == off ]] || rows=(off "${rows[@]}")
for row in "${rows[@]}"; do
  [[ -n ${flags[$row]:-} ]] || { echo "unknown row '$row' (rows: ${!flags[*]})" >&2; exit 2; }
  # shellcheck disable=SC2086 # the flags are words
  start "$row" ${flags[$row]}
done
[[ $(curl -s -o /dev/null -w '%{http_code}' "${web[off]}/metrics") == 404 ]] || { echo "off serves /metrics" >&2; exit 1; }
for row in "${rows[@]:1}"; do
  [[ $row == tracing ]] || curl -sf "${web[$row]}/metrics" | grep -q '^learnhub_watch_streams' || { echo "$row does not serve /metrics" >&2; exit 1; }
done

PING=/learnhub.v1.DiagnosticsService/Ping
dotnet "$PROBE_DLL" bodies "$BENCH_WORK/bodies" >/dev/null
for server in "${rows[@]}"; do
  dotnet "$PROBE_DLL" check "${url[$server]}" "${token[$server]}" ping >"$BENCH_WORK/check-$server.txt" \
    || { cat "$BENCH_WORK/check-$server.txt" >&2; tail -40 "$BENCH_WORK/$server.log" >&2; exit 1; }
  echo "real-client check $server: $(cut -f2- "$BENCH_WORK/check-$server.txt" | head -1)"
done
frame=$(awk -F'\t' -v p="$PING" '$1 == p { split($3, a, " "); print a[3] }' "$BENCH_WORK/check-off.txt")

# load SERVER OUT h2load-options…
load() {
  local server=$1 out=$2
  shift 2
  run_tracked taskset -c 1 h2load "${url[$server]}$PING" -d "$BENCH_WORK/bodies/ping.bin" \
    -H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer ${token[$server]}" \
    -c "$CONNS" -m "$STREAMS" "$@" >"$out"
}
data_bytes_of() { awk '/^traffic:/ { for (i = 1; i <= NF; i++) if ($i == "data") { v = $(i - 1); gsub(/[()]/, "", v); print v } }' "$1"; }
# scraper SERVER: GET /metrics once a second until killed (on CPU 1, like the load).
scraper() {
  while true; do
    curl -s -o /dev/null -w '%{http_code} %{size_download}\n' "${web[$1]}/metrics" >>"$BENCH_WORK/scrapes-$1.txt" || true
    sleep 1
  done
}

for server in "${rows[@]}"; do
  out="$BENCH_WORK/verify.$server.txt"
  load "$server" "$out" -n "$VERIFY"
  [[ $(data_bytes_of "$out") == $((VERIFY * frame)) ]] || { echo "verify $server: some calls failed" >&2; cat "$out" >&2; exit 1; }
  echo "verify $server: $VERIFY calls, every one answered with a message"
done
for server in "${rows[@]}"; do load "$server" /dev/null -D "$WARMUP_ROUND"; done

hz=$(getconf CLK_TCK)
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
results="$BENCH_WORK/results.tsv"
: >"$results"
echo "$(elapsed) $ROUNDS rounds x (${rows[*]}), ${DURATION} s + ${WARMUP} s warm-up each, -c $CONNS -m $STREAMS"
for round in $(seq "$ROUNDS"); do
  # Odd rounds run the rows in order, even rounds in reverse (A B C, C B A …): a drift of the machine's speed during
  # a round then favours no row.
  order=("${rows[@]}")
  ((round % 2)) || mapfile -t order < <(printf '%s\n' "${rows[@]}" | tac)
  for server in "${order[@]}"; do
    kill -0 "${pid[$server]}" 2>/dev/null || { echo "$server is gone" >&2; tail -30 "$BENCH_WORK/$server.log" >&2; exit 1; }
    sleep 1
    scraper_pid=""
    if [[ $server != off ]]; then
      taskset -c 1 bash -c "$(declare -p web BENCH_WORK); $(declare -f scraper); scraper $server" &
      scraper_pid=$!
      BENCH_PIDS+=("$scraper_pid")
    fi
    s0=$(ticks "${pid[$server]}")
    out="$BENCH_WORK/$server.$round.txt"
    load "$server" "$out" -D "$DURATION" --warm-up-time "$WARMUP"
    s1=$(ticks "${pid[$server]}")
    [[ -z $scraper_pid ]] || kill "$scraper_pid" 2>/dev/null || true
    rps=$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' "$out")
    answered=$(( $(data_bytes_of "$out") / frame ))
    cpu_us=$(awk -v t=$((s1 - s0)) -v hz="$hz" -v c="$answered" 'BEGIN { printf "%.1f", c ? 1e6 * t / hz / c : 0 }')
    printf '%s\t%s\t%s\t%s\n' "$round" "$server" "$rps" "$cpu_us" >>"$results"
    echo "$(elapsed) round $round $server: $rps req/s, $cpu_us µs server CPU per call"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
for server in "${rows[@]:1}"; do
  scrapes=$(grep -c '^200 ' "$BENCH_WORK/scrapes-$server.txt" || true)
  scrape_bytes=$(awk '$1 == 200 { n++; s += $2 } END { if (n) printf "%.0f", s / n; else print 0 }' "$BENCH_WORK/scrapes-$server.txt")
  echo "$server: $scrapes scrapes answered 200 (about $scrape_bytes bytes each)"
done
sleep 6 # the batch exporters' last round
echo "OTLP sink received (all rows): $(cat "$BENCH_WORK/sink.txt" 2>/dev/null || echo nothing)"

python3 - "$results" "$CONNS" "$STREAMS" "$SAMPLED" "${rows[@]}" <<'PY'
import statistics, sys
results, conns, streams, sampled, *rows = sys.argv[1:]
by = {}
for line in open(results):
    rnd, server, rps, cpu = line.rstrip("\n").split("\t")
    by[(rnd, server)] = (float(rps), float(cpu))
rounds = sorted({r for r, _ in by}, key=int)
med = statistics.median
label = {"off": "off (Telemetry:Enabled=false)",
         "traced": "shipped, OTLP configured (scraped 1/s; every trace, at most 100 a second, exported)",
         "sampled": f"TraceSampleRatio={sampled}, no cap (scraped 1/s; one trace in ten exported)",
         "on": "every trace exported, no cap (scraped 1/s)",
         "defaults": "shipped, no OTLP endpoint (scraped 1/s, no spans)",
         "metrics": "metrics only (scraped 1/s, Telemetry:Tracing=false)",
         "tracing": "tracing only (every trace exported, no cap, no /metrics)",
         "unsampled": "TraceSampleRatio=0 (scraped 1/s, OTLP configured, nothing sampled)"}
print()
print("| round | " + " | ".join(f"{r} req/s" for r in rows) + " | " + " | ".join(f"{r} ÷ off" for r in rows[1:]) + " |")
print("|---|" + "---:|" * (2 * len(rows) - 1))
for r in rounds:
    print(f"| {r} | " + " | ".join(f"{by[(r, s)][0]:,.0f}" for s in rows) + " | "
          + " | ".join(f"{by[(r, s)][0] / by[(r, 'off')][0]:.3f}" for s in rows[1:]) + " |")
print()
print("| server | req/s (median) | ÷ off [per round] | server CPU µs/call | CPU ÷ off | goal ≤ 5 % |")
print("|---|---:|---:|---:|---:|---|")
for s in rows:
    ratio = [by[(r, s)][0] / by[(r, "off")][0] for r in rounds]
    cpu = [by[(r, s)][1] / by[(r, "off")][1] for r in rounds]
    verdict = "—" if s == "off" else ("MET" if 1 - med(ratio) <= 0.05 else "MISSED") + f" (cost {(1 - med(ratio)) * 100:.1f} %)"
    print(f"| {label.get(s, s)} | {med([by[(r, s)][0] for r in rounds]):,.0f} | {med(ratio):.3f} [{', '.join(f'{x:.3f}' for x in ratio)}] | "
          f"{med([by[(r, s)][1] for r in rounds]):.1f} | {med(cpu):.2f} | {verdict} |")
print()
print(f"h2load -c {conns} -m {streams} on Ping, servers on CPU 0, h2load + scraper + OTLP sink on CPU 1")
PY
echo "load average after the rounds: $load_after"
echo "$(elapsed) done"
