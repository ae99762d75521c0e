#!/usr/bin/env bash
# The one test command: installs what the tests need when it is missing, then runs every test in LearnHub.sln.
# TRX results land in $TEST_RESULTS_DIR (default: TestResults/ at the repository root); extra arguments go to
# `dotnet test` (e.g. scripts/test.sh --filter "FullyQualifiedName~Interop").
# Exits with dotnet test's exit code.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
results="${TEST_RESULTS_DIR:-$root/TestResults}"

# The Node interop client (tests/interop/node) needs its packages, pinned by the committed package-lock.json.
node_client="$root/tests/interop/node"
if [[ ! -d "$node_client/node_modules" ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "scripts/test.sh: Node.js with npm (>= 20) is needed for the interop tests; install it and run again." >&2
    exit 2
  fi
  echo "scripts/test.sh: installing the Node interop client's packages (npm ci)"
  (cd "$node_client" && npm ci --no-audit --no-fund)
fi

# Only this run's results: .ci/run sums every TRX file in the folder.
mkdir -p "$results"
rm -f "$results"/*.trx

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
set +e
dotnet test "$root/LearnHub.sln" --logger "trx" --results-directory "$results" "$@"
code=$?
set -e
exit "$code"
