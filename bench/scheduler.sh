#!/usr/bin/env bash
# Scheduler punctuality on the SQLite store: COUNT sessions (default 1000, one per instructor) due at the same
# minute; every one must go live within 60 s with lateness p99 <= 1 s. Server on CPU 0, the bench client on CPU 1.
# Env: COUNT (1000), LEAD (minimum seconds between now and the shared start, 60), QUARTZ_THREADS (server default).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap bench_cleanup EXIT
COUNT=${COUNT:-1000} LEAD=${LEAD:-60}
SCHEDULER_DLL="$BENCH_ROOT/bench/LearnHub.Bench.Scheduler/bin/Release/net10.0/LearnHub.Bench.Scheduler.dll"

bench_build bench/LearnHub.Bench.Probe/LearnHub.Bench.Probe.csproj bench/LearnHub.Bench.Scheduler/LearnHub.Bench.Scheduler.csproj
machine_line
data="$BENCH_WORK/data"
# The operator command creates the admin (and migrates the new store); the instructors are seeded in one
# transaction, since a thousand CLI runs would take minutes.
dotnet "$SERVER_DLL" user add --handle bench-admin --name 压测管理员 --roles admin --data-dir "$data" >/dev/null
python3 - "$data/learnhub.db" "$COUNT" "$BENCH_WORK/instructors.txt" <<'PY'
import sqlite3, sys, time
db, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
now = int(time.time() * 1000)
ids = [f"u_bench_instructor_{i:04d}" for i in range(1, count + 1)]
with sqlite3.connect(db) as connection:
    connection.executemany(
        "INSERT INTO users (id, handle, display_name, roles, time_zone, created_at_ms) VALUES (?, ?, ?, 'instructor,viewer', 'Asia/Shanghai', ?)",
        [(uid, f"bench-instructor-{i:04d}", f"压测讲师{i:04d}", now) for i, uid in enumerate(ids, 1)])
open(out, "w").write("\n".join(ids) + "\n")
PY
extra=()
[[ -n "${QUARTZ_THREADS:-}" ]] && extra+=("--Quartz:ThreadCount=$QUARTZ_THREADS")
bench_start_server 0 "$data" --Storage:SeedDemoData=false \
  --RateLimits:ReadsPerSecond=100000000 --RateLimits:ReadBurst=100000000 \
  --RateLimits:WritesPerMinute=100000000 --RateLimits:WriteBurst=100000000 \
  --Logging:LogLevel:Default=Warning "${extra[@]}"
token=$(mint_token bench-admin "$data")
status=0
run_tracked taskset -c 1 dotnet "$SCHEDULER_DLL" "$GRPC_URL" "$token" "$BENCH_WORK/instructors.txt" --lead "$LEAD" --server-pid "$SERVER_PID" || status=$?
machine_line
exit $status
