#!/usr/bin/env bash
# The realtime benchmark (issue 6): memory per idle connection with REALTIME_CONNECTIONS WebSocket and then SSE
# connections held open, and fan-out latency of one update to REALTIME_CONNECTIONS signed-in subscribers with the
# list rule checked for each, over WebSocket and over SSE. Each measurement gets a fresh `cairn serve` on a fresh
# data folder, on 127.0.0.1; the load client (bench/RealtimeLoad) runs as a separate process. About 5 minutes.
#
#   bench/realtime.sh
#   REALTIME_CONNECTIONS=2000 REALTIME_ROUNDS=5 bench/realtime.sh
#   REALTIME_MEASURES="fanout:ws" bench/realtime.sh     only some of memory:ws memory:sse fanout:ws fanout:sse
#   REALTIME_SERVE_FLAGS="--synchronous normal" bench/realtime.sh     extra `cairn serve` flags
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
connections=${REALTIME_CONNECTIONS:-10000}
rounds=${REALTIME_ROUNDS:-10}
port=${BENCH_PORT:-27190}
out="$root/artifacts/bench/realtime"
email=bench@example.com password='bench-password-1'
ulimit -n "$(ulimit -Hn)"   # 10,000 sockets per process need more than the usual 1,024 descriptors

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
if ss -ltn "sport = :$port" | grep -q LISTEN; then echo "port $port is in use; set BENCH_PORT" >&2; exit 1; fi
log "building (Release)"
dotnet build src/Cairn.Server -c Release -o artifacts/cairn -nologo -v q -clp:ErrorsOnly >/dev/null
dotnet build bench/RealtimeLoad -c Release -o artifacts/bench/realtime-load -nologo -v q -clp:ErrorsOnly >/dev/null
rm -rf "$out"; mkdir -p "$out"

pid=""
stop() { if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap stop EXIT

measure() { # mode transport
  local dir="$out/data-$1-$2"
  rm -rf "$dir" # the same measurement may be asked for twice
  dotnet artifacts/cairn/Cairn.Server.dll superuser upsert "$email" "$password" --dir "$dir" >/dev/null
  dotnet artifacts/cairn/Cairn.Server.dll serve --http "127.0.0.1:$port" --dir "$dir" --credential-rate-limit 0 ${REALTIME_SERVE_FLAGS:-} >"$out/$1-$2.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
  log "$1 over $2, $connections connections"
  dotnet artifacts/bench/realtime-load/RealtimeLoad.dll "$1" --url "http://127.0.0.1:$port" --email "$email" --password "$password" \
    --transport "$2" --connections "$connections" --pid "$pid" --rounds "$rounds" 2> >(tee "$out/$1-$2.load.log" >&2) | tee -a "$out/rows.md"
  stop
}

for m in ${REALTIME_MEASURES:-memory:ws memory:sse fanout:ws fanout:sse}; do measure "${m%%:*}" "${m##*:}"; done

{
  echo "## Realtime, $(date -u +%F) ($(nproc) cores, load at start $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "| measure | transport | connections | RSS idle | RSS with connections | per connection | each of the second half | check |"
  echo "|---|---|---|---|---|---|---|---|"
  grep '^| memory' "$out/rows.md"
  echo
  echo "| measure | transport | subscribers | rounds | p50 | p99 | max | delivered |"
  echo "|---|---|---|---|---|---|---|---|"
  grep '^| fanout' "$out/rows.md"
} | tee "$out/summary.md"
