#!/usr/bin/env bash
# The upload benchmark (issue 7): a FILES_SIZE file (1 GiB) uploaded to a fresh `cairn serve` through tus and through a
# multipart record create, each next to a plain sequential write of the same bytes into the same data folder, FILES_ROUNDS
# times in turn; throughput ratios and the server's peak memory growth. The load client is bench/FilesLoad. Needs
# about 4 × FILES_SIZE of free disk. A few minutes.
#
#   bench/files.sh
#   FILES_SIZE=$((256*1024*1024)) FILES_ROUNDS=5 bench/files.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
size=${FILES_SIZE:-$((1024*1024*1024))}
rounds=${FILES_ROUNDS:-6}
port=${BENCH_PORT:-27191}
out="$root/artifacts/bench/files"
email=bench@example.com password='bench-password-1'

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
if ss -ltn "sport = :$port" | grep -q LISTEN; then echo "port $port is in use; set BENCH_PORT" >&2; exit 1; fi
log "building (Release)"
dotnet build src/Cairn.Server -c Release -o artifacts/cairn -nologo -v q -clp:ErrorsOnly >/dev/null
dotnet build bench/FilesLoad -c Release -o artifacts/bench/files-load -nologo -v q -clp:ErrorsOnly >/dev/null
rm -rf "$out"; mkdir -p "$out"
dir="${FILES_DIR:-$out/data}"  # FILES_DIR=/dev/shm/x measures without a disk

pid=""
stop() { if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; rm -rf "$dir"; }
trap stop EXIT

dotnet artifacts/cairn/Cairn.Server.dll superuser upsert "$email" "$password" --dir "$dir" >/dev/null
dotnet artifacts/cairn/Cairn.Server.dll serve --http "127.0.0.1:$port" --dir "$dir" --credential-rate-limit 0 >"$out/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
log "uploading $((size / 1024 / 1024)) MiB, $rounds rounds"
dotnet artifacts/bench/files-load/FilesLoad.dll --url "http://127.0.0.1:$port" --email "$email" --password "$password" \
  --pid "$pid" --dir "$dir" --size "$size" --rounds "$rounds" > "$out/rows.md"

{
  echo "## Uploads, $(date -u +%F) ($(nproc) cores, $(df -h "$out" | awk 'NR==2 {print $1}'), load at start $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "| path | size | rounds | median throughput | ratio to the plain write | ratio to the plain write synced every 16 MiB | peak server RSS growth |"
  echo "|---|---|---|---|---|---|---|"
  cat "$out/rows.md"
} | tee "$out/summary.md"
