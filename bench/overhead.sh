#!/usr/bin/env bash
# The protection and observability overhead (issue 8): record view by id (100k seeded posts, wrk -c64) on three
# `cairn serve` processes over the same seeded data folder, loaded one at a time in alternating rounds:
#   base        --no-metrics, no rate limits
#   metrics     metrics on (the default)
#   ratelimit   --no-metrics, with a rule counting every request ("/api/", a token bucket that never refuses;
#               one client IP, so every request contends for one counter: the worst case for the store)
# Reports median requests/s, the ratio to base in the same round, and the server's CPU per request. About 5 minutes.
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
declare -A pid
serve() { # port flags... → starts cairn serve on the seeded folder, waits for /api/health
  local port=$1; shift
  dotnet artifacts/cairn/Cairn.Server.dll serve --http "127.0.0.1:$port" --dir "$out/data" --credential-rate-limit 0 "$@" >>"$out/server-$port.log" 2>&1 &
  pids+=($!); pid[$port]=$!
  for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/api/health" && return 0; sleep 0.05; done
  echo "cairn on $port did not start" >&2; exit 1
}

log "seeding (1k users, 100k posts, 10k notes)"
dotnet artifacts/cairn/Cairn.Server.dll superuser upsert "$email" "$password" --dir "$out/data" >/dev/null
serve "$base_port" --no-metrics
dotnet artifacts/bench/seed/Seed.dll --url "http://127.0.0.1:$base_port" --email "$email" --password "$password" --out "$out" >"$out/seed.txt"
kill "${pid[$base_port]}"; wait "${pid[$base_port]}" 2>/dev/null || true   # every configuration starts fresh on the seeded folder
serve "$base_port" --no-metrics
cat >"$out/rate-limits.json" <<'JSON'
{"enabled": true, "rules": [{"label": "/api/", "duration": 10, "maxRequests": 1000000, "algorithm": "tokenBucket"}]}
JSON
declare -A port=([base]=$base_port [metrics]=$((base_port + 1)) [ratelimit]=$((base_port + 2)))
serve "${port[metrics]}"
serve "${port[ratelimit]}" --no-metrics --rate-limits "$out/rate-limits.json"

: >"$out/results.tsv"
# utime + stime of the server in clock ticks: CPU per request is far less disturbed by the box's noise than requests/s.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
load() { # config seconds → prints "requests/s  server-CPU-µs-per-request"
  local server=${pid[${port[$1]}]} cpu0 line requests
  cpu0=$(cpu_ticks "$server")
  line=$(wrk -t1 -c64 -d"$2s" --latency -s bench/wrk/bench.lua "http://127.0.0.1:${port[$1]}" -- ids "$out/posts.ids" /api/collections/posts/records/ | grep '^RESULT')
  requests=$(sed -E 's/.*RESULT requests=([0-9]+).*/\1/' <<<"$line")
  echo "$(sed -E 's/.* rps=([0-9]+).*/\1/' <<<"$line") $(( ($(cpu_ticks "$server") - cpu0) * 1000000 / $(getconf CLK_TCK) / requests ))"
}
for config in base metrics ratelimit; do load "$config" 5 >/dev/null; done   # warm-up: JIT tiering, page cache
for round in $(seq "$rounds"); do
  for config in base metrics ratelimit; do
    read -r rps cpu < <(load "$config" "$duration")
    printf '%s\t%s\t%s\t%s\n' "$config" "$round" "$rps" "$cpu" >>"$out/results.tsv"
    log "round $round  $config  $rps req/s, server CPU $cpu us/request"
  done
done

python3 - "$out/results.tsv" "$rounds" <<'PY' | tee "$out/summary.md"
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    config, rnd, rps, cpu = line.split("\t"); rows[config].append((int(rnd), int(rps), int(cpu)))
base = {r: (rps, cpu) for r, rps, cpu in rows["base"]}
print("| configuration | median req/s | median throughput ratio to base (same round) | each round | median server CPU µs/request | CPU ratio to base |")
print("|---|---|---|---|---|---|")
for config in ["base", "metrics", "ratelimit"]:
    ratios = [rps / base[r][0] for r, rps, _ in rows[config]]
    cpu = statistics.median([c for _, _, c in rows[config]])
    print(f"| {config} | {statistics.median([rps for _, rps, _ in rows[config]]):.0f} | {statistics.median(ratios):.1%} | {', '.join(f'{x:.0%}' for x in ratios)} "
          f"| {cpu:.0f} | {cpu / statistics.median([c for _, c in base.values()]):.1%} |")
PY
