#!/usr/bin/env bash
# The foundation benchmark: builds Cairn, its in-process host, the seeder and the floor (all Release),
# seeds 1k users, 100k posts and 10k notes through Cairn's API, then measures in one run, Cairn against the floor:
#   view by id (100k rows), list perPage=20&skipTotal=1 (10k rows), the owner rule
#   `author = @request.auth.id` signed in as a random user (100k posts, author index; with and without
#   totals), expand=author on a page of 20 notes, auth-refresh signed in as a random user, password sign-in at
#   bcrypt cost 10 against bare bcrypt verifications/s, create at 64 connections with synchronous=FULL
#   (+ group-commit batch sizes), `cairn serve` start-up time and idle RSS.
# Everything listens on 127.0.0.1 and every load run is bounded by BENCH_DURATION. About 10 minutes.
# See bench/README.md for what each scenario measures; the figures go to artifacts/bench/run/summary.md.
#
#   bench/run.sh                         full run
#   BENCH_ROUNDS=2 BENCH_DURATION=10 bench/run.sh
#   BENCH_PROFILE=0 bench/run.sh         skip the profiling variants
#   BENCH_ENGINE=postgres bench/run.sh   the same on a throwaway PostgreSQL (scripts/postgres.sh, durable
#                                        commits), against the Npgsql floor: view, list and create only
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

duration=${BENCH_DURATION:-12}     # seconds per measured wrk run
warmup=${BENCH_WARMUP:-5}          # seconds of unmeasured load before each scenario (JIT tiering, page cache)
rounds=${BENCH_ROUNDS:-3}          # measured runs per scenario and server, alternating Cairn and floor
connections=${BENCH_CONNECTIONS:-64}
profile=${BENCH_PROFILE:-1}
engine=${BENCH_ENGINE:-sqlite}     # sqlite, or postgres: Cairn with --db, the floor with --postgres
base_port=${BENCH_PORT:-27090}
cairn_port=$base_port floor_port=$((base_port + 1)) host_port=$((base_port + 2))
out="$root/artifacts/bench/run"
if [[ $engine == postgres ]]; then
  out+="-postgres"
  profile=0                        # the profiling variants run in CairnHost, which reads SQLite's writer stats
  reads_default="view list"        # the PostgreSQL floor has no token check, owner or expand endpoints
else
  reads_default="view list owner owner-skiptotal expand auth-refresh"
fi
email=bench@example.com password='bench-password-1'
create_body='{"title":"Hello","body":"Lorem ipsum dolor sit amet, consectetur adipiscing elit.","likes":1}'
started_at=$(date +%s)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

log() { printf '[%3ds] %s\n' $(($(date +%s) - started_at)) "$*" >&2; }

# --- tools --------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for port in $cairn_port $floor_port $host_port; do
  if ss -ltn "sport = :$port" | grep -q LISTEN; then echo "port $port is in use; set BENCH_PORT" >&2; exit 1; fi
done

log "building (Release)"
build() { dotnet build "$1" -c Release -o "$2" -nologo -v q -clp:ErrorsOnly >/dev/null; }
build src/Cairn.Server artifacts/cairn
build bench/CairnHost artifacts/bench/host
build bench/Seed artifacts/bench/seed
build bench/Floor artifacts/bench/floor

rm -rf "$out"; mkdir -p "$out"
results="$out/results.tsv"   # scenario  server  round  rps  p50_ms  p99_ms  server_cpu_us_per_request
: > "$results"

# --- process helpers: every server is started here, by pid, and stopped by that pid ----------------
pids=()
pg_dir=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ -z $pg_dir ]] || scripts/postgres.sh stop "$pg_dir" || true
}
trap cleanup EXIT

start() { # name port command...  → sets $pid; waits for /api/health; sets $startup_ms
  local name=$1 port=$2; shift 2
  local t0; t0=$(date +%s%N)
  "$@" >>"$out/$name.log" 2>&1 &
  pid=$!; pids+=("$pid")
  for _ in $(seq 1 3000); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/api/health"; then
      startup_ms=$(( ($(date +%s%N) - t0) / 1000000 )); return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "$name exited; see $out/$name.log" >&2; exit 1; }
    sleep 0.005
  done
  echo "$name did not answer /api/health within 15 s" >&2; exit 1
}

stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# utime + stime of a process, in clock ticks: CPU per request is far less disturbed by other load on
# the box than requests/s, so it is recorded beside every throughput figure.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
tick_hz=$(getconf CLK_TCK)

rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

load() { # scenario server port pid seconds round wrk-args...
  local scenario=$1 server=$2 port=$3 server_pid=$4 seconds=$5 round=$6; shift 6
  local line cpu0 cpu1
  cpu0=$(cpu_ticks "$server_pid")
  line=$(wrk -t1 -c"$connections" -d"${seconds}s" --latency -s bench/wrk/bench.lua "http://127.0.0.1:$port" -- "$@" | grep '^RESULT')
  cpu1=$(cpu_ticks "$server_pid")
  [[ $round == warmup ]] && return 0
  local rps p50 p99 bad
  rps=$(sed -E 's/.* rps=([0-9]+).*/\1/' <<<"$line")
  p50=$(sed -E 's/.* p50_ms=([0-9.]+).*/\1/' <<<"$line")
  p99=$(sed -E 's/.* p99_ms=([0-9.]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.* non2xx=([0-9]+) socket_errors=([0-9]+).*/\1 \2/' <<<"$line")
  if [[ $bad != "0 0" ]]; then echo "$scenario on $server: non-2xx/socket errors ($line)" >&2; exit 1; fi
  local requests cpu_us
  requests=$(sed -E 's/.*RESULT requests=([0-9]+).*/\1/' <<<"$line")
  cpu_us=$(( (cpu1 - cpu0) * 1000000 / tick_hz / requests ))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$server" "$round" "$rps" "$p50" "$p99" "$cpu_us" >>"$results"
  log "$scenario  $server  round $round: $rps req/s (p50 $p50 ms, p99 $p99 ms), server CPU $cpu_us us/request"
}

# --- PostgreSQL: one throwaway server, a database for Cairn and one for the floor -------------------
cairn_db=()
if [[ $engine == postgres ]]; then
  # PG_DURABLE=1: fsync, synchronous_commit and full_page_writes stay on (PostgreSQL's defaults), so that a
  # create is acknowledged only once its WAL is flushed, as with SQLite's synchronous=FULL.
  pg_dir=$(mktemp -d /tmp/cairn-bench-pg.XXXXXX)
  pg_conn=$(PG_DURABLE=${BENCH_PG_DURABLE:-1} scripts/postgres.sh start "$pg_dir")
  pg_port=$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$pg_conn")
  psql -h 127.0.0.1 -p "$pg_port" -U postgres -qAt -c "CREATE DATABASE cairn" -c "CREATE DATABASE floor" \
    -c "SELECT version()" -c "SHOW fsync" -c "SHOW synchronous_commit" -c "SHOW max_connections" | tee "$out/postgres.txt" >&2
  cairn_db=(--db "${pg_conn/Database=postgres/Database=cairn}")
fi

# --- seed ---------------------------------------------------------------------------------------
log "seeding Cairn through POST /api/batch (1k users, 100k posts, 10k notes)"
dotnet artifacts/cairn/Cairn.Server.dll superuser upsert "$email" "$password" --dir "$out/cairn_data" "${cairn_db[@]}" >/dev/null
# The load client is one IP asking for thousands of sign-ins a minute: the per-IP credential limit would answer 429.
cairn_serve=(dotnet artifacts/cairn/Cairn.Server.dll serve --http "127.0.0.1:$cairn_port" --dir "$out/cairn_data" --credential-rate-limit 0 "${cairn_db[@]}")
start cairn-seed "$cairn_port" "${cairn_serve[@]}"
dotnet artifacts/bench/seed/Seed.dll --url "http://127.0.0.1:$cairn_port" --email "$email" --password "$password" --out "$out" | tee "$out/seed.txt" >&2
stop "$pid"
log "seeding the floor with the same ids and rows"
floor_serve=(dotnet artifacts/bench/floor/Floor.dll --http "127.0.0.1:$floor_port" --dir "$out/floor_data"
  --posts "$out/posts.ids" --notes "$out/notes.ids" --users "$out/users.ids" --tokens "$out/floor.tokens")
