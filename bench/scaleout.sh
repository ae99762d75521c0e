#!/usr/bin/env bash
# Scale-out (issue 6): the unary and watch-stream benchmarks against four topologies in one run, side by side:
#   sqlite  the embedded default, one node (CPU 0)
#   pg1     PostgreSQL + Redis, one node (CPU 0)
#   pg2     PostgreSQL + Redis, two nodes: A on CPU 0, B on CPU 1
#   pg1d    as pg1 but with Npgsql's connection defaults (pool of 100, no automatic preparation): unary only
# The PostgreSQL connection string of pg1 and pg2 adds PG_CS_EXTRA (default "Maximum Pool Size=16;Max Auto Prepare=20":
# a pool sized for a 2-core database, statements prepared once per connection instead of parsed and planned per call).
# A private PostgreSQL 15 and a private Redis run on free loopback ports in the work folder (unpinned); each topology
# has its own database and Redis channel prefix, so all of them are up at once and the unary rounds interleave them.
# Unary: h2load on Ping (bare baseline) and GetSession; for pg2 one h2load per node at the same time (A's on CPU 1, B's
# on CPU 0), req/s added. Watch: HOLDERS x STREAMS_PER_USER held WatchSession streams (split over the nodes), join
# bursts of BURST_USERS x BURST_STREAMS; the dashboard is on node A, the bursts join through node B (cross-node path).
# Env: TOPOLOGIES ("sqlite pg1 pg2 pg1d"), WATCH_TOPOLOGIES ("sqlite pg1 pg2"), PG_CS_EXTRA, DURATION (s, 10),
# WARMUP (s, 3), CONNS (50), STREAMS (20 per connection), ROUNDS
# (3), WARMUP_ROUND (s, 8), VERIFY (3000), HOLDERS (30), STREAMS_PER_USER (150), BURST_USERS (20), BURST_STREAMS (25),
# BURSTS (20), WARMUP_BURSTS (2), MINT_PARALLEL (4),
# SERVER_ARGS (more options for every node), KEEP_WORK=1 keeps the work folder (server logs, tokens, h2load output).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap bench_cleanup EXIT
TOPOLOGIES=${TOPOLOGIES:-"sqlite pg1 pg2 pg1d"}
WATCH_TOPOLOGIES=${WATCH_TOPOLOGIES:-"sqlite pg1 pg2"}
DURATION=${DURATION:-10} WARMUP=${WARMUP:-3} CONNS=${CONNS:-50} STREAMS=${STREAMS:-20} ROUNDS=${ROUNDS:-3}
WARMUP_ROUND=${WARMUP_ROUND:-8} VERIFY=${VERIFY:-3000}
HOLDERS=${HOLDERS:-30} STREAMS_PER_USER=${STREAMS_PER_USER:-150} BURST_USERS=${BURST_USERS:-20}
BURST_STREAMS=${BURST_STREAMS:-25} BURSTS=${BURSTS:-20} WARMUP_BURSTS=${WARMUP_BURSTS:-2} MINT_PARALLEL=${MINT_PARALLEL:-4}
SESSION=s_demo_test2
WATCH_DLL="$BENCH_ROOT/bench/LearnHub.Bench.Watch/bin/Release/net10.0/LearnHub.Bench.Watch.dll"
started_at=$(date +%s)
elapsed() { echo "[$(( $(date +%s) - started_at )) s]"; }

bench_apt_install h2load:nghttp2-client redis-server:redis-server redis-cli:redis-tools psql:postgresql-client-15 \
  "$PG_BIN/initdb:postgresql-15"
bench_build bench/LearnHub.Bench.Probe/LearnHub.Bench.Probe.csproj bench/LearnHub.Bench.Watch/LearnHub.Bench.Watch.csproj
machine_line | tee "$BENCH_WORK/machine-before.txt"
echo "topologies: $TOPOLOGIES; git $(git -C "$BENCH_ROOT" rev-parse --short HEAD)"

