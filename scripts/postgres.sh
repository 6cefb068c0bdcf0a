#!/usr/bin/env bash
# Usage: scripts/postgres.sh start DIR   -> throwaway PostgreSQL 15 on 127.0.0.1 (data, socket, log in DIR);
#        prints one Npgsql connection string on stdout and writes it to DIR/connection.
#        scripts/postgres.sh stop DIR    -> stops that server and removes DIR. Test and benchmark use only.
#        PG_DURABLE=1 scripts/postgres.sh start DIR   -> keeps fsync, synchronous_commit and full_page_writes
#        at PostgreSQL's defaults (on), so that a benchmark measures durable commits.
set -euo pipefail
umask 022

START_TIMEOUT="${PG_START_TIMEOUT:-30}" # seconds to wait for the server to accept connections
MARKER=".cairn-postgres"                # stop only deletes folders that start created

die() { echo "postgres.sh: $*" >&2; exit 1; }

usage() { die "usage: $0 start|stop DIR"; }

bin_dir() { # the newest installed server, preferring 15 (the version CI and benchmarks are measured on)
  if [[ -x /usr/lib/postgresql/15/bin/postgres ]]; then echo /usr/lib/postgresql/15/bin; return; fi
  local found
  found=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [[ -n "$found" && -x "$found/postgres" ]] && echo "$found"
}

install_postgres() {
  # flock: parallel starts on a fresh machine would otherwise race for dpkg's lock.
  # Debian may create and start its own "main" cluster on 5432; we never use it and never touch it.
  (
    flock -w 600 9 || die "timed out waiting for another postgresql install"
    [[ -n "$(bin_dir)" ]] && exit 0
    echo "postgres.sh: installing Debian's postgresql package" >&2
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 postgresql)
    # 9>&-: a cluster that Debian starts must not inherit the lock and hold it for its lifetime.
    if ! "${apt[@]}" 9>&-; then
      apt-get update -q -o DPkg::Lock::Timeout=300 9>&-
      "${apt[@]}" 9>&-
    fi
  ) 9>/tmp/cairn-postgres-install.lock
  [[ -n "$(bin_dir)" ]] || die "postgresql installed but no /usr/lib/postgresql/*/bin/postgres found"
}

check_traversable() { # postgres refuses root, so the postgres user must be able to reach DIR
  local p="" part parts
  IFS=/ read -ra parts <<<"${1#/}"
  for part in "${parts[@]:0:${#parts[@]}-1}"; do # top-down, so the error names the first blocking folder
    p="$p/$part"
    runuser -u postgres -- test -x "$p" ||
      die "the postgres user cannot enter $p ($(stat -c '%U:%G %A' "$p")); use a folder under /tmp, e.g. \$(mktemp -d)"
  done
}

port_busy() { # $1 = port; true when something already listens on it
  if command -v ss >/dev/null; then
    [[ -n "$(ss -Hltn "sport = :$1")" ]]
  else
    (exec 2>/dev/null; : >"/dev/tcp/127.0.0.1/$1")
  fi
}

pick_port() { # random port in 10000..32767: below the ephemeral range (32768+), so clients never hold it
  local port
  for _ in $(seq 1 100); do
    port=$((10000 + RANDOM % 22768))
    port_busy "$port" || { echo "$port"; return; }
  done
  die "no free port found after 100 tries"
}

alive() { # $1 = pid; a zombie counts as gone: this machine's init reaps orphans seconds late, and
  # pg_ctl status (kill -0) would call a crashed server "running" until then.
  local state
  state=$(ps -o stat=,comm= -p "$1" 2>/dev/null) || return 1
  [[ "$state" != Z* && "$state" == *postgres ]]
}