[[ $engine != postgres ]] || floor_serve=(dotnet artifacts/bench/floor/Floor.dll --http "127.0.0.1:$floor_port"
  --postgres "${pg_conn/Database=postgres/Database=floor}" --posts "$out/posts.ids" --notes "$out/notes.ids" --users "$out/users.ids")
start floor-seed "$floor_port" "${floor_serve[@]}"
stop "$pid"

# --- start-up time and idle memory (seeded data folder, three cold starts each) -------------------
: > "$out/startup.tsv"   # server  round  startup_ms  idle_rss_mb
for round in 1 2 3; do
  for server in floor cairn; do
    if [[ $server == cairn ]]; then
      start cairn "$cairn_port" "${cairn_serve[@]}"
    else
      start floor "$floor_port" "${floor_serve[@]}"
    fi
    sleep 3
    printf '%s\t%s\t%s\t%s\n' "$server" "$round" "$startup_ms" "$(rss_mb "$pid")" >>"$out/startup.tsv"
    log "start-up $server round $round: ${startup_ms} ms to /api/health, idle RSS $(rss_mb "$pid") MB"
    if [[ $round -lt 3 ]]; then stop "$pid"; else eval "${server}_pid=$pid"; fi
  done
done

# --- reads, Cairn (`cairn serve`) against the floor ------------------------------------------------
# Each server signs its own tokens, so the owner scenarios read a different token file per server.
view=(ids "$out/posts.ids" /api/collections/posts/records/)
list=(get '/api/collections/notes/records?perPage=20&skipTotal=1')
owner_path='/api/collections/posts/records?perPage=20'
expand=(get '/api/collections/notes/records?perPage=20&expand=author')
wrk_args() { # scenario server → the wrk mode and its arguments, in $args
  case $1 in
    view) args=("${view[@]}") ;;
    list) args=("${list[@]}") ;;
    owner) args=(auth "$out/$2.tokens" "$owner_path") ;;
    owner-skiptotal) args=(auth "$out/$2.tokens" "$owner_path&skipTotal=1") ;;
    expand) args=("${expand[@]}") ;;
    auth-refresh) args=(authpost "$out/$2.tokens" /api/collections/users/auth-refresh) ;;
  esac
}
cp "$out/users.tokens" "$out/cairn.tokens"

# Before measuring: both servers answer the new scenarios with the same records, so the floor does the same work.
same_page() { # path cairn-token floor-token
  python3 - "$(curl -sf -H "Authorization: $2" "http://127.0.0.1:$cairn_port$1")" \
            "$(curl -sf -H "Authorization: $3" "http://127.0.0.1:$floor_port$1")" "$1" <<'EOF'
import json, sys
c, f, path = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
def shape(page):
    return (page["totalItems"], [(i["id"], sorted(i), sorted(i.get("expand", {}).get("author", {}))) for i in page["items"]])
if shape(c) != shape(f) or not c["items"]:
    sys.exit(f"{path}: Cairn and the floor answer differently:\n{shape(c)}\n{shape(f)}")
EOF
}
if [[ $engine != postgres ]]; then
  same_page "$owner_path" "$(head -1 "$out/cairn.tokens")" "$(head -1 "$out/floor.tokens")"
  same_page "$owner_path&skipTotal=1" "$(sed -n 7p "$out/cairn.tokens")" "$(sed -n 7p "$out/floor.tokens")"
  same_page "${expand[1]}" "" ""
  # auth-refresh: both answer a new token and the same user with the same keys.
  python3 - "$(curl -sf -X POST -H "Authorization: $(head -1 "$out/cairn.tokens")" "http://127.0.0.1:$cairn_port/api/collections/users/auth-refresh")" \
            "$(curl -sf -X POST -H "Authorization: $(head -1 "$out/floor.tokens")" "http://127.0.0.1:$floor_port/api/collections/users/auth-refresh")" <<'EOF'
import json, sys
c, f = json.loads(sys.argv[1]), json.loads(sys.argv[2])
shape = lambda r: (sorted(r), r["record"]["id"], sorted(r["record"]), len(r["token"].split(".")))
if shape(c) != shape(f):
    sys.exit(f"auth-refresh: Cairn and the floor answer differently:\n{shape(c)}\n{shape(f)}")
