#!/usr/bin/env bash
# Cold start to serving: process start -> first grpc.health.v1 Check answering SERVING, RUNS times with a fresh data
# folder (migrations + demo seed) and RUNS times with an existing one. Target (issue 2): <= 3 s.
# Env: RUNS (5), CPUS (taskset CPU list for the server; default: unpinned, as a deployment would run it).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap bench_cleanup EXIT
RUNS=${RUNS:-5}
bench_build bench/LearnHub.Bench.Probe/LearnHub.Bench.Probe.csproj
machine_line
args=(coldstart "$SERVER_DLL" --runs "$RUNS")
[[ -n "${CPUS:-}" ]] && args+=(--cpus "$CPUS")
# The probe spawns and stops each server itself (SIGTERM, then kill); it is the one process this script starts.
run_tracked dotnet "$PROBE_DLL" "${args[@]}"
machine_line
