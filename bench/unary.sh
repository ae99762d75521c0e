#!/usr/bin/env bash
# Unary throughput and latency against bare grpc-dotnet (issue 12), every server measured in the same run:
#   bare: ping   bench/LearnHub.Bench.Bare: DiagnosticsService/Ping from the same generated contract, nothing else
#                (no authentication, no rate limiter, no store, no middleware: Kestrel h2c and MapGrpcService)
#   ping         LearnHub's Ping: authentication and the read rate limiter, no work
#   get-session, list-recommendations   LearnHub's real calls
#   before: …    with BEFORE_REF (or BEFORE_DLL): the same three calls on a build of another commit, a third server
# Every server on CPU 0 (only one is under load at a time, the others idle), h2load on CPU 1. Each round runs every
# row in turn (bare first), so drift in the machine's load hits every row alike; each figure is reported as a ratio to
# bare's in the same round, and the summary takes the median of those ratios over the rounds.
# Env: STORE (sqlite, default: demo data in a temp folder | postgres: a private PostgreSQL 15 and Redis, see lib.sh;
# PG_CS_EXTRA tunes the connection string), BEFORE_REF (a git ref: built from `git archive` in the work folder) or
# BEFORE_DLL (a built LearnHub.Server.dll), DURATION (s, 20), WARMUP (s, 5), CONNS (50), STREAMS (20 per connection),
# ROUNDS (3), WARMUP_ROUND (s, 15: an untimed run of each row before the first round), VERIFY (5000 calls per row),
# SERVER_ARGS (more options for the LearnHub servers), SERVER_DLL (lib.sh), KEEP_WORK=1 (keep logs and h2load output).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap bench_cleanup EXIT
DURATION=${DURATION:-20} WARMUP=${WARMUP:-5} CONNS=${CONNS:-50} STREAMS=${STREAMS:-20} ROUNDS=${ROUNDS:-3}
WARMUP_ROUND=${WARMUP_ROUND:-15} VERIFY=${VERIFY:-5000}
STORE=${STORE:-sqlite} BEFORE_REF=${BEFORE_REF:-} BEFORE_DLL=${BEFORE_DLL:-}
started_at=$(date +%s)
elapsed() { echo "[$(( $(date +%s) - started_at )) s]"; }

case $STORE in
  sqlite) bench_apt_install h2load:nghttp2-client ;;
  postgres) bench_apt_install h2load:nghttp2-client redis-server:redis-server redis-cli:redis-tools \
    psql:postgresql-client-15 "$PG_BIN/initdb:postgresql-15" ;;
  *) echo "STORE is sqlite or postgres, not '$STORE'" >&2; exit 2 ;;
esac
[[ -z $BEFORE_REF || -z $BEFORE_DLL ]] || { echo "BEFORE_REF or BEFORE_DLL, not both" >&2; exit 2; }

bench_build bench/LearnHub.Bench.Probe/LearnHub.Bench.Probe.csproj bench/LearnHub.Bench.Bare/LearnHub.Bench.Bare.csproj
before=""
if [[ -n $BEFORE_REF ]]; then
  before_commit=$(git -C "$BENCH_ROOT" rev-parse --verify --short "$BEFORE_REF^{commit}")
  # An exported tree rather than a worktree: nothing is left in the repository when the work folder goes.
  mkdir -p "$BENCH_WORK/before-src"
  git -C "$BENCH_ROOT" archive "$before_commit" | tar -x -C "$BENCH_WORK/before-src"
  echo "$(elapsed) building $before_commit in $BENCH_WORK/before-src"
  # No build servers: they would outlive the script.
  dotnet build -c Release --nologo -v q --disable-build-servers "$BENCH_WORK/before-src/src/LearnHub.Server/LearnHub.Server.csproj" \
    >"$BENCH_WORK/build-before.log" 2>&1 || { cat "$BENCH_WORK/build-before.log" >&2; exit 1; }
  BEFORE_DLL="$BENCH_WORK/before-src/src/LearnHub.Server/bin/Release/net10.0/LearnHub.Server.dll"
  before=$before_commit
  [[ $before_commit == "$BEFORE_REF"* ]] || before="$BEFORE_REF = $before_commit"
elif [[ -n $BEFORE_DLL ]]; then
  before=$BEFORE_DLL
fi
machine_line | tee "$BENCH_WORK/machine-before.txt"
echo "store: $STORE; LearnHub: $(git -C "$BENCH_ROOT" rev-parse --short HEAD)$(git -C "$BENCH_ROOT" diff --quiet HEAD -- src || echo ' + uncommitted changes in src/')${before:+; before: $before}"