EOF
fi

for scenario in ${BENCH_READS:-$reads_default}; do
  wrk_args "$scenario" floor; floor_args=("${args[@]}")
  wrk_args "$scenario" cairn; cairn_args=("${args[@]}")
  load "$scenario" floor "$floor_port" "$floor_pid" "$warmup" warmup "${floor_args[@]}"
  load "$scenario" cairn "$cairn_port" "$cairn_pid" "$warmup" warmup "${cairn_args[@]}"
  for round in $(seq 1 "$rounds"); do
    load "$scenario" floor "$floor_port" "$floor_pid" "$duration" "$round" "${floor_args[@]}"
    load "$scenario" cairn "$cairn_port" "$cairn_pid" "$duration" "$round" "${cairn_args[@]}"
  done
done
# --- password sign-in at bcrypt cost 10 against bare bcrypt on every core (the floor binary's --bcrypt-rate) ---
# 4 connections keep both cores busy (one sign-in is ~50 ms of CPU) without wrk's 2 s timeout firing.
if [[ $engine != postgres && ${BENCH_SIGNIN:-1} == 1 ]]; then
  signin=(bodies "$out/signin.bodies" /api/collections/signin_users/auth-with-password)
  saved_connections=$connections connections=4
  load signin cairn "$cairn_port" "$cairn_pid" "$warmup" warmup "${signin[@]}"
  for round in $(seq 1 "$rounds"); do
    line=$(dotnet artifacts/bench/floor/Floor.dll --bcrypt-rate 10 --seconds "$duration")
    rate=$(sed -E 's/.* rate=([0-9.]+).*/\1/' <<<"$line") cpu_us=$(sed -E 's/.* cpu_us=([0-9]+).*/\1/' <<<"$line")
    printf 'signin\tbcrypt\t%s\t%.0f\t0\t0\t%s\n' "$round" "$rate" "$cpu_us" >>"$results"
    log "signin  bcrypt  round $round: $rate verifications/s (cost 10, every core), CPU $cpu_us us/verification"
    load signin cairn "$cairn_port" "$cairn_pid" "$duration" "$round" "${signin[@]}"
  done
  connections=$saved_connections
fi
loaded_rss=$(rss_mb "$cairn_pid")

# --- create at 64 connections, synchronous=FULL: the in-process host, which reads WriterStats ----
# On PostgreSQL there is no writer of Cairn's to read: `cairn serve` itself takes the creates.
if [[ $engine == postgres ]]; then
  host_port=$cairn_port host_pid=$cairn_pid
  stats() { echo '{"data":{"batches":0,"units":0,"largest":0}}'; }
else
  stop "$cairn_pid"
  start host "$host_port" dotnet artifacts/bench/host/CairnHost.dll --http "127.0.0.1:$host_port" --dir "$out/cairn_data"
  host_pid=$pid
  stats() { curl -sf "http://127.0.0.1:$host_port/_bench/writer-stats"; }
fi
create=(post /api/collections/bench_create/records "$create_body")
load create floor "$floor_port" "$floor_pid" "$warmup" warmup "${create[@]}"
load create cairn "$host_port" "$host_pid" "$warmup" warmup "${create[@]}"
: > "$out/writer-stats.tsv"   # round  batches  units  average  largest-so-far
for round in $(seq 1 "$rounds"); do
  load create floor "$floor_port" "$floor_pid" "$duration" "$round" "${create[@]}"
  before=$(stats)
  load create cairn "$host_port" "$host_pid" "$duration" "$round" "${create[@]}"
  after=$(stats)
  python3 - "$before" "$after" "$round" >>"$out/writer-stats.tsv" <<'EOF'
import json, sys
b, a, r = json.loads(sys.argv[1])["data"], json.loads(sys.argv[2])["data"], sys.argv[3]
batches, units = a["batches"] - b["batches"], a["units"] - b["units"]
print(f"{r}\t{batches}\t{units}\t{units / max(batches, 1):.1f}\t{a['largest']}")
EOF
  [[ $engine == postgres ]] || log "group commit round $round: $(tail -1 "$out/writer-stats.tsv" | awk -F'\t' '{print $2" batches, "$3" units, average "$4", largest so far "$5}')"
