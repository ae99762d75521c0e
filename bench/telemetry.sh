#!/usr/bin/env bash
# What OpenTelemetry costs (issue 14: the Prometheus endpoint and tracing together ≤ 5 % of Ping's throughput). One
# build, PROCS servers per row, measured in the same run:
#   off       Telemetry:Enabled=false: no OpenTelemetry registered at all (the product's instruments record into nothing)
#   traced    the shipped settings with an OTLP endpoint configured: every meter behind /metrics, scraped while under
#             load; traces at the shipped sampling (every trace, at most Telemetry:MaxTracesPerSecond a second) and logs
#             exported over OTLP/HTTP to a sink on CPU 1 that answers 200 (below)
#   sampled   as traced with Telemetry:TraceSampleRatio=$SAMPLED (0.1) and the cap lifted (MaxTracesPerSecond=0): one
#             trace in ten of every call, however many; SAMPLED= (empty) leaves this row out
# and, when ROWS names them (e.g. ROWS="off control defaults metrics tracing"), to find where a cost comes from:
#   control   exactly as off, in processes of its own: what the benchmark itself makes of two identical servers (an A/A
#             check; its ratio to off is the measurement's own error, not a cost)
#   on        every trace recorded and exported (ratio 1, cap lifted)
#   defaults  the shipped settings without OTLP: /metrics scraped, no spans (log lines still carry trace ids)
#   metrics   /metrics only (Telemetry:Tracing=false)
#   unscraped as metrics, never scraped: what the scrapes themselves cost beside recording the measurements
#   tracing   every span exported over OTLP, no metrics anywhere
#   unsampled as sampled with TraceSampleRatio=0: the tracer provider and exporter in place, no span recorded (what
#             tracing costs a call that is not sampled)
#   stage     OpenTelemetry on with nowhere to send anything (no /metrics, no OTLP, no spans): the call middleware runs
#             and nothing listens to its histogram (what the pipeline stage costs by itself)
# Every server on CPU 0; h2load, the scraper and the sink on CPU 1. TOGETHER=1 (the default) loads every server at
# once, each with its own h2load, so that they share CPU 0 from moment to moment and a change of the machine's speed
# reaches them all alike; each server's figure is its calls per CPU second (answered calls ÷ its own CPU time over the
# measured window), and what the shipped settings do once a second is done once every N s (N servers: the scrape,
# and the trace cap is 100/N a second). TOGETHER=0 loads them in turn (in reverse on even rounds), the others paused,
# and takes req/s. TOGETHER=0 SLICE=s (1) alternates them instead: every server has its own h2load for the whole round,
# but only one runs at a time (the others paused), for SLICE s each in turn, the order rotated every cycle, until each
# has run DURATION s; so each has the core to itself, as TOGETHER=0 gives it, and a change of the machine's speed
# reaches them all alike, as TOGETHER=1 gives it (a cycle of N servers takes N×SLICE s). Its figure is calls per CPU
# second; the scraped servers are scraped once in each of their slices, and the trace cap is the shipped 100 a
# second of running. A row's figure in a round is the mean of its processes (two processes of the same settings differ
# by several per cent); each ratio to off is taken per round and the summary is the median. Warm up for 60 s or more
# (WARMUP_ROUND): with telemetry on a server takes longer to reach its steady speed (docs/benchmarks.md, Run 13).
# With TOGETHER=1, the scraped servers are scraped from the warm-up on, and after the warm-ups every server is loaded
# at once for SETTLE s (WARMUP_ROUND), unmeasured: what a server does once per period reaches its steady form there.
# Env: DURATION (s, 20), WARMUP (s, 5), CONNS (50), STREAMS (20 per connection), ROUNDS (3), WARMUP_ROUND (s, 15), SETTLE,
# VERIFY (5000 calls per server), SAMPLED (0.1), PROCS (1), TOGETHER (1), SLICE (0: off), SERVER_DLL (lib.sh), KEEP_WORK=1 (keep logs
# and h2load output), PERF=1 (TOGETHER=1 only, every server without W^X: a CPU profile of each over the last round,
# `perf record -e cpu-clock -F PERF_FREQ (499) -g`, and where each one's CPU went: telemetry code, the JIT's and GC's
# threads; KEEP_WORK=1 keeps each profile's `perf script` text as perf-SERVER.txt).
# JIT_LOG=1: each server's JIT writes the methods it compiles (DOTNET_JitDisasmSummary); how many in each round.
# THREADS=1 (SLICE only): where each row's CPU went over the measured windows, by thread name (/proc/PID/task/*/stat):
# the call path (thread-pool workers, the sockets thread) against background work (exporters, timers, the JIT, the GC).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap bench_cleanup EXIT
DURATION=${DURATION:-20} WARMUP=${WARMUP:-5} CONNS=${CONNS:-50} STREAMS=${STREAMS:-20} ROUNDS=${ROUNDS:-3}
WARMUP_ROUND=${WARMUP_ROUND:-15} SETTLE=${SETTLE:-$WARMUP_ROUND} VERIFY=${VERIFY:-5000} SAMPLED=${SAMPLED-0.1} PROCS=${PROCS:-1} TOGETHER=${TOGETHER:-1}
SLICE=${SLICE:-0}
((!TOGETHER || !SLICE)) || { echo "SLICE needs TOGETHER=0" >&2; exit 2; }
PERF=${PERF:-0} PERF_FREQ=${PERF_FREQ:-499} JIT_LOG=${JIT_LOG:-0} THREADS=${THREADS:-0}
((!THREADS || SLICE)) || { echo "THREADS=1 needs SLICE" >&2; exit 2; }
started_at=$(date +%s)
elapsed() { echo "[$(( $(date +%s) - started_at )) s]"; }