uses_pg=no
[[ " $TOPOLOGIES " == *" pg"* ]] && uses_pg=yes
if [[ $uses_pg == yes ]]; then
  # Room for Npgsql's default pool of 100 (pg1d) next to the other nodes' pools and the CLI.
  bench_start_postgres max_connections=400
  bench_start_redis
  echo "$(elapsed) PostgreSQL 15 on 127.0.0.1:$PG_PORT ($BENCH_PG_DIR), Redis $(redis-server --version | awk '{print $3}') on 127.0.0.1:$REDIS_PORT"
fi

# Every node: limits raised so that the read limiter runs on every call but never refuses one; a holder user opens
# STREAMS_PER_USER streams (split over the nodes when there are two).
common=(--RateLimits:ReadsPerSecond=100000000 --RateLimits:ReadBurst=100000000
  "--Presence:MaxStreamsPerUser=$(( STREAMS_PER_USER > BURST_STREAMS ? STREAMS_PER_USER : BURST_STREAMS ))"
  --Logging:LogLevel:Default=Warning ${SERVER_ARGS:-})
declare -A grpc web pid nodes cpu data
# start_node TOPOLOGY NODE CPU DATA_DIR [options…]
start_node() {
  local topology=$1 node=$2 core=$3 dir=$4
  shift 4
  SERVER_NAME="$topology-$node" bench_start_server "$core" "$dir" "${common[@]}" "$@"
  grpc[$topology-$node]=$GRPC_URL web[$topology-$node]=$WEB_URL pid[$topology-$node]=$SERVER_PID cpu[$topology-$node]=$core
  nodes[$topology]="${nodes[$topology]:-} $topology-$node"
  data[$topology]=$dir
  echo "$(elapsed) $topology node $node: pid $SERVER_PID on CPU $core, gRPC $GRPC_URL, web $WEB_URL"
}
# The two PostgreSQL topologies share one data folder: one signing key, so a token minted once is valid on every node
# of both (a JWT names the user id; the bench users have the same ids in both databases).
pg_data="$BENCH_WORK/pg-data"
for topology in $TOPOLOGIES; do
  case $topology in
    sqlite) start_node sqlite a 0 "$BENCH_WORK/sqlite-data" --Storage:SeedDemoData=true ;;
    pg1|pg2|pg1d)
      database=learnhub_$topology
      pg_sql postgres -c "CREATE DATABASE $database"
      extra=$PG_CS_EXTRA
      [[ $topology == pg1d ]] && extra=""
      cluster=(--Storage:Provider=Postgres "--Storage:ConnectionString=$(pg_cs "$database" "$extra")"
        "--Redis:Configuration=127.0.0.1:$REDIS_PORT" "--Redis:ChannelPrefix=bench-$topology")
      # Demo data seeded by the first node only; the second joins the migrated, seeded database.
      start_node "$topology" a 0 "$pg_data" "${cluster[@]}" --Cluster:NodeId="$topology-a" --Storage:SeedDemoData=true
      if [[ $topology == pg2 ]]; then
        start_node "$topology" b 1 "$pg_data" "${cluster[@]}" --Cluster:NodeId="$topology-b" --Storage:SeedDemoData=false
      fi ;;
    *) echo "unknown topology $topology (sqlite, pg1, pg2, pg1d)" >&2; exit 2 ;;
  esac
done

# Bench users: inserted in one statement per store (a CLI run per user takes ~1.5 s); same ids in every store.
now_ms=$(( $(date +%s) * 1000 ))
{
  for i in $(seq -f %03g "$HOLDERS"); do printf 'holder\tbench-holder-%s\n' "$i"; done
  for i in $(seq -f %03g "$BURST_USERS"); do printf 'burst\tbench-burst-%s\n' "$i"; done
} >"$BENCH_WORK/users.txt"
awk -F'\t' -v now="$now_ms" 'BEGIN { print "INSERT INTO users (id, handle, display_name, roles, time_zone, created_at_ms) VALUES" }
  { id = $2; gsub("-", "_", id); printf "%s('\''u_%s'\'', '\''%s'\'', '\''压测观众 %s'\'', '\''viewer'\'', '\''Asia/Shanghai'\'', %s)", (NR > 1 ? ",\n" : ""), id, $2, $2, now }
  END { print ";" }' "$BENCH_WORK/users.txt" >"$BENCH_WORK/users.sql"

