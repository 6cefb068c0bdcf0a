#!/usr/bin/env bash
# SQL injection scan: starts a live `cairn serve` on a temporary data folder, seeds two public collections
# (authors, and posts with text, number and a relation to authors, so `expand` reaches a second table) and
# runs Debian's sqlmap against the query parameters a guest controls on the records list and view
# endpoints. One scan per row of the table below counts as one test: it passes when sqlmap tested the
# parameter and found nothing, and fails when it reports an injection, when the server answers 500 to a
# payload, or when the scan did not run. Ends with the line "N passed, N failed" (scripts/test.sh adds it up).
#
# Usage: tests/security/sqlmap.sh [path/to/Cairn.Server.dll]   (default: artifacts/cairn/Cairn.Server.dll)
# sqlmap's logs are kept in artifacts/test-results/sqlmap/.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dll="${1:-${CAIRN_DLL:-$root/artifacts/cairn/Cairn.Server.dll}}"
logs="$root/artifacts/test-results/sqlmap"; rm -rf "$logs"; mkdir -p "$logs"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-sqlmap-XXXXXX")"
passed=0; failed=0; server=""

cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
abort() { echo "sqlmap scan: $*" >&2; echo "$passed passed, $((failed + 1)) failed"; exit 1; }

if ! command -v sqlmap >/dev/null; then
  echo "== installing sqlmap"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq sqlmap >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlmap >/dev/null; } \
    || abort "could not install sqlmap (apt-get install -y sqlmap)"
fi
[[ -f "$dll" ]] || abort "$dll not found; build it with: dotnet build src/Cairn.Server -c Release -o artifacts/cairn"

# --- a live server on a free port (port 0; Kestrel's "Now listening on" line names the real one) ----------
email="root@example.com"; password="password123"
dotnet "$dll" superuser upsert "$email" "$password" --dir "$work/data" >/dev/null || abort "superuser upsert failed"
dotnet "$dll" serve --http 127.0.0.1:0 --dir "$work/data" --synchronous normal >"$work/server.log" 2>&1 &
server=$!
base=""
for _ in $(seq 300); do
  base=$(grep -oE 'Now listening on: http://[0-9.]+:[0-9]+' "$work/server.log" | head -1 | cut -d' ' -f4)
  [[ -n "$base" ]] && curl -fs "$base/api/health" >/dev/null && break
  kill -0 "$server" 2>/dev/null || break
  base=""; sleep 0.1
done
[[ -n "$base" ]] || { tail -20 "$work/server.log" >&2; abort "cairn did not start in 30 s"; }

# --- seed data through the REST API as superuser -----------------------------------------------------------
json() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; } # reads one top-level key
api() { # METHOD PATH [JSON]: prints the response body, fails on a non-2xx status
  curl -fsS -X "$1" "$base$2" -H "Authorization: ${token:-}" -H 'Content-Type: application/json' ${3:+-d "$3"}
}
token=$(api POST /api/collections/_superusers/auth-with-password \
  "{\"identity\":\"$email\",\"password\":\"$password\"}" | json token) || abort "superuser sign-in failed"
authors=$(api POST /api/collections '{"name":"authors","type":"base","listRule":"","viewRule":"",
  "fields":[{"name":"name","type":"text"}]}' | json id) || abort "creating authors failed"
