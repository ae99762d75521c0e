#!/usr/bin/env bash
# Live presence (issue 4): USERS x STREAMS_PER_USER WatchSession streams (default 200 x 100 = 20,000) over one HTTP/2
# connection per 100 streams, held DURATION seconds; server memory per stream; join bursts -> SignalR dashboard;
# update latency with and without a stalled viewer. Server on CPU 0; the load generator and the dashboard on CPU 1.
# Env: DURATION (s, 600), USERS (200), STREAMS_PER_USER (100), BURST_USERS (50), BURST_STREAMS (20 per burst user),
# BURSTS (100), WARMUP_BURSTS (3), CHANGES (30 per phase), CHANGE_INTERVAL_MS (2000), ROUNDS (2 x baseline + stalled),
# OPEN_WAVE (10 holder connections = 1,000 streams opened at a time), MINT_PARALLEL (4 token commands at a time), SERVER_ARGS (more server options), KEEP_WORK=1 keeps the temp folder (server log, tokens).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap bench_cleanup EXIT
DURATION=${DURATION:-600} USERS=${USERS:-200} STREAMS_PER_USER=${STREAMS_PER_USER:-100}
BURST_USERS=${BURST_USERS:-50} BURST_STREAMS=${BURST_STREAMS:-20} BURSTS=${BURSTS:-100} WARMUP_BURSTS=${WARMUP_BURSTS:-3}
CHANGES=${CHANGES:-30} CHANGE_INTERVAL_MS=${CHANGE_INTERVAL_MS:-2000} ROUNDS=${ROUNDS:-2} MINT_PARALLEL=${MINT_PARALLEL:-4} OPEN_WAVE=${OPEN_WAVE:-10}
SESSION=s_demo_test2
WATCH_DLL="$BENCH_ROOT/bench/LearnHub.Bench.Watch/bin/Release/net10.0/LearnHub.Bench.Watch.dll"

bench_build bench/LearnHub.Bench.Probe/LearnHub.Bench.Probe.csproj bench/LearnHub.Bench.Watch/LearnHub.Bench.Watch.csproj
machine_line
data="$BENCH_WORK/data"
max_streams=$(( STREAMS_PER_USER > BURST_STREAMS ? STREAMS_PER_USER : BURST_STREAMS ))
# The demo seed brings the Live session s_demo_test2 of wanhongcoco. Opening a stream takes a read token of the
# caller's bucket, so the read limits are raised; the per-user stream cap is raised to the streams a user holds.
bench_start_server 0 "$data" --Storage:SeedDemoData=true \
  --RateLimits:ReadsPerSecond=100000000 --RateLimits:ReadBurst=100000000 \
  "--Presence:MaxStreamsPerUser=$max_streams" --Logging:LogLevel:Default=Warning ${SERVER_ARGS:-}
dashboard_token=$(mint_token wanhongcoco "$data")

# Viewers: inserted in one transaction (a CLI run per user takes ~1.5 s); tokens from the operator command.
python3 - "$data/learnhub.db" "$USERS" "$BURST_USERS" "$BENCH_WORK/users.txt" <<'PY'
import sqlite3, sys, time
db, users, bursts, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
now = int(time.time() * 1000)
rows = [("holder", f"bench-holder-{i:03d}") for i in range(1, users + 1)]
rows += [("burst", f"bench-burst-{i:03d}") for i in range(1, bursts + 1)]
rows += [("toggler", "bench-toggler"), ("stalled", "bench-stalled")]
with sqlite3.connect(db, timeout=30) as connection:
    connection.executemany(
        "INSERT INTO users (id, handle, display_name, roles, time_zone, created_at_ms) VALUES (?, ?, ?, 'viewer', 'Asia/Shanghai', ?)",
        [(f"u_{handle.replace('-', '_')}", handle, f"压测观众 {handle}", now) for _, handle in rows])
open(out, "w").write("".join(f"{role}\t{handle}\n" for role, handle in rows))
PY
mkdir -p "$BENCH_WORK/tokens"
started=$(date +%s)
export SERVER_DLL data BENCH_WORK
cut -f2 "$BENCH_WORK/users.txt" | xargs -P "$MINT_PARALLEL" -I{} sh -c \
  'dotnet "$SERVER_DLL" token --user "$1" --data-dir "$data" > "$BENCH_WORK/tokens/$1"' _ {}
tokens="$BENCH_WORK/tokens.tsv"
while IFS=$'\t' read -r role handle; do
  printf '%s\t%s\t%s\n' "$role" "$handle" "$(cat "$BENCH_WORK/tokens/$handle")"
done <"$BENCH_WORK/users.txt" >"$tokens"
printf 'dashboard\twanhongcoco\t%s\n' "$dashboard_token" >>"$tokens"
echo "minted $(wc -l <"$tokens") tokens in $(( $(date +%s) - started )) s"

status=0
echo "load: taskset -c 1 dotnet LearnHub.Bench.Watch.dll run --duration $DURATION … (server pid $SERVER_PID on CPU 0)"
run_tracked taskset -c 1 dotnet "$WATCH_DLL" run --grpc "$GRPC_URL" --web "$WEB_URL" --tokens "$tokens" \
  --session "$SESSION" --server-pid "$SERVER_PID" --duration "$DURATION" --streams-per-user "$STREAMS_PER_USER" \
  --burst-streams "$BURST_STREAMS" --bursts "$BURSTS" --warmup-bursts "$WARMUP_BURSTS" --changes "$CHANGES" \
  --change-interval-ms "$CHANGE_INTERVAL_MS" --rounds "$ROUNDS" --open-wave "$OPEN_WAVE" || status=$?
if grep -qE ' (fail|crit)|Exception' "$BENCH_WORK/server.log"; then
  echo "server log (warnings and above):"; grep -E ' (warn|fail|crit)|Exception' "$BENCH_WORK/server.log" | sort | uniq -c | sort -rn | head -20
fi
machine_line
exit $status
