#!/usr/bin/env bash
# Runs every test suite: the .NET tests (API scenarios, storage, crash and concurrency tests), the
# Node suite that drives a live `cairn serve` with the official PocketBase JS SDK, both once on SQLite and
# once on a throwaway PostgreSQL (scripts/postgres.sh), and an sqlmap scan of a live server
# (tests/security). Installs what the suites need (npm packages, PostgreSQL, Prometheus, sqlmap) and ends with the
# line "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
passed=0; failed=0; status=0
results="$root/artifacts/test-results"; mkdir -p "$results"

count() { # $1 = log file; reads the runner summaries and adds them up
  local p f
  p=$(grep -E '^\s+succeeded: [0-9]+' "$1" | awk '{s+=$2} END {print s+0}')
  f=$(grep -E '^\s+failed: [0-9]+' "$1" | awk '{s+=$2} END {print s+0}')
  passed=$((passed + p)); failed=$((failed + f))
}

echo "== build"
if ! dotnet build Cairn.slnx -c Release -nologo -v q -clp:"ErrorsOnly;NoSummary"; then
  echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi

dotnet_suite() { # $1 = log file; runs the .NET suite (on PostgreSQL when CAIRN_TEST_POSTGRES is set)
  dotnet test --solution Cairn.slnx -c Release --no-build 2>&1 | tee "$1"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
  count "$1"
  if ! grep -qE '^\s+succeeded: [0-9]+' "$1"; then failed=$((failed + 1)); status=1; fi
}

# s3rver (npm): the S3 blob store's tests run against it (tests/Cairn.Tests/Files/S3).
(cd tests/s3rver && npm ci --no-audit --no-fund --loglevel=error) || status=1
# Prometheus (Debian): a test lets it scrape a live server (tests/Cairn.Tests/Observability/PrometheusScrapeTests.cs), which
# starts its own on loopback; the packaged service is not wanted running, so it is stopped and disabled if systemd started it.
if ! command -v prometheus >/dev/null; then
  apt=(apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 prometheus)
  "${apt[@]}" >/dev/null || { apt-get update -q >/dev/null && "${apt[@]}" >/dev/null; } || status=1
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi

echo "== .NET tests on SQLite"
dotnet_suite "$results/dotnet.log"

# One throwaway PostgreSQL serves both PostgreSQL passes (.NET and SDK); each test server gets its own database.
# If it does not start, both passes count as failures: a missing PostgreSQL never skips silently.
echo "== PostgreSQL (scripts/postgres.sh starts a throwaway server)"
pgdir=$(mktemp -d /tmp/cairn-pg.XXXXXX)
# rmdir: a start that failed before claiming the folder leaves it empty, and stop only removes folders it claimed.
trap 'scripts/postgres.sh stop "$pgdir" >/dev/null 2>&1 || rmdir "$pgdir" 2>/dev/null || true' EXIT
if ! pg=$(scripts/postgres.sh start "$pgdir"); then
  pg=""; echo "PostgreSQL did not start: the .NET and SDK PostgreSQL passes count as failed"
fi

# The PostgreSQL legs also cache every rule's list and view responses (off by default there): each scenario that
# writes and then reads checks the cache's invalidation too. The SQLite legs run the default (public rules cached).
echo "== .NET tests on PostgreSQL (response cache: all)"
if [[ -n "$pg" ]]; then
  CAIRN_TEST_CACHE=all CAIRN_TEST_POSTGRES="$pg" dotnet_suite "$results/dotnet-postgres.log"
else
  echo "no PostgreSQL: counted as failed"; failed=$((failed + 1)); status=1
fi

sdk() { # $1 = log file; runs tests/sdk against the built server (on PostgreSQL when CAIRN_TEST_POSTGRES is set)
  CAIRN_DLL="$root/artifacts/cairn/Cairn.Server.dll" node --test --test-concurrency=2 tests/sdk/ 2>&1 | tee "$1"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
  local p f
  p=$(grep -E '^# pass [0-9]+' "$1" | awk '{print $3}'); f=$(grep -E '^# fail [0-9]+' "$1" | awk '{print $3}')
  if [[ -z "$p" ]]; then failed=$((failed + 1)); status=1; else passed=$((passed + p)); failed=$((failed + ${f:-0})); fi
}

echo "== PocketBase JS SDK suite (tests/sdk) on SQLite"
dotnet build src/Cairn.Server -c Release -o artifacts/cairn -nologo -v q -clp:"ErrorsOnly;NoSummary" || status=1
(cd tests/sdk && npm ci --no-audit --no-fund --loglevel=error) || status=1
sdk "$results/sdk.log"

echo "== PocketBase JS SDK suite (tests/sdk) on PostgreSQL (response cache: all)"
if [[ -n "$pg" ]]; then
  CAIRN_CACHE=all CAIRN_TEST_POSTGRES="$pg" sdk "$results/sdk-postgres.log"
else
  echo "no PostgreSQL: counted as failed"; failed=$((failed + 1)); status=1
fi
scripts/postgres.sh stop "$pgdir" >/dev/null 2>&1 || true

echo "== SQL injection scan (tests/security/sqlmap.sh)"
tests/security/sqlmap.sh "$root/artifacts/cairn/Cairn.Server.dll" 2>&1 | tee "$results/security.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$results/security.log" | tail -1)
if [[ -z "$line" ]]; then failed=$((failed + 1)); status=1
else p=${line%% *}; f=${line#*, }; passed=$((passed + p)); failed=$((failed + ${f%% *})); fi

[[ $failed -eq 0 ]] || status=1
echo "$passed passed, $failed failed"
exit $status