is_running() { # $1 = data dir
  local pid
  [[ -f "$1/postmaster.pid" ]] || return 1
  pid=$(head -n 1 "$1/postmaster.pid")
  [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid"
}

start() {
  local dir="$1" data="$1/data" log="$1/postgres.log"
  BIN=$(bin_dir) || true
  [[ -n "$BIN" ]] || { install_postgres; BIN=$(bin_dir); }
  id postgres >/dev/null 2>&1 || die "no postgres user; is the postgresql package installed?"

  # Already started in this DIR: hand back its connection string (line 4 of postmaster.pid is the port).
  if is_running "$data"; then
    connection_string "$(sed -n 4p "$data/postmaster.pid")" "$dir"
    return
  fi

  # Unix socket paths are limited to 107 bytes: DIR/sock/.s.PGSQL.NNNNN must fit. pg_ctl -o splits on spaces.
  (( ${#dir} <= 80 )) || die "DIR is too long for a Unix socket path (${#dir} > 80 chars): $dir"
  [[ "$dir" != *[[:space:]]* ]] || die "DIR must not contain spaces: $dir"
  mkdir -p "$dir"
  # The marker lets stop delete DIR; only claim a folder that is new or empty (or already ours).
  if [[ ! -f "$dir/$MARKER" && -n "$(ls -A "$dir")" ]]; then
    die "$dir exists and is not empty; pass a new or empty folder, e.g. \$(mktemp -d)"
  fi
  touch "$dir/$MARKER"
  check_traversable "$dir"
  mkdir -p "$dir/sock"
  chown postgres:postgres "$dir" "$dir/sock"
  chmod 700 "$dir/sock"

  # A crashed server's pid file would make the new postmaster think it is still running.
  rm -f "$data/postmaster.pid"
  if [[ ! -f "$data/PG_VERSION" ]]; then
    rm -rf "$data" # a half-made data folder from an interrupted initdb
    runuser -u postgres -- "$BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      --no-sync --no-instructions >/dev/null ||
      die "initdb failed for $data"
  fi

  # Retry on another port when a parallel instance (or anything else) binds ours between check and start.
  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(pick_port)
    # Test-only settings: fsync, synchronous_commit and full_page_writes off trade crash safety for speed.
    # Never use them as production defaults. Set on the command line, they cannot be changed by ALTER SYSTEM.
    local unsafe="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [[ "${PG_DURABLE:-0}" == 1 ]] && unsafe=""
    if runuser -u postgres -- "$BIN/pg_ctl" start -D "$data" -l "$log" -w -t "$START_TIMEOUT" -o \
      "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock $unsafe -c max_connections=300 -c shared_buffers=128MB" >/dev/null; then
      break
    fi
    if is_running "$data"; then # pg_ctl timed out but the server is up: don't leave it behind
      runuser -u postgres -- "$BIN/pg_ctl" stop -D "$data" -m immediate -w >/dev/null 2>&1 || true
    fi
    if [[ $attempt -lt 5 ]] && tail -n 20 "$log" 2>/dev/null | grep -q "could not bind\|Address already in use"; then
      echo "postgres.sh: port $port taken, trying another" >&2
      continue
    fi
    echo "postgres.sh: server did not start; last lines of $log:" >&2
    tail -n 30 "$log" >&2 2>/dev/null || true
    exit 1
  done

  # pg_ctl -w waits on the postmaster.pid status; also confirm TCP accepts connections, as clients use it.
  local deadline=$((SECONDS + START_TIMEOUT))
  until pg_isready -q -h 127.0.0.1 -p "$port" -U postgres -t 1; do
    if (( SECONDS >= deadline )); then
      echo "postgres.sh: server not ready on 127.0.0.1:$port after ${START_TIMEOUT}s; last lines of $log:" >&2
      tail -n 30 "$log" >&2 || true
      runuser -u postgres -- "$BIN/pg_ctl" stop -D "$data" -m immediate >/dev/null 2>&1 || true
      exit 1
    fi
    sleep 0.1
  done

  connection_string "$port" "$dir"
}

connection_string() { # $1 = port, $2 = DIR; Npgsql key=value form, in DIR/connection
  echo "Host=127.0.0.1;Port=$1;Username=postgres;Password=;Database=postgres" >"$2/connection"
}

stop() {
  local dir="$1" data="$1/data" pid
  [[ -d "$dir" ]] || return 0
  # Only touch what start created: a mistyped DIR must never cost someone a folder.
  [[ -f "$dir/$MARKER" ]] || die "$dir was not created by postgres.sh start; not stopping or removing it"
  BIN=$(bin_dir) || true
  if is_running "$data"; then
    pid=$(head -n 1 "$data/postmaster.pid")
    if [[ -z "$BIN" ]] || ! runuser -u postgres -- "$BIN/pg_ctl" stop -D "$data" -m fast -w -t 10 >/dev/null; then
      # Fallback: SIGQUIT is the postmaster's immediate shutdown; SIGKILL if it ignores that too.
      echo "postgres.sh: pg_ctl stop failed; signalling pid $pid" >&2
      kill -QUIT "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
      if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
  fi
  rm -rf "$dir"
}

[[ $# -eq 2 && -n "$2" ]] || usage
DIR=$(realpath -m -- "$2")
[[ "$DIR" != "/" ]] || die "refusing to use / as DIR"
cd / # postgres cannot read root's working directory and would warn about it
case "$1" in
  # stdout carries only the connection string; apt, initdb and pg_ctl chatter goes to stderr. The line is
  # printed from the file, not a saved fd, because the server would inherit that fd and keep a caller's
  # $(scripts/postgres.sh start DIR) waiting for end-of-file forever.
  start) start "$DIR" >&2; cat "$DIR/connection" ;;
  stop) stop "$DIR" ;;
  *) usage ;;
esac