api POST /api/collections "{\"name\":\"posts\",\"type\":\"base\",\"listRule\":\"\",\"viewRule\":\"\",
  \"fields\":[{\"name\":\"title\",\"type\":\"text\"},{\"name\":\"likes\",\"type\":\"number\"},
  {\"name\":\"author\",\"type\":\"relation\",\"collectionId\":\"$authors\",\"maxSelect\":1}]}" >/dev/null \
  || abort "creating posts failed"
alice=$(api POST /api/collections/authors/records '{"name":"alice"}' | json id) || abort "seeding authors failed"
bob=$(api POST /api/collections/authors/records '{"name":"bob"}' | json id) || abort "seeding authors failed"
post=""
for row in "a day in the park|3|$alice" "banana bread|7|$bob" "cairns and trails|1|$alice" "zero likes|0|$bob"; do
  IFS='|' read -r title likes author <<<"$row"
  id=$(api POST /api/collections/posts/records "{\"title\":\"$title\",\"likes\":$likes,\"author\":\"$author\"}" \
    | json id) || abort "seeding posts failed"
  post=${post:-$id}
done
token="" # the scans run as a guest: the public rules ("") let guest queries reach the query compiler

# --- the scans -----------------------------------------------------------------------------------------------
# Baselines are valid requests (checked for a 200 below) so sqlmap has a true page to compare with; the
# second filter ends in a number and walks the relation, so payloads also land in numeric and join context.
list="$base/api/collections/posts/records"
q='filter=title~%22a%22&sort=-created&expand=author&fields=id,title'
q2='filter=author.name~%22al%22%20%26%26%20likes%3E%3D0&sort=-likes,title&expand=author&fields=id,title,expand'
view="$list/$post?expand=author&fields=id,title,expand"
scans=( # label | URL | parameter (sqlmap's -p; empty when the URL carries a '*' marker)
  "list filter|$list?$q|filter"
  "list filter (relation, number)|$list?$q2|filter"
  "list sort|$list?$q|sort"
  "list expand|$list?$q|expand"
  "list fields|$list?$q|fields"
  "view expand|$view|expand"
  "view fields|$view|fields"
  "view id (path)|$list/$post*?expand=author|"
)

# sqlmap options, and why:
# --level=5 --risk=3  the most payloads sqlmap has (all boundaries, OR-based and heavy time-based tests); the
#                     scans only read, and the database is thrown away, so risk 3 cannot do harm here.
# --dbms=SQLite       the only engine Cairn has today; DBMS-specific payloads for other engines cannot run on
#                     it (they would be a syntax error at most), and skipping them cuts a scan from ~22 s and
#                     ~8,700 requests to ~4 s and ~870 while generic boolean/UNION payloads are still sent.
# --technique=BEUSTQ  every technique (boolean, error, union, stacked, time, inline); affordable at ~4 s a scan.
# no --threads        sqlmap's detection phase is sequential; threads only speed up data extraction.
# --batch --ignore-stdin --flush-session --output-dir: unattended (sqlmap would otherwise read targets from a
#                     piped stdin), nothing cached from an earlier run, nothing written to ~/.local/share.
opts=(--batch --ignore-stdin --flush-session --disable-coloring --output-dir="$work/sqlmap"
      --dbms=SQLite --level=5 --risk=3 --technique=BEUSTQ)

# Reads one scan's log. sqlmap's wording (lib/controller/checks.py, controller.py in /usr/share/sqlmap):
# a found injection prints "parameter 'x' appears to be (or is) '<technique>' injectable", "parameter 'x'
# is vulnerable" and "sqlmap identified the following injection point(s)"; a heuristic positive ("might be
# injectable", as opposed to "might not be") means a database error text reached the response, a leak in
# itself. A scan that ran printed "testing for SQL injection on <place> parameter 'x'" and then tried
# payload families ("testing '<title>'"), and ends with "parameter 'x' does not seem to be injectable".
judge() { # LOG PARAM: prints a verdict; returns 0 only for a scan that ran and found nothing
  local log=$1 p=$2
  if grep -qE "(appears to be|is) '.*' injectable|is vulnerable\. |identified the following injection point|might be injectable" "$log"; then
    echo "INJECTABLE: $(grep -E "injectable|is vulnerable|injection point" "$log" | grep -v 'not' | head -3 | tr -d '\r' | tr '\n' ' ')"
    return 1
  fi
  if ! grep -F "testing for SQL injection on" "$log" | grep -qF "parameter '$p'" || ! grep -qE "testing '" "$log" \
     || ! grep -qF "parameter '$p' does not seem to be injectable" "$log"; then
    echo "DID NOT RUN: $(grep -E '\[(CRITICAL|ERROR)\]' "$log" | head -2 | tr -d '\r' | tr '\n' ' ')"
    return 1
  fi
  local codes; codes=$(grep -E '^[0-9]{3} \(.*\) - [0-9]+ times' "$log" | paste -sd, -)
  if grep -qF "500 (Internal Server Error)" "$log"; then
    echo "SERVER ERROR: $codes (a payload made the server fail; see its log below)"
    return 1
  fi
  echo "$(grep -F "parameter '$p' does not seem to be injectable" "$log" | sed -E 's/^.*\[[A-Z]+\] //')" \
    "after $(grep -cE "testing '" "$log") payload families (HTTP errors: ${codes:-none})"
}

echo "== sqlmap against $base (guest requests)"
for scan in "${scans[@]}"; do
  IFS='|' read -r label url param <<<"$scan"
  log="$logs/$(echo "$label" | tr -cs 'a-z0-9\n' '-' | sed 's/-$//').log"
  check=${param:-'#1*'}
  status=$(curl -s -o /dev/null -w '%{http_code}' -g "${url/\*/}")
  if [[ "$status" != 200 ]]; then
    echo "FAIL  $label: the baseline request answered $status, not 200"; failed=$((failed + 1)); continue
  fi
  start=$SECONDS
  sqlmap -u "$url" ${param:+-p "$param"} "${opts[@]}" >"$log" 2>&1 </dev/null
  rc=$?
  verdict=$(judge "$log" "$check"); ok=$?
  [[ $rc -eq 0 ]] || { ok=1; verdict="sqlmap exited with $rc; $verdict"; }
  if [[ $ok -eq 0 ]]; then
    echo "pass  $label: $verdict, $((SECONDS - start)) s"; passed=$((passed + 1))
  else
    echo "FAIL  $label: $verdict (log: $log)"; failed=$((failed + 1))
  fi
done

if [[ $failed -gt 0 ]]; then
  echo "-- server log (errors)"; grep -E '"status":5[0-9][0-9]|"LogLevel":"(Error|Critical)"' "$work/server.log" | head -5
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
