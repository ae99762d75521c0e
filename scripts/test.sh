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
# (The embeddable panel, src/LearnHub.Embed, installs and builds itself: LearnHub.Server.csproj runs npm ci and
# npm run build when its inputs changed, so the first `dotnet test` below needs npm on the PATH too.)
node_client="$root/tests/interop/node"
# Installed when missing or when the lockfile changed since the last install (a stamp records its hash).
lock_hash=$(sha256sum "$node_client/package-lock.json" | cut -d' ' -f1)
lock_stamp="$node_client/node_modules/.learnhub-lock-sha256"
if [[ ! -d "$node_client/node_modules" || "$(cat "$lock_stamp" 2>/dev/null)" != "$lock_hash" ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "scripts/test.sh: Node.js with npm (>= 20) is needed for the interop tests; install it and run again." >&2
    exit 2
  fi
  echo "scripts/test.sh: installing the Node interop client's packages (npm ci)"
  (cd "$node_client" && npm ci --no-audit --no-fund)
  echo "$lock_hash" > "$lock_stamp"
fi

# Installs Debian packages the tests need (as root, with apt-get), or stops with the command to run instead.
apt_lists_fresh=
install_packages() {
  local purpose=$1
  shift
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "scripts/test.sh: the $purpose need $*; run as root (apt-get install -y $*) and try again." >&2
    exit 2
  fi
  echo "scripts/test.sh: installing $* for the $purpose (apt-get)"
  # A fresh machine's package lists may be empty or old: refresh them once per run, then install.
  if [[ -z $apt_lists_fresh ]]; then
    apt-get update -qq
    apt_lists_fresh=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# The browser tests (tests/LearnHub.Browser.Tests) drive Debian's Chromium; Playwright's own download is never used.
# A Chinese font makes their screenshots readable (the console is zh-CN first); the tests pass without it.
browser_packages=()
[[ -x /usr/bin/chromium ]] || browser_packages+=(chromium)
[[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || browser_packages+=(fonts-wqy-microhei)
if [[ ${#browser_packages[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    if [[ ! -x /usr/bin/chromium ]]; then
      echo "scripts/test.sh: the browser tests need Debian's chromium at /usr/bin/chromium; run as root (apt-get install -y chromium) and try again." >&2
      exit 2
    fi
  else
    install_packages "browser tests" "${browser_packages[@]}"
  fi
fi

# The scale-out tests (and the second pass of the server suite) run private PostgreSQL and Redis servers on loopback
# ports in temporary folders (tests/Shared/PostgresServer.cs, RedisServer.cs); only Debian's packages are needed.
service_packages=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || service_packages+=(postgresql)
command -v redis-server >/dev/null 2>&1 || service_packages+=(redis-server)
if [[ ${#service_packages[@]} -gt 0 ]]; then
  # The packages' own clusters are not used: the tests start their own servers.
  install_packages "scale-out tests" "${service_packages[@]}"
fi

# The RTMP ingest tests (tests/LearnHub.Server.Tests/Ingest) run their own nginx with the RTMP module on loopback ports
# (tests/Shared/NginxRtmpServer.cs) and publish with ffmpeg; only Debian's packages are needed.
ingest_packages=()
[[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null 2>&1 || ingest_packages+=(nginx)
[[ -e /usr/lib/nginx/modules/ngx_rtmp_module.so ]] || ingest_packages+=(libnginx-mod-rtmp)
command -v ffmpeg >/dev/null 2>&1 || ingest_packages+=(ffmpeg)
if [[ ${#ingest_packages[@]} -gt 0 ]]; then
  install_packages "ingest tests" "${ingest_packages[@]}"
  # The package's own nginx (port 80, RTMP 1935 once the module is enabled) is not used: the tests start their own.
  service nginx stop >/dev/null 2>&1 || /usr/sbin/nginx -s quit 2>/dev/null || true
fi

# Only this run's results: .ci/run sums every TRX file in the folder.
mkdir -p "$results"
rm -f "$results"/*.trx
rm -rf "$results/screenshots"

# Each browser test saves a screenshot of the page it checked next to the results.
export LEARNHUB_SCREENSHOTS_DIR="$results/screenshots"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
set +e
# Every store test runs on both stores: first the server suite on PostgreSQL (the two-node tests, which start their
# own PostgreSQL-backed nodes in every pass, are left to the second run), then every project on the SQLite default.
postgres_filter=(--filter "FullyQualifiedName!~.ScaleOut.")
[[ " $* " == *" --filter "* ]] && postgres_filter=()  # a caller's own filter applies to both runs instead
LEARNHUB_TEST_STORE=Postgres dotnet test "$root/tests/LearnHub.Server.Tests" --logger "trx;LogFilePrefix=postgres" \
  --results-directory "$results" "${postgres_filter[@]}" "$@"
postgres_code=$?
# One project at a time (-m:1): the browser tests beside the server suite on two cores took twice as long, and the
# whole run minutes longer, than one after the other.
dotnet test "$root/LearnHub.sln" -m:1 --logger "trx" --results-directory "$results" "$@"
code=$?
set -e
if [[ $code -eq 0 ]]; then
  code=$postgres_code
fi
exit "$code"
