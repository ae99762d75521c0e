#!/usr/bin/env bash
# Fan broadcasts (issue 5) on the SQLite store, over gRPC against the real server (Release, CPU 0; client on CPU 1):
#   (a) ApproveBroadcast latency, creator with 1,000,000 followers ÷ creator with 10: target ≤ 1.5;
#   (b) CheckIn p99 of a follower of 500 creators with 1,000,000 broadcasts stored: target ≤ 10 ms.
# The store is migrated by the operator command, then bulk-loaded (LearnHub.Bench.Broadcasts load), then the server
# starts on it. Env: BIG_FOLLOWERS (1000000), SMALL_FOLLOWERS (10), CREATORS (5000), FOLLOWED (500), READERS (40),
# BROADCASTS (1000000), INBOX_HISTORY_DAYS (0), PAIRS (200), CHECK_INS (300), EXPLAIN_REPEATS (50), KEEP_WORK.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap bench_cleanup EXIT
BROADCASTS_DLL="$BENCH_ROOT/bench/LearnHub.Bench.Broadcasts/bin/Release/net10.0/LearnHub.Bench.Broadcasts.dll"
READERS=${READERS:-40}

bench_build bench/LearnHub.Bench.Probe/LearnHub.Bench.Probe.csproj bench/LearnHub.Bench.Broadcasts/LearnHub.Bench.Broadcasts.csproj
machine_line
data="$BENCH_WORK/data"
# The operator command migrates the new store and creates the reviewer; everything else is bulk-loaded.
dotnet "$SERVER_DLL" user add --handle bench-admin --name 压测审核员 --roles admin,reviewer --data-dir "$data" >/dev/null
run_tracked dotnet "$BROADCASTS_DLL" load "$data/learnhub.db" \
  --big-followers "${BIG_FOLLOWERS:-1000000}" --small-followers "${SMALL_FOLLOWERS:-10}" --creators "${CREATORS:-5000}" \
  --followed "${FOLLOWED:-500}" --readers "$READERS" --broadcasts "${BROADCASTS:-1000000}" --inbox-history-days "${INBOX_HISTORY_DAYS:-0}"

bench_start_server 0 "$data" --Storage:SeedDemoData=false \
  --RateLimits:ReadsPerSecond=100000000 --RateLimits:ReadBurst=100000000 \
  --RateLimits:WritesPerMinute=100000000 --RateLimits:WriteBurst=100000000 \
  --Logging:LogLevel:Default=Warning
admin=$(mint_token bench-admin "$data")
big=$(mint_token bench-creator-big "$data")
small=$(mint_token bench-creator-small "$data")
: >"$BENCH_WORK/readers.txt"
for r in $(seq 0 $((READERS - 1))); do
  mint_token "$(printf 'bench-reader-%03d' "$r")" "$data" >>"$BENCH_WORK/readers.txt"
done
echo "tokens minted: 3 + $READERS readers; load average $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
run_tracked taskset -c 1 dotnet "$BROADCASTS_DLL" run "$GRPC_URL" "$data/learnhub.db" "$admin" "$big" "$small" "$BENCH_WORK/readers.txt" \
  --pairs "${PAIRS:-200}" --check-ins "${CHECK_INS:-300}" --server-pid "$SERVER_PID" || status=$?
machine_line

# Where the check-in time goes, without gRPC: query plans and in-process timings (server stopped first).
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
echo
run_tracked taskset -c 1 dotnet "$BROADCASTS_DLL" explain "$data/learnhub.db" --repeats "${EXPLAIN_REPEATS:-50}" || status=$?
exit $status
