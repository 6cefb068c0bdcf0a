#!/usr/bin/env bash
# The protection and observability overhead (issue 8): record view by id (100k seeded posts, wrk -c64) on three
# `cairn serve` processes over the same seeded data folder, loaded one at a time in alternating rounds:
#   base        --no-metrics, no rate limits
#   metrics     metrics on (the default)
#   ratelimit   --no-metrics, with a rule counting every request ("/api/", a token bucket that never refuses;
#               one client IP, so every request contends for one counter: the worst case for the store)
# Reports median requests/s and the ratio to base. About 4 minutes.
#
#   bench/overhead.sh
#   BENCH_ROUNDS=5 BENCH_DURATION=10 bench/overhead.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
duration=${BENCH_DURATION:-10}
rounds=${BENCH_ROUNDS:-4}
base_port=${BENCH_PORT:-27290}
out="$root/artifacts/bench/overhead"
email=bench@example.com password='bench-password-1'
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

command -v wrk >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
log "building (Release)"
dotnet build src/Cairn.Server -c Release -o artifacts/cairn -nologo -v q -clp:ErrorsOnly >/dev/null
dotnet build bench/Seed -c Release -o artifacts/bench/seed -nologo -v q -clp:ErrorsOnly >/dev/null
rm -rf "$out"; mkdir -p "$out"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
serve() { # port flags... → starts cairn serve on the seeded folder, waits for /api/health
  local port=$1; shift
  dotnet artifacts/cairn/Cairn.Server.dll serve --http "127.0.0.1:$port" --dir "$out/data" --credential-rate-limit 0 "$@" >>"$out/server-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/api/health" && return 0; sleep 0.05; done
  echo "cairn on $port did not start" >&2; exit 1
}

log "seeding (1k users, 100k posts, 10k notes)"
dotnet artifacts/cairn/Cairn.Server.dll superuser upsert "$email" "$password" --dir "$out/data" >/dev/null
serve "$base_port" --no-metrics
dotnet artifacts/bench/seed/Seed.dll --url "http://127.0.0.1:$base_port" --email "$email" --password "$password" --out "$out" >"$out/seed.txt"
cat >"$out/rate-limits.json" <<'JSON'
{"enabled": true, "rules": [{"label": "/api/", "duration": 10, "maxRequests": 1000000, "algorithm": "tokenBucket"}]}
JSON
declare -A port=([base]=$base_port [metrics]=$((base_port + 1)) [ratelimit]=$((base_port + 2)))
serve "${port[metrics]}"
serve "${port[ratelimit]}" --no-metrics --rate-limits "$out/rate-limits.json"

: >"$out/results.tsv"
load() { # config seconds → prints requests/s
  wrk -t1 -c64 -d"$2s" --latency -s bench/wrk/bench.lua "http://127.0.0.1:${port[$1]}" -- ids "$out/posts.ids" /api/collections/posts/records/ \
    | grep '^RESULT' | sed -E 's/.* rps=([0-9]+).*/\1/'
}
for config in base metrics ratelimit; do load "$config" 5 >/dev/null; done   # warm-up: JIT tiering, page cache
for round in $(seq "$rounds"); do
  for config in base metrics ratelimit; do
    rps=$(load "$config" "$duration")
    printf '%s\t%s\t%s\n' "$config" "$round" "$rps" >>"$out/results.tsv"
    log "round $round  $config  $rps req/s"
  done
done

python3 - "$out/results.tsv" "$rounds" <<'PY' | tee "$out/summary.md"
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    config, rnd, rps = line.split("\t"); rows[config].append((int(rnd), int(rps)))
base = dict(rows["base"])
print(f"| configuration | median req/s | median ratio to base (same round) | each round |")
print("|---|---|---|---|")
for config in ["base", "metrics", "ratelimit"]:
    ratios = [rps / base[r] for r, rps in rows[config]]
    print(f"| {config} | {statistics.median([rps for _, rps in rows[config]]):.0f} | {statistics.median(ratios):.1%} | {', '.join(f'{x:.0%}' for x in ratios)} |")
PY
