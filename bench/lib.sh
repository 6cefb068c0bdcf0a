# Shared by overhead.sh and cache.sh: build, seed one data folder, start `cairn serve` processes on it, load them with wrk.
# Expects $root, $out and $base_port; sets $email/$password for the seeded superuser, and $duration/$rounds.
duration=${BENCH_DURATION:-10}
rounds=${BENCH_ROUNDS:-4}
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

seed() { # seeds 1k users, 100k posts, 10k notes through a server that is then stopped
  log "seeding (1k users, 100k posts, 10k notes)"
  dotnet artifacts/cairn/Cairn.Server.dll superuser upsert "$email" "$password" --dir "$out/data" >/dev/null
  serve "$base_port" --no-metrics
  dotnet artifacts/bench/seed/Seed.dll --url "http://127.0.0.1:$base_port" --email "$email" --password "$password" --out "$out" >"$out/seed.txt"
  kill "${pid[$base_port]}"; wait "${pid[$base_port]}" 2>/dev/null || true   # every configuration starts fresh on the seeded folder
}

# utime + stime of the server in clock ticks: CPU per request is far less disturbed by the box's noise than requests/s.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
load() { # port seconds wrk-args... → prints "requests/s  server-CPU-µs-per-request"
  local port=$1 seconds=$2; shift 2
  local server=${pid[$port]} cpu0 line requests
  cpu0=$(cpu_ticks "$server")
  line=$(wrk -t1 -c64 -d"${seconds}s" --latency -s bench/wrk/bench.lua "http://127.0.0.1:$port" -- "$@" | grep '^RESULT')
  requests=$(sed -E 's/.*RESULT requests=([0-9]+).*/\1/' <<<"$line")
  echo "$(sed -E 's/.* rps=([0-9]+).*/\1/' <<<"$line") $(( ($(cpu_ticks "$server") - cpu0) * 1000000 / $(getconf CLK_TCK) / requests ))"
}

summary() { # results.tsv baseline configs... → a markdown table: medians, ratios to the baseline in the same round
  python3 - "$@" <<'PY'
import sys, statistics, collections
path, baseline, configs = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = collections.defaultdict(list)
for line in open(path):
    config, rnd, rps, cpu = line.split("\t"); rows[config].append((int(rnd), int(rps), int(cpu)))
base = {r: (rps, cpu) for r, rps, cpu in rows[baseline]}
print(f"| configuration | median req/s | median throughput ratio to {baseline} (same round) | each round | median server CPU µs/request | CPU ratio to {baseline} |")
print("|---|---|---|---|---|---|")
for config in configs:
    ratios = [rps / base[r][0] for r, rps, _ in rows[config]]
    cpu = statistics.median([c for _, _, c in rows[config]])
    print(f"| {config} | {statistics.median([rps for _, rps, _ in rows[config]]):.0f} | {statistics.median(ratios):.1%} | {', '.join(f'{x:.0%}' for x in ratios)} "
          f"| {cpu:.0f} | {cpu / statistics.median([c for _, c in base.values()]):.1%} |")
PY
}
