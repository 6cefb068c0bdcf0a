#!/usr/bin/env bash
# The protection and observability overhead (issue 8): record view by id (100k seeded posts, wrk -c64) on three
# `cairn serve` processes over the same seeded data folder, loaded one at a time in alternating rounds:
#   base        --no-metrics, no rate limits
#   metrics     metrics on (the default)
#   ratelimit   --no-metrics, with a rule counting every request ("/api/", a token bucket that never refuses;
#               one client IP, so every request contends for one counter: the worst case for the store)
# (The response cache is off in all three: it would serve repeated views without the work being measured.)
# Reports median requests/s, the ratio to base in the same round, and the server's CPU per request. About 5 minutes.
#
#   bench/overhead.sh
#   BENCH_ROUNDS=5 BENCH_DURATION=10 bench/overhead.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
base_port=${BENCH_PORT:-27290}
out="$root/artifacts/bench/overhead"
source bench/lib.sh
seed
serve "$base_port" --no-metrics --cache off
cat >"$out/rate-limits.json" <<'JSON'
{"enabled": true, "rules": [{"label": "/api/", "duration": 10, "maxRequests": 1000000, "algorithm": "tokenBucket"}]}
JSON
declare -A port=([base]=$base_port [metrics]=$((base_port + 1)) [ratelimit]=$((base_port + 2)))
serve "${port[metrics]}" --cache off
serve "${port[ratelimit]}" --no-metrics --cache off --rate-limits "$out/rate-limits.json"

: >"$out/results.tsv"
view() { load "${port[$1]}" "$2" ids "$out/posts.ids" /api/collections/posts/records/; }
for config in base metrics ratelimit; do view "$config" 5 >/dev/null; done   # warm-up: JIT tiering, page cache
for round in $(seq "$rounds"); do
  for config in base metrics ratelimit; do
    read -r rps cpu < <(view "$config" "$duration")
    printf '%s\t%s\t%s\t%s\n' "$config" "$round" "$rps" "$cpu" >>"$out/results.tsv"
    log "round $round  $config  $rps req/s, server CPU $cpu us/request"
  done
done

summary "$out/results.tsv" base base metrics ratelimit | tee "$out/summary.md"
