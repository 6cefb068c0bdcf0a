#!/usr/bin/env bash
# The response cache's speed-up (issue 8): two `cairn serve` processes on the same seeded folder (1k users, 100k posts,
# 10k notes), `--cache off` and `--cache public` (the SQLite default), loaded one at a time in alternating rounds with
# wrk -c64, as a guest:
#   list   GET /api/collections/notes/records?perPage=20&sort=-created&expand=author   (one public page: every request hits)
#   view   GET /api/collections/posts/records/<random of 100k ids>                     (public view rule: hits only as the ids repeat)
# Reports median requests/s and server CPU per request against the uncached server in the same round. About 4 minutes.
#
#   bench/cache.sh
#   BENCH_ROUNDS=5 BENCH_DURATION=10 bench/cache.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
base_port=${BENCH_PORT:-27390}
out="$root/artifacts/bench/cache"
source bench/lib.sh
seed
declare -A port=([off]=$base_port [public]=$((base_port + 1)))
serve "${port[off]}" --no-metrics --cache off
serve "${port[public]}" --no-metrics --cache public

run() { # scenario config seconds
  case $1 in
    list) load "${port[$2]}" "$3" get "/api/collections/notes/records?perPage=20&sort=-created&expand=author" ;;
    view) load "${port[$2]}" "$3" ids "$out/posts.ids" /api/collections/posts/records/ ;;
  esac
}
for scenario in list view; do
  : >"$out/$scenario.tsv"
  for config in off public; do run "$scenario" "$config" 5 >/dev/null; done   # warm-up: JIT tiering, page cache
  for round in $(seq "$rounds"); do
    for config in off public; do
      read -r rps cpu < <(run "$scenario" "$config" "$duration")
      printf '%s\t%s\t%s\t%s\n' "$config" "$round" "$rps" "$cpu" >>"$out/$scenario.tsv"
      log "round $round  $scenario  $config  $rps req/s, server CPU $cpu us/request"
    done
  done
done
{ for scenario in list view; do echo; echo "**$scenario**"; echo; summary "$out/$scenario.tsv" off off public; done; } | tee "$out/summary.md"