bench_apt_install h2load:nghttp2-client curl:curl
if ((PERF)); then
  ((TOGETHER)) || { echo "PERF=1 needs TOGETHER=1" >&2; exit 2; }
  bench_apt_install perf:linux-perf
  # Every server writes /tmp/perf-PID.map, so that perf names JIT-compiled methods, and maps its code once (W^X's
  # double mapping hides it from perf): the same for every row.
  # (The probe and token commands write maps too; every map this run wrote is removed after the profiles are read.)
  export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
  touch "$BENCH_WORK/perf-maps-since"
fi
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

# With TOGETHER=1 each of the N servers has 1/N of CPU 0, so what the shipped settings do once a second is done once
# every N seconds, to weigh on a server's calls as it would on a server with the core to itself: the scrape comes
# every N s and the trace cap is 100/N a second (the rows that lift the cap keep it lifted).
read -r -a rows <<<"${ROWS:-off traced${SAMPLED:+ sampled}}"
[[ ${rows[0]} == off ]] || rows=(off "${rows[@]}")
SHARE=1
((TOGETHER)) && SHARE=$((${#rows[@]} * PROCS))
declare -A url web pid token jitted
perf_pids=()
common=(--Storage:SeedDemoData=true --RateLimits:ReadsPerSecond=100000000 --RateLimits:ReadBurst=100000000
  --Logging:LogLevel:Default=Warning)
start() {
  local name=$1 data="$BENCH_WORK/$1-data"
  shift
  if ((JIT_LOG)); then
    DOTNET_JitStdOutFile="$BENCH_WORK/jit-$name.txt" DOTNET_JitDisasmSummary=1 \
      SERVER_NAME=$name bench_start_server 0 "$data" "${common[@]}" "$@"
  else
    SERVER_NAME=$name bench_start_server 0 "$data" "${common[@]}" "$@"
  fi
  url[$name]=$GRPC_URL web[$name]=$WEB_URL pid[$name]=$SERVER_PID
  token[$name]=$(mint_token xiaowang "$data")
  echo "$(elapsed) $name: pid $SERVER_PID on CPU 0, $GRPC_URL (web $WEB_URL) $*"
}
otlp=("--Telemetry:Otlp:Endpoint=http://127.0.0.1:$SINK_PORT" --OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)
# The rows: ROWS picks and orders them (off always first: the ratios are to it).
declare -A flags=(
  [off]="--Telemetry:Enabled=false"
  [control]="--Telemetry:Enabled=false"
  [traced]="--Telemetry:Enabled=true --Telemetry:MaxTracesPerSecond=$(((100 + SHARE / 2) / SHARE)) ${otlp[*]}"
  [sampled]="--Telemetry:Enabled=true --Telemetry:TraceSampleRatio=$SAMPLED --Telemetry:MaxTracesPerSecond=0 ${otlp[*]}"
  [on]="--Telemetry:Enabled=true --Telemetry:TraceSampleRatio=1 --Telemetry:MaxTracesPerSecond=0 ${otlp[*]}"
  [defaults]="--Telemetry:Enabled=true"
  [metrics]="--Telemetry:Enabled=true --Telemetry:Tracing=false"
  [unscraped]="--Telemetry:Enabled=true --Telemetry:Tracing=false"
  [tracing]="--Telemetry:Enabled=true --Telemetry:Metrics:Path= --Telemetry:Otlp:Metrics=false --Telemetry:MaxTracesPerSecond=0 ${otlp[*]}"
  [unsampled]="--Telemetry:Enabled=true --Telemetry:TraceSampleRatio=0 ${otlp[*]}"
  [stage]="--Telemetry:Enabled=true --Telemetry:Tracing=false --Telemetry:Metrics:Path="
)
for row in "${rows[@]}"; do
  [[ -n ${flags[$row]:-} ]] || { echo "unknown row '$row' (rows: ${!flags[*]})" >&2; exit 2; }
done
# The servers: off traced … for the first process of each row, then off-2 traced-2 …
servers=()
for p in $(seq "$PROCS"); do
  for row in "${rows[@]}"; do
    name=$row
    ((p == 1)) || name=$row-$p
    # shellcheck disable=SC2086 # the flags are words
    start "$name" ${flags[$row]}
    servers+=("$name")
  done
done
[[ $(curl -s -o /dev/null -w '%{http_code}' "${web[off]}/metrics") == 404 ]] || { echo "off serves /metrics" >&2; exit 1; }
unscraped() { [[ ${1%-*} == off || ${1%-*} == control || ${1%-*} == unscraped || ${1%-*} == stage ]]; }
for server in "${servers[@]}"; do
  case ${server%-*} in off | control | tracing | stage) ;; *)
    curl -sf "${web[$server]}/metrics" | grep '^learnhub_watch_streams' >/dev/null || { echo "$server does not serve /metrics" >&2; exit 1; } ;;
  esac
done

PING=/learnhub.v1.DiagnosticsService/Ping
dotnet "$PROBE_DLL" bodies "$BENCH_WORK/bodies" >/dev/null
for server in "${servers[@]}"; do
  dotnet "$PROBE_DLL" check "${url[$server]}" "${token[$server]}" ping >"$BENCH_WORK/check-$server.txt" \
    || { cat "$BENCH_WORK/check-$server.txt" >&2; tail -40 "$BENCH_WORK/$server.log" >&2; exit 1; }
  echo "real-client check $server: $(cut -f2- "$BENCH_WORK/check-$server.txt" | head -1)"
done
frame=$(awk -F'\t' -v p="$PING" '$1 == p { split($3, a, " "); print a[3] }' "$BENCH_WORK/check-off.txt")

# load_in_background SERVER OUT h2load-options…: h2load on CPU 1, stopped by the cleanup if still running; load waits for it.
load_in_background() {
  local server=$1 out=$2
  shift 2
  taskset -c 1 h2load "${url[$server]}$PING" -d "$BENCH_WORK/bodies/ping.bin" \
    -H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer ${token[$server]}" \
    -c "$CONNS" -m "$STREAMS" "$@" >"$out" &
  BENCH_PIDS+=("$!")
}
load() {
  load_in_background "$@"
  wait "$!"
}
# scrape SERVER: GET /metrics once, its status and size appended to scrapes-SERVER.txt.
scrape() { curl -s -o /dev/null -w '%{http_code} %{size_download}\n' "${web[$1]}/metrics" >>"$BENCH_WORK/scrapes-$1.txt" || true; }
# scraper SERVER: a scrape once every $SHARE s until killed (on CPU 1, like the load).
scraper() {
  while true; do
    scrape "$1"
    sleep "$SHARE"
  done
}

for server in "${servers[@]}"; do
  out="$BENCH_WORK/verify.$server.txt"
  load "$server" "$out" -n "$VERIFY"
  [[ $(data_bytes_of "$out") == $((VERIFY * frame)) ]] || { echo "verify $server: some calls failed" >&2; cat "$out" >&2; exit 1; }
  echo "verify $server: $VERIFY calls, every one answered with a message"
done
# Only the server under load runs: the others are paused (SIGSTOP), so no server's background work (exporters,
# timers, the JIT's tiering) lands in another's measurement, and each one's own lands in its own.
# (TOGETHER=0 only; all run at once otherwise.)
pause() { ((TOGETHER)) || kill -STOP "${pid[$1]}"; }
resume() { ((TOGETHER)) || kill -CONT "${pid[$1]}"; }
start_scraper() {
  taskset -c 1 bash -c "$(declare -p web BENCH_WORK SHARE); $(declare -f scrape scraper); scraper $1" &
  BENCH_PIDS+=("$!")
  scraper_pids+=("$!")
}
scraper_pids=()
# alternate EACH TAG: SLICE mode. Every server under its own h2load (output $server.TAG.txt) while they take turns on
# CPU 0, SLICE s each, until each has run EACH s; a scraped server is scraped once in each of its slices. Each
# server's CPU ticks before and after go to s0 and s1. Every server is paused before and after.
declare -A s0=() s1=()
alternate() {
  local each=$1 tag=$2 n=${#servers[@]} cycle j server
  local -a loads=()
  for server in "${servers[@]}"; do s0[$server]=$(ticks "${pid[$server]}"); done
  ((JIT_LOG)) && for server in "${servers[@]}"; do jitted[$server.$tag]=$(wc -l <"$BENCH_WORK/jit-$server.txt"); done
  ((THREADS)) && [[ $tag != warmup ]] && for server in "${servers[@]}"; do thread_ticks "$server" >"$BENCH_WORK/threads.$server.$tag.0"; done
  # h2load's time runs while its server waits paused: it runs the whole cycle, and more (all paused then) so that the
  # turns end before it does, however long the switching itself takes (a few ms a turn: 5 % and 5 s to spare).
  for server in "${servers[@]}"; do
    load_in_background "$server" "$BENCH_WORK/$server.$tag.txt" -D $((each * n * 105 / 100 + 5))
    loads+=("$!")
  done
  for cycle in $(seq 0 $((each / SLICE - 1))); do
    for j in $(seq 0 $((n - 1))); do
      server=${servers[$(((j + cycle) % n))]}
      resume "$server"
      unscraped "$server" || taskset -c 1 bash -c "$(declare -p web BENCH_WORK); $(declare -f scrape); scrape $server" &
      sleep "$SLICE"
      pause "$server"
    done
  done
  for server in "${servers[@]}"; do s1[$server]=$(ticks "${pid[$server]}"); done
  ((JIT_LOG)) && for server in "${servers[@]}"; do jitted[$server.$tag.end]=$(wc -l <"$BENCH_WORK/jit-$server.txt"); done
  ((THREADS)) && [[ $tag != warmup ]] && for server in "${servers[@]}"; do thread_ticks "$server" >"$BENCH_WORK/threads.$server.$tag.1"; done
  wait "${loads[@]}"
  # The calls h2load left in flight are aborted once their servers run again (and logged): before the next turns.
  for server in "${servers[@]}"; do resume "$server"; done
  sleep 6
  for server in "${servers[@]}"; do pause "$server"; done
}
if ((TOGETHER)); then
  # Scraped from the warm-up on, as Prometheus scrapes a server from its start: the scrape's code reaches its
  # steady (tier 1) form after 30 scrapes, before the rounds rather than during them (docs/benchmarks.md, Run 20).
  for server in "${servers[@]}"; do
    unscraped "$server" || start_scraper "$server"
  done
fi
for server in "${servers[@]}"; do pause "$server"; done
hz=$(getconf CLK_TCK)
# ticks PID (or PID/task/TID): its CPU ticks, user and system.
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# thread_ticks SERVER: "TID<tab>NAME<tab>CPU ticks" for each of its threads (a thread that ended since is not counted).
thread_ticks() {
  local task
  for task in /proc/"${pid[$1]}"/task/*; do
    printf '%s\t%s\t%s\n' "${task##*/}" "$(cat "$task/comm" 2>/dev/null)" "$(ticks "${pid[$1]}/task/${task##*/}" 2>/dev/null)"
  done
}
if ((SLICE)); then
  # Warmed up taking turns, as they are measured, scraped from the start.
  echo "$(elapsed) warm-up: the servers take turns of $SLICE s under load until each has run $WARMUP_ROUND s"
  alternate "$WARMUP_ROUND" warmup
else
  for server in "${servers[@]}"; do
    resume "$server"
    load "$server" /dev/null -D "$WARMUP_ROUND"
    pause "$server"
  done
fi
if ((TOGETHER && SETTLE > 0)); then
  # Then every server at once, unmeasured, for SETTLE s: the exporters' and the scrape's periodic work tiers up here
  # (the first rounds after the warm-ups alone were the slowest for telemetry in every run before this one).
  echo "$(elapsed) settling: every server under load at once for $SETTLE s, unmeasured"
  loads=()
  for server in "${servers[@]}"; do
    load_in_background "$server" /dev/null -D "$SETTLE"
    loads+=("$!")
  done
  wait "${loads[@]}"
  sleep 6 # the aborted calls' logs, as between rounds
fi

results="$BENCH_WORK/results.tsv"
: >"$results"
# measured SERVER ROUND S0 S1: records a server's req/s and its CPU per answered call (ticks S0…S1).
measured() {
  local server=$1 round=$2 out="$BENCH_WORK/$1.$2.txt" rps answered cpu_us
  rps=$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' "$out")
  answered=$(( $(data_bytes_of "$out") / frame ))
  cpu_us=$(awk -v t=$(($4 - $3)) -v hz="$hz" -v c="$answered" 'BEGIN { printf "%.2f", c ? 1e6 * t / hz / c : 0 }')
  printf '%s\t%s\t%s\t%s\n' "$round" "$server" "$rps" "$cpu_us" >>"$results"
  echo "$(elapsed) round $round $server: $rps req/s, $cpu_us µs server CPU per call"
}
if ((SLICE)); then
  echo "$(elapsed) $ROUNDS rounds, (${servers[*]}) taking turns of $SLICE s on CPU 0, each under load, until each has run ${DURATION} s, -c $CONNS -m $STREAMS each"
elif ((TOGETHER)); then
  echo "$(elapsed) $ROUNDS rounds, all of (${servers[*]}) under load at once, ${DURATION} s after ${WARMUP} s warm-up, -c $CONNS -m $STREAMS each"
else
  echo "$(elapsed) $ROUNDS rounds x (${servers[*]}) in turn, ${DURATION} s + ${WARMUP} s warm-up each, -c $CONNS -m $STREAMS"
fi
for round in $(seq "$ROUNDS"); do
  for server in "${servers[@]}"; do
    kill -0 "${pid[$server]}" 2>/dev/null || { echo "$server is gone" >&2; tail -30 "$BENCH_WORK/$server.log" >&2; exit 1; }
  done
  if ((SLICE)); then
    alternate "$DURATION" "$round"
    for server in "${servers[@]}"; do measured "$server" "$round" "${s0[$server]}" "${s1[$server]}"; done
    continue
  fi
  if ((TOGETHER)); then
    # Every server loaded at once, sharing CPU 0 from moment to moment: a change of the machine's speed (seen here:
    # 2.5× within a minute) reaches them all alike. The figure is calls per CPU second, each server's own.
    loads=()
    for server in "${servers[@]}"; do
      load_in_background "$server" "$BENCH_WORK/$server.$round.txt" -D "$DURATION" --warm-up-time "$WARMUP"
      loads+=("$!")
    done
    sleep "$WARMUP"
    for server in "${servers[@]}"; do s0[$server]=$(ticks "${pid[$server]}"); done
    ((JIT_LOG)) && for server in "${servers[@]}"; do jitted[$server.$round]=$(wc -l <"$BENCH_WORK/jit-$server.txt"); done
    if ((PERF && round == ROUNDS)); then
      for server in "${servers[@]}"; do
        taskset -c 1 perf record -q -e cpu-clock -F "$PERF_FREQ" -g -p "${pid[$server]}" -o "$BENCH_WORK/perf-$server.data" \
          -- sleep "$DURATION" 2>"$BENCH_WORK/perf-$server.log" &
        BENCH_PIDS+=("$!")
        perf_pids+=("$!")
      done
    fi
    sleep "$DURATION"
    for server in "${servers[@]}"; do s1[$server]=$(ticks "${pid[$server]}"); done
    ((JIT_LOG)) && for server in "${servers[@]}"; do jitted[$server.$round.end]=$(wc -l <"$BENCH_WORK/jit-$server.txt"); done
    wait "${loads[@]}"
    for server in "${servers[@]}"; do measured "$server" "$round" "${s0[$server]}" "${s1[$server]}"; done
    # The calls h2load leaves in flight when it stops (up to CONNS × STREAMS a server) are aborted, and grpc-dotnet
    # logs each one with its stack at level Error: the console writes them, and rows with OTLP export them within the
    # log exporter's 5 s batch delay. The next round starts after that, so that no round measures the end of the last.
    sleep 6
    continue
  fi
  # In turn: odd rounds run the servers in order, even rounds in reverse (A B C, C B A …), so that a drift of the
  # machine's speed during a round favours no row.
  order=("${servers[@]}")
  ((round % 2)) || mapfile -t order < <(printf '%s\n' "${servers[@]}" | tac)
  for server in "${order[@]}"; do
    resume "$server"
    sleep 1
    scraper_pids=()
    unscraped "$server" || start_scraper "$server"
    t0=$(ticks "${pid[$server]}")
    load "$server" "$BENCH_WORK/$server.$round.txt" -D "$DURATION" --warm-up-time "$WARMUP"
    t1=$(ticks "${pid[$server]}")
    ((${#scraper_pids[@]} == 0)) || kill "${scraper_pids[@]}" 2>/dev/null || true
    pause "$server"
    measured "$server" "$round" "$t0" "$t1"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
((${#scraper_pids[@]} == 0)) || kill "${scraper_pids[@]}" 2>/dev/null || true
for server in "${servers[@]}"; do
  ! unscraped "$server" || continue
  scrapes=$(grep -c '^200 ' "$BENCH_WORK/scrapes-$server.txt" || true)
  scrape_bytes=$(awk '$1 == 200 { n++; s += $2 } END { if (n) printf "%.0f", s / n; else print 0 }' "$BENCH_WORK/scrapes-$server.txt")
  echo "$server: $scrapes scrapes answered 200 (about $scrape_bytes bytes each)"
done
for server in "${servers[@]}"; do resume "$server"; done
sleep 6 # the batch exporters' last round
echo "OTLP sink received (all rows): $(cat "$BENCH_WORK/sink.txt" 2>/dev/null || echo nothing)"

mode=$( ((SLICE)) && echo "slices of $SLICE s" || { ((TOGETHER)) && echo together || echo "in turn"; })
python3 - "$results" "$CONNS" "$STREAMS" "$SAMPLED" "$mode" "$SHARE" "${rows[@]}" <<'PY'
import statistics, sys
from collections import defaultdict
results, conns, streams, sampled, mode, share, *rows = sys.argv[1:]
share = int(share)
per_cpu = mode != "in turn"
by = defaultdict(list)  # (round, row) -> [(server, req/s, CPU µs per call)]
for line in open(results):
    rnd, server, rps, cpu = line.rstrip("\n").split("\t")
    by[(rnd, server.split("-")[0])].append((server, float(rps), float(cpu)))
rounds = sorted({r for r, _ in by}, key=int)
procs = len(by[(rounds[0], "off")])
med, mean = statistics.median, statistics.mean
# The figure: req/s when servers run in turn; when they share the core at once or take turns in slices, calls per CPU
# second (the req/s each would reach with the core to itself).
figure = (lambda x: 1e6 / x[2]) if per_cpu else (lambda x: x[1])
unit = "calls per CPU s" if per_cpu else "req/s"
rps = lambda r, s: mean(figure(x) for x in by[(r, s)])
cpu = lambda r, s: mean(x[2] for x in by[(r, s)])
label = {"off": "off (Telemetry:Enabled=false)",
         "control": "control: off again, in processes of its own (the benchmark's own error)",
         "traced": "shipped, OTLP configured (scraped; traces capped and exported; logs exported)",
         "sampled": f"TraceSampleRatio={sampled}, no cap (scraped; one trace in ten exported)",
         "on": "every trace exported, no cap (scraped)",
         "defaults": "shipped, no OTLP endpoint (scraped, no spans)",
         "metrics": "metrics only (scraped, Telemetry:Tracing=false)",
         "unscraped": "metrics only, never scraped",
         "tracing": "tracing only (every trace exported, no cap, no metrics)",
         "unsampled": "TraceSampleRatio=0 (scraped, OTLP configured, nothing sampled)",
         "stage": "OpenTelemetry on, nothing exported (the call middleware, nothing listening)"}
each = f" (mean of {procs} processes)" if procs > 1 else ""
print()
print("| round | " + " | ".join(f"{r} {unit}{each}" for r in rows) + " | " + " | ".join(f"{r} ÷ off" for r in rows[1:]) + " |")
print("|---|" + "---:|" * (2 * len(rows) - 1))
for r in rounds:
    print(f"| {r} | " + " | ".join(f"{rps(r, s):,.0f}" for s in rows) + " | "
          + " | ".join(f"{rps(r, s) / rps(r, 'off'):.3f}" for s in rows[1:]) + " |")
print()
# With a control row, each row is also set beside the mean of off and control: two sets of identical servers, so a slow
# or fast off process (processes of the same settings differ by a few per cent) weighs half as much.
both = "control" in rows
base = lambda r: (rps(r, "off") + rps(r, "control")) / 2 if both else rps(r, "off")
print(f"| server | {unit} (median) | ÷ off [per round] | server CPU µs/call | CPU ÷ off |{' ÷ mean of off and control |' if both else ''} goal ≤ 5 % |")
print("|---|---:|---:|---:|---:|" + ("---:|" if both else "") + "---|")
for s in rows:
    ratio = [rps(r, s) / rps(r, "off") for r in rounds]
    cpus = [cpu(r, s) / cpu(r, "off") for r in rounds]
    pair = f" {med([rps(r, s) / base(r) for r in rounds]):.3f} |" if both else ""
    verdict = ("—" if s == "off"
               else f"(A/A: {(1 - med(ratio)) * 100:+.1f} % where no cost is)" if s == "control"
               else ("MET" if 1 - med(ratio) <= 0.05 else "MISSED") + f" (cost {(1 - med(ratio)) * 100:.1f} %)")
    print(f"| {label.get(s, s)} | {med([rps(r, s) for r in rounds]):,.0f} | {med(ratio):.3f} [{', '.join(f'{x:.3f}' for x in ratio)}] | "
          f"{med([cpu(r, s) for r in rounds]):.1f} | {med(cpus):.2f} |{pair} {verdict} |")
if procs > 1:
    # How far processes of the same settings differ: each one's median over the rounds, to the off processes' mean.
    off = mean(med(figure(x) for r in rounds for x in by[(r, "off")] if x[0] == name) for name in {x[0] for x in by[(rounds[0], "off")]})
    print()
    print(f"| row | each process's median {unit} ÷ the off processes' mean |")
    print("|---|---|")
    for s in rows:
        names = sorted({x[0] for x in by[(rounds[0], s)]})
        print(f"| {s} | " + ", ".join(f"{med([figure(x) for r in rounds for x in by[(r, s)] if x[0] == n]) / off:.3f}" for n in names) + " |")
print()
print(f"h2load -c {conns} -m {streams} on Ping per server, servers on CPU 0 ({ {'together': 'all loaded at once', 'in turn': 'loaded in turn'}.get(mode, 'taking turns in ' + mode + ', each under load throughout') }), h2load + scraper + OTLP sink on CPU 1")
print(f"/metrics scraped every {share} s; the traced row's cap {round(100 / share)} traces a second")
PY
echo "load average after the rounds: $load_after"
if ((JIT_LOG)); then
  echo
  echo "Methods the JIT compiled (DOTNET_JitDisasmSummary): in all, then within each round's measured window; the kinds of"
  echo "the last round's ($BENCH_WORK/jit-SERVER.txt with KEEP_WORK=1):"
  for server in "${servers[@]}"; do
    line="$server: $(wc -l <"$BENCH_WORK/jit-$server.txt") in all; rounds:"
    for round in $(seq "$ROUNDS"); do line+=" $((jitted[$server.$round.end] - jitted[$server.$round]))"; done
    echo "$line"
    sed -n "$((jitted[$server.$ROUNDS] + 1)),${jitted[$server.$ROUNDS.end]}p" "$BENCH_WORK/jit-$server.txt" \
      | sed -E 's/^ *[0-9]+: JIT compiled //; s/\[(Tier[^,]*|Instrumented[^,]*|FullOpts|OSR)[^]]*\]/\1/' \
      | awk '{ tier = $NF; split($1, a, ":"); n = split(a[1], ns, "."); print tier, ns[1] "." ns[2] }' | sort | uniq -c | sort -rn | head -12 | sed 's/^/    /'
  done
fi
if ((THREADS)); then
  echo
  echo "Where each row's CPU went over the measured windows, by thread (% of the row's ticks; threads that ended are missed):"
  python3 - "$BENCH_WORK" "${servers[@]}" <<'PY'
import collections, glob, sys
work, *servers = sys.argv[1:]
def load(path):
    # A thread that ended while it was being read has no ticks: left out.
    return {tid: (name, int(ticks)) for tid, name, ticks in (line.rstrip("\n").split("\t") for line in open(path)) if ticks}
by_row = collections.defaultdict(collections.Counter)
for server in servers:
    for before in glob.glob(f"{work}/threads.{server}.*.0"):
        start, end = load(before), load(before[:-1] + "1")
        for tid, (name, ticks) in end.items():
            by_row[server.split("-")[0]][name] += ticks - start.get(tid, (name, 0))[1]
for row, threads in by_row.items():
    total = sum(threads.values()) or 1
    print(f"{row}: " + ", ".join(f"{name} {100 * ticks / total:.1f} %" for name, ticks in threads.most_common() if ticks > 0))
PY
fi
if ((PERF)); then
  wait "${perf_pids[@]}" # perf record writes its file as it ends (seconds, for a large profile)
  echo
  echo "Where each server's CPU went in round $ROUNDS (% of its samples; bench/perf_breakdown.py): telemetry_code, activity: samples"
  echo "charged to that code (with the runtime helpers it called); jit_thread, gc_threads, other_threads: samples on those threads."
  echo "Each server's 40 biggest owners: $BENCH_WORK/perf-SERVER.owners.txt (KEEP_WORK=1 keeps them)."
  for server in "${servers[@]}"; do
    perf script -i "$BENCH_WORK/perf-$server.data" -F comm,tid,period,ip,sym,dso 2>/dev/null >"$BENCH_WORK/perf-$server.txt"
    python3 "$BENCH_ROOT/bench/perf_breakdown.py" "$server" "$BENCH_WORK/perf-$server.owners.txt" <"$BENCH_WORK/perf-$server.txt"
  done
  find /tmp -maxdepth 1 \( -name 'perf-*.map' -o -name 'perfinfo-*.map' \) -newer "$BENCH_WORK/perf-maps-since" -delete
fi
echo "$(elapsed) done"