done
stats >"$out/writer-stats-final.json"

# --- profiling variants (same host): where does the time of a view go? ----------------------------
if [[ $profile == 1 ]]; then
  pdur=$(( duration < 10 ? duration : 10 ))
  load noop host "$host_port" "$host_pid" "$warmup" warmup get /_bench/noop
  load noop host "$host_port" "$host_pid" "$pdur" 1 get /_bench/noop
  load view-direct host "$host_port" "$host_pid" "$pdur" 1 ids "$out/posts.ids" /_bench/view-direct/
  load view host "$host_port" "$host_pid" "$pdur" 1 "${view[@]}"
  load list-direct host "$host_port" "$host_pid" "$pdur" 1 get /_bench/list-direct
  load list host "$host_port" "$host_pid" "$pdur" 1 "${list[@]}"
  stop "$host_pid"
  start host-nolog "$host_port" dotnet artifacts/bench/host/CairnHost.dll --http "127.0.0.1:$host_port" --dir "$out/cairn_data" --no-console-log
  host_pid=$pid
  load view host-nolog "$host_port" "$host_pid" "$warmup" warmup "${view[@]}"
  load view host-nolog "$host_port" "$host_pid" "$pdur" 1 "${view[@]}"
  load noop host-nolog "$host_port" "$host_pid" "$pdur" 1 get /_bench/noop
  load noop floor "$floor_port" "$floor_pid" "$pdur" 1 get /api/health
fi
stop "$host_pid"
stop "$floor_pid"

# --- summary ------------------------------------------------------------------------------------
elapsed=$(( $(date +%s) - started_at ))
python3 - "$out" "$loaded_rss" "$elapsed" "$duration" "$rounds" "$connections" "$load_at_start" "$(cut -d' ' -f1-3 /proc/loadavg)" "$engine" <<'EOF' | tee "$out/summary.md"
import collections, csv, json, sys
out, loaded_rss, elapsed, duration, rounds, conns, load0, load1, engine = sys.argv[1:10]
runs = collections.defaultdict(list)
for scenario, server, rnd, rps, p50, p99, cpu in csv.reader(open(f"{out}/results.tsv"), delimiter="\t"):
    runs[(scenario, server)].append((int(rps), float(p50), float(p99), int(cpu)))

def fig(key):
    values = runs.get(key, [])
    if not values: return None
    best = max(values)
    spread = (best[0] - min(v[0] for v in values)) / best[0] * 100
    cpu = min(v[3] for v in values)
    return best, spread, cpu

print(f"Cairn benchmark on {engine}: {rounds} runs of {duration} s per scenario and server, wrk -t1 -c{conns}, one run of bench/run.sh took {elapsed} s.")
print(f"Load average (1/5/15 min) at start {load0}, at end {load1}: anything above ~1.5 means other work shared the 2 cores.\n")
print("| scenario | Cairn best (req/s) | spread | p50 / p99 of best (ms) | floor best (req/s) | spread | Cairn / floor | server CPU µs/req Cairn / floor | target | met |")
print("|---|---|---|---|---|---|---|---|---|---|")
# PocketBase's published figures for the same requests on 2 vCPUs (issue 3); the target is 5× each.
pocketbase = {"owner": 290, "owner-skiptotal": 1150, "expand": 460}
# Issue 5: auth-refresh at 3× PocketBase's published 3,200/s on 2 vCPUs.
targets = {"view": ("≥ 60 % of floor", lambda c, f: c >= 0.6 * f),
           "list": ("≥ 8,000 req/s", lambda c, f: c >= 8000),
           "create": ("≥ 5,000 records/s", lambda c, f: c >= 5000)}
for scenario, published in pocketbase.items():
    targets[scenario] = (f"≥ {5 * published:,} req/s (5× PocketBase)", lambda c, f, p=published: c >= 5 * p)