# mint_all STORE DATA_DIR [env…]: a token per bench user plus the dashboard's (wanhongcoco) and the unary caller's
# (xiaowang), from the operator command, MINT_PARALLEL at a time; the CLI reads the store from LEARNHUB_* variables.
mint_all() {
  local store=$1 dir=$2
  shift 2
  mkdir -p "$BENCH_WORK/tokens-$store"
  { cut -f2 "$BENCH_WORK/users.txt"; echo wanhongcoco; echo xiaowang; } |
    env "$@" SERVER_DLL="$SERVER_DLL" dir="$dir" out="$BENCH_WORK/tokens-$store" xargs -P "$MINT_PARALLEL" -I{} sh -c \
      'dotnet "$SERVER_DLL" token --user "$1" --data-dir "$dir" > "$out/$1"' _ {}
  {
    while IFS=$'\t' read -r role handle; do printf '%s\t%s\t%s\n' "$role" "$handle" "$(cat "$BENCH_WORK/tokens-$store/$handle")"; done <"$BENCH_WORK/users.txt"
    # The watch tool also wants a toggling and a stalled viewer; this run has no toggling rounds, so they stay unused.
    printf 'toggler\txiaowang\t%s\nstalled\txiaowang\t%s\n' "$(cat "$BENCH_WORK/tokens-$store/xiaowang")" "$(cat "$BENCH_WORK/tokens-$store/xiaowang")"
    printf 'dashboard\twanhongcoco\t%s\n' "$(cat "$BENCH_WORK/tokens-$store/wanhongcoco")"
  } >"$BENCH_WORK/tokens-$store.tsv"
}
declare -A store_of
for topology in $TOPOLOGIES; do
  case $topology in
    sqlite)
      python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=30); c.executescript(open(sys.argv[2]).read()); c.close()' \
        "${data[sqlite]}/learnhub.db" "$BENCH_WORK/users.sql"
      mint_all sqlite "${data[sqlite]}"
      store_of[sqlite]=sqlite ;;
    pg1|pg2|pg1d)
      pg_sql "learnhub_$topology" -f "$BENCH_WORK/users.sql"
      if [[ ! -f "$BENCH_WORK/tokens-pg.tsv" ]]; then
        mint_all pg "$pg_data" LEARNHUB_Storage__Provider=Postgres "LEARNHUB_Storage__ConnectionString=$(pg_cs "learnhub_$topology")"
      fi
      store_of[$topology]=pg ;;
  esac
  echo "$(elapsed) $topology: $(wc -l <"$BENCH_WORK/users.txt") bench users inserted; tokens in tokens-${store_of[$topology]}.tsv"
done
xiaowang_token() { cat "$BENCH_WORK/tokens-${store_of[$1]}/xiaowang"; }

# Correctness before speed: a real client gets status OK from every node for every call (h2load counts HTTP 200 even
# when grpc-status is not 0), and gives the response frame sizes for the DATA-byte check below.
dotnet "$PROBE_DLL" bodies "$BENCH_WORK/bodies" >/dev/null
declare -A path=([ping]=/learnhub.v1.DiagnosticsService/Ping [get-session]=/learnhub.v1.SessionService/GetSession)
declare -A frame
for topology in $TOPOLOGIES; do
  for node in ${nodes[$topology]}; do
    dotnet "$PROBE_DLL" check "${grpc[$node]}" "$(xiaowang_token "$topology")" >"$BENCH_WORK/check-$node.txt" \
      || { cat "$BENCH_WORK/check-$node.txt" >&2; exit 1; }
  done