if [[ $STORE == postgres ]]; then
  bench_start_postgres
  bench_start_redis
  echo "$(elapsed) PostgreSQL 15 on 127.0.0.1:$PG_PORT, Redis $(redis-server --version | awk '{print $3}') on 127.0.0.1:$REDIS_PORT; connection string tuning: ${PG_CS_EXTRA:-Npgsql defaults}"
fi

declare -A url pid token
# Read limits raised so that the limiter runs on every call but never refuses one.
common=(--Storage:SeedDemoData=true --RateLimits:ReadsPerSecond=100000000 --RateLimits:ReadBurst=100000000
  --Logging:LogLevel:Default=Warning ${SERVER_ARGS:-})
# start_learnhub NAME DLL: a LearnHub server on CPU 0 with its own data folder (its own signing key: a token is minted
# per server with its own build's CLI) and, on PostgreSQL, its own database and Redis prefix (one Redis for both).
start_learnhub() {
  local name=$1 dll=$2 data="$BENCH_WORK/$1-data" store_opts=() mint_env=()
  if [[ $STORE == postgres ]]; then
    pg_sql postgres -c "CREATE DATABASE learnhub_$name" >/dev/null
    local cs
    cs=$(pg_cs "learnhub_$name" "$PG_CS_EXTRA")
    store_opts=(--Storage:Provider=Postgres "--Storage:ConnectionString=$cs" "--Redis:Configuration=127.0.0.1:$REDIS_PORT"
      "--Redis:ChannelPrefix=bench-$name" "--Cluster:NodeId=$name")
    mint_env=(LEARNHUB_Storage__Provider=Postgres "LEARNHUB_Storage__ConnectionString=$cs")
  fi
  SERVER_DLL=$dll SERVER_NAME=$name bench_start_server 0 "$data" "${common[@]}" "${store_opts[@]}"
  url[$name]=$GRPC_URL pid[$name]=$SERVER_PID
  # The CLI reads the store from LEARNHUB_* variables.
  token[$name]=$( ((${#mint_env[@]} == 0)) || export "${mint_env[@]}"; SERVER_DLL=$dll mint_token xiaowang "$data")
  echo "$(elapsed) $name: pid $SERVER_PID on CPU 0, $GRPC_URL ($dll)"
}
# start_bare: the baseline on CPU 0.
start_bare() {
  bench_start_bare 0
  url[bare]=$GRPC_URL
  pid[bare]=$SERVER_PID
  echo "$(elapsed) bare: pid ${pid[bare]} on CPU 0, ${url[bare]}"
}
start_bare
start_learnhub learnhub "$SERVER_DLL"
if [[ -n $before ]]; then start_learnhub before "$BEFORE_DLL"; fi
# The bare server ignores metadata; it gets the same request headers as LearnHub's Ping, so only the server differs.
token[bare]=${token[learnhub]}

declare -A path=(
  [ping]=/learnhub.v1.DiagnosticsService/Ping
  [get-session]=/learnhub.v1.SessionService/GetSession
  [list-recommendations]=/learnhub.v1.SessionService/ListRecommendations
)
# Rows in the order each round runs them: a call and its "before" side by side.
rows=(bare.ping)
for call in ping get-session list-recommendations; do
  rows+=("learnhub.$call")
  [[ -z $before ]] || rows+=("before.$call")
done

# Correctness before speed: a real client gets status OK for every row (h2load counts HTTP 200 even when grpc-status
# is not 0), and gives the response frame sizes for the DATA-byte check below.
dotnet "$PROBE_DLL" bodies "$BENCH_WORK/bodies" >/dev/null
declare -A frame
echo "real-client check (grpc-status and response frame of each row):"
for server in bare learnhub ${before:+before}; do
  calls=(ping get-session list-recommendations)
  [[ $server == bare ]] && calls=(ping)
  dotnet "$PROBE_DLL" check "${url[$server]}" "${token[$server]}" "${calls[@]}" >"$BENCH_WORK/check-$server.txt" \
    || { cat "$BENCH_WORK/check-$server.txt" >&2; kill -0 "${pid[$server]}" 2>/dev/null || echo "$server has exited" >&2
         tail -40 "$BENCH_WORK/$server.log" >&2; exit 1; }
  sed "s/^/  $server  /" "$BENCH_WORK/check-$server.txt"
  for call in "${calls[@]}"; do
    frame[$server.$call]=$(awk -F'\t' -v p="${path[$call]}" '$1 == p { split($3, a, " "); print a[3] }' "$BENCH_WORK/check-$server.txt")
  done
done
[[ ${frame[bare.ping]} == "${frame[learnhub.ping]}" ]] \
  || echo "note: bare Ping answers a ${frame[bare.ping]}-byte frame, LearnHub's Ping ${frame[learnhub.ping]} bytes"

# load ROW OUT h2load-options…: h2load on CPU 1 against the row's server and call.
load() {
  local server=${1%%.*} call=${1#*.} out=$2
  shift 2
  run_tracked taskset -c 1 h2load "${url[$server]}${path[$call]}" -d "$BENCH_WORK/bodies/$call.bin" \
    -H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer ${token[$server]}" \
    -c "$CONNS" -m "$STREAMS" "$@" >"$out"
}

# Every error answer is trailers-only (no DATA), so a fixed-count run whose DATA bytes equal count x the frame size
# proves every call under h2load answered with a message, not just HTTP 200. It also warms each server up.
for row in "${rows[@]}"; do
  out="$BENCH_WORK/verify.$row.txt"
  load "$row" "$out" -n "$VERIFY"
  data_bytes=$(data_bytes_of "$out")
  if [[ "$data_bytes" != $((VERIFY * frame[$row])) ]]; then
    echo "verify $row: $data_bytes DATA bytes for $VERIFY calls, expected $((VERIFY * frame[$row])): some calls failed" >&2
    exit 1
  fi
  echo "verify $row: $VERIFY calls, $data_bytes DATA bytes = $VERIFY x ${frame[$row]}: every call answered OK"
done

# An untimed round first: the verification runs are too short for the JIT to finish tiering up on a busy core
# (Ping's CPU per call still fell by half between the first and second timed rounds without it).
for row in "${rows[@]}"; do load "$row" /dev/null -D "$WARMUP_ROUND"; done

hz=$(getconf CLK_TCK)
# CPU ticks (user + system) of a process; of PostgreSQL + Redis (0 on SQLite).
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
store_ticks() {
  [[ $STORE == postgres ]] || { echo 0; return; }
  echo $(( $(pg_cpu_ticks) + $(ticks "$REDIS_PID") ))
}
results="$BENCH_WORK/results.tsv"
: >"$results"
echo "$(elapsed) $ROUNDS rounds x ${#rows[@]} rows, ${DURATION} s + ${WARMUP} s warm-up each, -c $CONNS -m $STREAMS"
for round in $(seq "$ROUNDS"); do
  for row in "${rows[@]}"; do
    server=${row%%.*}
    out="$BENCH_WORK/$row.$round.txt" log="$BENCH_WORK/$row.$round.log"
    kill -0 "${pid[$server]}" 2>/dev/null || { echo "$server (pid ${pid[$server]}) is gone" >&2; tail -30 "$BENCH_WORK/$server.log" >&2; exit 1; }
    # A quiet second: work queued by the previous run (PostgreSQL backends finishing) is not counted in this one.
    sleep 1
    s0=$(ticks "${pid[$server]}") b0=$(store_ticks)
    load "$row" "$out" -D "$DURATION" --warm-up-time "$WARMUP" --log-file "$log"
    s1=$(ticks "${pid[$server]}") b1=$(store_ticks)
    rps=$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' "$out")
    done_count=$(awk '/^requests:/ { print $6 }' "$out")
    # h2load logs the measured phase only (warm-up requests are left out).
    read -r n p50 p99 max non200 < <(python3 "$BENCH_ROOT/bench/latency.py" "$log")
    # CPU per call over the whole run, warm-up included: DATA bytes / frame size counts every answered call. Unlike
    # req/s it does not depend on how much of its core the server got from the rest of the machine.
    answered=$(( $(data_bytes_of "$out") / frame[$row] ))
    server_pct=$(awk -v t=$((s1 - s0)) -v hz="$hz" -v s=$((DURATION + WARMUP)) 'BEGIN { printf "%.0f", 100 * t / hz / s }')
    server_us=$(awk -v t=$((s1 - s0)) -v hz="$hz" -v c="$answered" 'BEGIN { printf "%.1f", c ? 1e6 * t / hz / c : 0 }')
    store_us=$(awk -v t=$((b1 - b0)) -v hz="$hz" -v c="$answered" 'BEGIN { printf "%.1f", c ? 1e6 * t / hz / c : 0 }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$row" "$rps" "$p50" "$p99" "$max" "$done_count" \
      "$non200" "$server_pct" "$server_us" "$store_us" >>"$results"
    echo "$(elapsed) round $round $row: $rps req/s, p99 $p99 ms, $server_us µs/call"
  done
done
cut -d' ' -f1-3 /proc/loadavg >"$BENCH_WORK/load-after.txt"

# Errors in the server logs. When a timed run ends, h2load closes its connections with up to CONNS x STREAMS calls in
# flight; grpc-dotnet logs each one that was still reading its request ("The request stream was aborted"): counted
# apart, as they are not failures of the server.
for server in bare learnhub ${before:+before}; do
  awk -v server="$server" '
    /^(fail|crit): / { entry = $0; next }
    entry != "" { if ($0 ~ /The request stream was aborted/) aborted++; else { errors[entry " | " $0]++; n++ } entry = "" }
    END {
      if (aborted) printf "%s log: %d calls aborted by h2load closing its connections at the end of a timed run\n", server, aborted
      if (n) { printf "%s log: %d errors:\n", server, n; for (e in errors) printf "  %6d  %s\n", errors[e], e }
    }' "$BENCH_WORK/$server.log"
done

python3 - "$results" "$STORE" "$before" "$CONNS" "$STREAMS" "${rows[@]}" <<'PY'
import statistics, sys
results, store, before, conns, streams, *rows = sys.argv[1:]
pg = store == "postgres"
# Issue 12's targets: req/s ÷ bare's at least this, and p99 at most 2 x bare's p99.
targets = {"ping": 0.60, "get-session": 0.50, "list-recommendations": 0.50}
P99_FACTOR = 2.0

def label(row):
    server, call = row.split(".", 1)
    return {"bare": "bare: ", "learnhub": "", "before": "before: "}[server] + call

by = {}  # (round, row) -> figures
for line in open(results):
    rnd, row, rps, p50, p99, mx, done, non200, pct, sus, bus = line.rstrip("\n").split("\t")
    by[(rnd, row)] = dict(rps=float(rps), p50=float(p50), p99=float(p99), max=float(mx), done=int(done),
                          non200=int(non200), pct=float(pct), cpu=float(sus), store=float(bus))
rounds = sorted({r for r, _ in by}, key=int)
med = statistics.median
per = lambda xs: ", ".join(f"{x:.2f}" for x in xs)

print()
print(f"### Per round ({'PostgreSQL + Redis' if pg else 'SQLite'})")
print()
print("| round | call | req/s | p50 ms | p99 ms | max ms | requests | non-200 | server CPU % | server CPU µs/call |"
      + (" PostgreSQL + Redis CPU µs/call |" if pg else ""))
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if pg else ""))
for r in rounds:
    for row in rows:
        f = by[(r, row)]
        print(f"| {r} | {label(row)} | {f['rps']:,.0f} | {f['p50']:.1f} | {f['p99']:.1f} | {f['max']:.1f} | {f['done']:,} | "
              f"{f['non200']} | {f['pct']:.0f} | {f['cpu']:.1f} |" + (f" {f['store']:.1f} |" if pg else ""))

print()
print(f"### Summary: medians over {len(rounds)} round(s); ratios to bare are medians of the per-round ratios [per round]")
print()
print("| call | req/s | ÷ bare | p50 ms | p99 ms | p99 ÷ bare p99 | server CPU µs/call | CPU ÷ bare's |"
      + (" PostgreSQL + Redis CPU µs/call |" if pg else "") + " target | verdict |")
print("|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if pg else "") + "---|---|")
for row in rows:
    f = [by[(r, row)] for r in rounds]
    b = [by[(r, "bare.ping")] for r in rounds]
    ratio = [x["rps"] / y["rps"] for x, y in zip(f, b)]
    p99r = [x["p99"] / y["p99"] for x, y in zip(f, b)]
    cpur = [x["cpu"] / y["cpu"] if y["cpu"] else float("nan") for x, y in zip(f, b)]
    call = row.split(".", 1)[1]
    if row == "bare.ping":
        target, verdict = "baseline", "—"
    else:
        goal = targets[call]
        target = f"≥ {goal:.2f}, p99 ≤ {P99_FACTOR:.0f}×"
        verdict = "MET" if med(ratio) >= goal and med(p99r) <= P99_FACTOR else "MISSED"
    print(f"| {label(row)} | {med([x['rps'] for x in f]):,.0f} | {med(ratio):.2f} [{per(ratio)}] | {med([x['p50'] for x in f]):.1f} | "
          f"{med([x['p99'] for x in f]):.1f} | {med(p99r):.2f} [{per(p99r)}] | {med([x['cpu'] for x in f]):.1f} | "
          f"{med(cpur):.2f} [{per(cpur)}] |" + (f" {med([x['store'] for x in f]):.1f} |" if pg else "") + f" {target} | {verdict} |")
print()
bad = sorted({label(row) for (_, row), v in by.items() if v["non200"]})
print(f"bare = bench/LearnHub.Bench.Bare (same contract, no auth, no rate limiter, no middleware)"
      + (f"; before = {before}" if before else "") + f"; non-200 answers: {', '.join(bad) if bad else 'none'}; "
      f"h2load -c {conns} -m {streams}, servers on CPU 0, h2load on CPU 1")
PY
echo
echo "load average after the rounds: $(cat "$BENCH_WORK/load-after.txt")"
machine_line
echo "$(elapsed) done"