targets["auth-refresh"] = ("≥ 9,600 req/s (3× PocketBase)", lambda c, f: c >= 9600)
for scenario in ["view", "list", "owner", "owner-skiptotal", "expand", "auth-refresh", "create"]:
    c, f = fig((scenario, "cairn")), fig((scenario, "floor"))
    if not c or not f: continue
    text, check = targets[scenario]
    print(f"| {scenario} | {c[0][0]:,} | {c[1]:.0f} % | {c[0][1]:.2f} / {c[0][2]:.2f} | {f[0][0]:,} | {f[1]:.0f} % "
          f"| {c[0][0] / f[0][0] * 100:.0f} % | {c[2]} / {f[2]} | {text} | {'yes' if check(c[0][0], f[0][0]) else 'no'} |")

if any((s, "cairn") in runs for s in pocketbase):
    print("\nThe query-language scenarios against PocketBase's published figures (PocketBase measured on its own 2 vCPUs, not here):\n")
    print("| scenario | request | Cairn (req/s) | floor (req/s) | Cairn / floor | PocketBase (req/s) | × PocketBase |")
    print("|---|---|---|---|---|---|---|")
requests = {"owner": "posts `?perPage=20`, rule `author = @request.auth.id`, signed in",
            "owner-skiptotal": "posts `?perPage=20&skipTotal=1`, same rule, signed in",
            "expand": "notes `?perPage=20&expand=author`, public, guest"}
for scenario, published in pocketbase.items():
    c, f = fig((scenario, "cairn")), fig((scenario, "floor"))
    if not c or not f: continue
    print(f"| {scenario} | {requests[scenario]} | {c[0][0]:,} | {f[0][0]:,} | {c[0][0] / f[0][0] * 100:.0f} % | {published:,} | {c[0][0] / published:.1f}× |")

c, b = fig(("signin", "cairn")), fig(("signin", "bcrypt"))
if c and b:
    print("\nPassword sign-in (bcrypt cost 10, wrk -c4) against bare bcrypt verifications on every core, alternating rounds:\n")
    print("| Cairn sign-ins/s (best) | spread | p50 / p99 (ms) | bcrypt verifications/s (best) | spread | Cairn / bcrypt | CPU µs per sign-in / per verification | CPU ratio | target | met |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ratio, cpu_ratio = c[0][0] / b[0][0], b[2] / c[2]
    print(f"| {c[0][0]:,} | {c[1]:.0f} % | {c[0][1]:.2f} / {c[0][2]:.2f} | {b[0][0]:,} | {b[1]:.0f} % | {ratio * 100:.0f} % "
          f"| {c[2]:,} / {b[2]:,} | {cpu_ratio * 100:.0f} % | ≥ 90 % of bare bcrypt | {'yes' if ratio >= 0.9 else 'no'} |")

if engine == "sqlite":
    print("\nGroup commit during the measured create runs (data.db writer):\n")
    print("| round | batches | records | average batch | largest batch so far |")
    print("|---|---|---|---|---|")
    for row in csv.reader(open(f"{out}/writer-stats.tsv"), delimiter="\t"):
        print("| " + " | ".join(row) + " |")

startup = collections.defaultdict(list)
for server, rnd, ms, rss in csv.reader(open(f"{out}/startup.tsv"), delimiter="\t"):
    startup[server].append((int(ms), int(rss)))
print("\n| start-up (seeded folder) | best ms to /api/health | all runs (ms) | idle RSS (MB) |")
print("|---|---|---|---|")
for server in ["cairn", "floor"]:
    v = startup[server]
    print(f"| {server} | {min(m for m, _ in v)} | {', '.join(str(m) for m, _ in v)} | {', '.join(str(r) for _, r in v)} |")
print(f"\nCairn RSS after the read scenarios: {loaded_rss} MB. Start-up target < 1000 ms: "
      f"{'met' if min(m for m, _ in startup['cairn']) < 1000 else 'missed'}.")

profile = [(k, v) for k, v in runs.items() if k[1] in ("host", "host-nolog") or k[0] == "noop"]
if profile:
    print("\nProfiling variants (one run each, same box, for attribution only):\n")
    print("| endpoint | server | req/s | p50 / p99 (ms) | server CPU µs/req |")
    print("|---|---|---|---|---|")
    for (scenario, server), values in profile:
        rps, p50, p99, cpu = values[0]
        print(f"| {scenario} | {server} | {rps:,} | {p50:.2f} / {p99:.2f} | {cpu} |")
EOF
log "done in ${elapsed} s; figures in $out/summary.md"