done
for topology in $TOPOLOGIES; do
  first=(${nodes[$topology]})
  for call in "${!path[@]}"; do
    frame[$topology.$call]=$(awk -F'\t' -v p="${path[$call]}" '$1 == p { split($3, a, " "); print a[3] }' "$BENCH_WORK/check-${first[0]}.txt")
  done
  echo "$(elapsed) real-client check $topology: Ping and GetSession answer OK on every node (frames: Ping ${frame[$topology.ping]} B, GetSession ${frame[$topology.get-session]} B)"
done

# The load core for a node: the other one (pg2's node B is on CPU 1, so its h2load runs on CPU 0).
load_cpu() { [[ ${cpu[$1]} == 0 ]] && echo 1 || echo 0; }
# h2load_nodes TOPOLOGY CALL OUT_PREFIX h2load-options…: one h2load per node of the topology, all at once.
h2load_nodes() {
  local topology=$1 call=$2 prefix=$3 node
  shift 3
  local pids=()
  for node in ${nodes[$topology]}; do
    taskset -c "$(load_cpu "$node")" h2load "${grpc[$node]}${path[$call]}" -d "$BENCH_WORK/bodies/$call.bin" \
      -H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer $(xiaowang_token "$topology")" \
      -c "$CONNS" -m "$STREAMS" "$@" ${prefix:+--log-file "$prefix.$node.log"} >"${prefix:-$BENCH_WORK/h2load}.$node.txt" &
    pids+=($!)
    BENCH_PIDS+=($!)
  done
  local status=0
  for p in "${pids[@]}"; do wait "$p" || status=$?; done
  return $status
}

# Every error answer is trailers-only (no DATA): a fixed-count run whose DATA bytes equal count x frame proves every
# call under h2load was answered with a message. It also warms each node up.
for topology in $TOPOLOGIES; do
  for call in ping get-session; do
    h2load_nodes "$topology" "$call" "$BENCH_WORK/verify.$topology.$call" -n "$VERIFY"
    for node in ${nodes[$topology]}; do
      bytes=$(data_bytes_of "$BENCH_WORK/verify.$topology.$call.$node.txt")
      [[ "$bytes" == $(( VERIFY * frame[$topology.$call] )) ]] || {
        echo "verify $node $call: $bytes DATA bytes for $VERIFY calls, expected $(( VERIFY * frame[$topology.$call] ))" >&2; exit 1; }
    done
  done
done
echo "$(elapsed) verified: every h2load call on every node answered with a message ($VERIFY per call and node)"
# An untimed round: the JIT tiers up before the measured rounds.
for topology in $TOPOLOGIES; do
  for call in ping get-session; do h2load_nodes "$topology" "$call" "" -D "$WARMUP_ROUND"; done
done

# CPU ticks of a topology's server processes, and of PostgreSQL + Redis (shared by the PostgreSQL topologies; only
# one topology is loaded at a time).
server_ticks() { local t=0 node; for node in ${nodes[$1]}; do t=$(( t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/${pid[$node]}/stat") )); done; echo $t; }
backing_ticks() {
  [[ ${store_of[$1]} == pg ]] || { echo 0; return; }
  echo $(( $(pg_cpu_ticks) + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$REDIS_PID/stat") ))
}
results="$BENCH_WORK/unary.tsv"
hz=$(getconf CLK_TCK)
echo "$(elapsed) unary: $ROUNDS rounds x (${TOPOLOGIES// /, }) x (Ping, GetSession), ${DURATION} s + ${WARMUP} s warm-up each, -c $CONNS -m $STREAMS per node"
for round in $(seq "$ROUNDS"); do
  for topology in $TOPOLOGIES; do
    for call in ping get-session; do
      prefix="$BENCH_WORK/unary.$round.$topology.$call"
      # A quiet second: work queued by the previous run (PostgreSQL backends finishing) is not counted in this one.
      sleep 1
      s0=$(server_ticks "$topology") b0=$(backing_ticks "$topology")
      h2load_nodes "$topology" "$call" "$prefix" -D "$DURATION" --warm-up-time "$WARMUP"
      s1=$(server_ticks "$topology") b1=$(backing_ticks "$topology")
      rps=0 calls=0
      for node in ${nodes[$topology]}; do
        r=$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' "$prefix.$node.txt")
        rps=$(awk -v a="$rps" -v b="$r" 'BEGIN { print a + b }')
        calls=$(( calls + $(data_bytes_of "$prefix.$node.txt") / frame[$topology.$call] ))
      done
      cat "$prefix".*.log >"$prefix.all.log"
      read -r n p50 p99 max non200 < <(python3 "$BENCH_ROOT/bench/latency.py" "$prefix.all.log")
      # CPU per call over the whole run (warm-up included; calls = DATA bytes / frame, every answered call).
      server_us=$(awk -v t=$(( s1 - s0 )) -v hz="$hz" -v c="$calls" 'BEGIN { printf "%.1f", 1e6 * t / hz / c }')
      backing_us=$(awk -v t=$(( b1 - b0 )) -v hz="$hz" -v c="$calls" 'BEGIN { printf "%.1f", 1e6 * t / hz / c }')
      server_pct=$(awk -v t=$(( s1 - s0 )) -v hz="$hz" -v s=$(( DURATION + WARMUP )) 'BEGIN { printf "%.0f", 100 * t / hz / s }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$topology" "$call" "$rps" "$p50" "$p99" "$max" \
        "$n" "$non200" "$server_pct" "$server_us" "$backing_us" | tee -a "$results"
    done
  done
done
cut -d' ' -f1-3 /proc/loadavg >"$BENCH_WORK/load-after-unary.txt"

# Watch streams per topology, one at a time (the others idle). The watch tool runs on CPU 1 (with pg2's node B).
watch_results="$BENCH_WORK/watch.tsv"
for topology in $WATCH_TOPOLOGIES; do
  [[ " $TOPOLOGIES " == *" $topology "* ]] || continue
  node_list=(${nodes[$topology]})
  a=${node_list[0]} b=${node_list[-1]}
  hold=$(for node in "${node_list[@]}"; do printf '%s,' "${grpc[$node]}"; done)
  pids=$(for node in "${node_list[@]}"; do printf '%s,' "${pid[$node]}"; done)
  echo "$(elapsed) watch $topology: $((HOLDERS * STREAMS_PER_USER)) streams over ${node_list[*]}, dashboard on $a, bursts through $b"
  out="$BENCH_WORK/watch.$topology.txt"
  run_tracked taskset -c 1 dotnet "$WATCH_DLL" run --grpc "${grpc[$a]}" --web "${web[$a]}" --hold-grpc "${hold%,}" \
    --burst-grpc "${grpc[$b]}" --tokens "$BENCH_WORK/tokens-${store_of[$topology]}.tsv" --session "$SESSION" \
    --server-pid "${pids%,}" --duration 0 --streams-per-user "$STREAMS_PER_USER" --burst-streams "$BURST_STREAMS" \
    --bursts "$BURSTS" --warmup-bursts "$WARMUP_BURSTS" --changes 0 --rounds 0 --open-wave 10 >"$out" 2>&1 || true
  grep -E '^(\[|first |[0-9]\. )' "$out" | grep -vE '^4\. |target 20,000' || true
  line=$(grep '^result' "$out" || echo "result	missing=yes")
  printf '%s\t%s\n' "$topology" "${line#result	}" >>"$watch_results"
done

for topology in $TOPOLOGIES; do
  for node in ${nodes[$topology]}; do
    if grep -qE ' (fail|crit)|Exception' "$BENCH_WORK/$node.log"; then
      echo "$node log (errors):"; grep -E ' (fail|crit)|Exception' "$BENCH_WORK/$node.log" | sort | uniq -c | sort -rn | head -10
    fi
  done
done

python3 - "$results" "$watch_results" "$TOPOLOGIES" "$CONNS" "$STREAMS" <<'PY'
import statistics, sys
unary, watch, topologies, conns, streams = sys.argv[1], sys.argv[2], sys.argv[3].split(), int(sys.argv[4]), int(sys.argv[5])
names = {"sqlite": "SQLite, 1 node", "pg1": "PostgreSQL + Redis, 1 node", "pg2": "PostgreSQL + Redis, 2 nodes",
         "pg1d": "PostgreSQL + Redis, 1 node, Npgsql defaults"}
rows = [l.rstrip("\n").split("\t") for l in open(unary)]
by = {}  # (round, topology, call) -> figures
for rnd, topo, call, rps, p50, p99, mx, n, non200, pct, sus, bus in rows:
    by[(rnd, topo, call)] = dict(rps=float(rps), p50=float(p50), p99=float(p99), server=float(sus), backing=float(bus), pct=float(pct), non200=int(non200))
rounds = sorted({r for r, _, _ in by}, key=int)
med = lambda xs: statistics.median(xs)
print()
print("### Unary (medians over rounds; per-round ratios in brackets)")
print()
print("| topology | call | req/s | p50 ms | p99 ms | server CPU µs/call | PostgreSQL + Redis CPU µs/call | GetSession ÷ Ping req/s | req/s ÷ SQLite's | server CPU/call ÷ SQLite's |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for topo in topologies:
    for call in ("ping", "get-session"):
        f = [by[(r, topo, call)] for r in rounds]
        ratio_ping = [by[(r, topo, "get-session")]["rps"] / by[(r, topo, "ping")]["rps"] for r in rounds] if call == "get-session" else None
        vs = [by[(r, topo, call)]["rps"] / by[(r, "sqlite", call)]["rps"] for r in rounds] if "sqlite" in topologies and topo != "sqlite" else None
        cpu_vs = [by[(r, topo, call)]["server"] / by[(r, "sqlite", call)]["server"] for r in rounds] if "sqlite" in topologies and topo != "sqlite" else None
        fmt = lambda xs: f"{med(xs):.2f} [{', '.join(f'{x:.2f}' for x in xs)}]" if xs else "—"
        print(f"| {names[topo]} | {'Ping' if call == 'ping' else 'GetSession'} | {med([x['rps'] for x in f]):,.0f} | {med([x['p50'] for x in f]):.1f} | "
              f"{med([x['p99'] for x in f]):.1f} | {med([x['server'] for x in f]):.1f} | {med([x['backing'] for x in f]):.1f} | {fmt(ratio_ping)} | {fmt(vs)} | {fmt(cpu_vs)} |")
bad = [k for k, v in by.items() if v["non200"]]
print()
print(f"non-200 answers: {'none' if not bad else bad}; {conns} connections x {streams} streams per node and h2load")
print()
print("### Watch streams")
print()
print("| topology | streams held (per node) | opened in s | errors | KiB per stream (per node) | join burst → dashboard p50 / p90 / p99 / max ms | all burst snapshots p50 / p99 ms | leave → dashboard p50 / p99 ms | bursts | load |")
print("|---|---|---:|---:|---|---|---|---|---:|---|")
for line in open(watch):
    topo, *pairs = line.rstrip("\n").split("\t")
    w = dict(p.split("=", 1) for p in pairs)
    if "missing" in w:
        print(f"| {names[topo]} | no result (see the log) | | | | | | | | |")
        continue
    print(f"| {names[topo]} | {int(w['still_open']):,} of {int(w['streams']):,} ({w['node_streams']}) | {w['open_s']} | {w['errors']} (wrong final count {w['wrong_count']}) | "
          f"{w['kib_per_stream']} ({w['node_kib_per_stream']}) | {w['join_p50']} / {w['join_p90']} / {w['join_p99']} / {w['join_max']} | "
          f"{w['snapshots_p50']} / {w['snapshots_p99']} | {w['leave_p50']} / {w['leave_p99']} | {w['bursts']} of {w['burst_streams']} joins | {w['load_min']}–{w['load_max']} |")
PY
echo
echo "load average after the unary rounds: $(cat "$BENCH_WORK/load-after-unary.txt")"
machine_line
echo "$(elapsed) done"
