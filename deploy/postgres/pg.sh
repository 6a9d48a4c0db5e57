#!/usr/bin/env bash
# A private PostgreSQL cluster from Debian's packages, for tests and for trying the
# distributed mode on one machine. It never touches the system's own cluster (the package's
# "main" on 5432): ours lives in its own data dir, on its own port, with its own socket dir.
#
# Usage: deploy/postgres/pg.sh install|start|wait|stop|status|dsn
#
# Environment (defaults in brackets):
#   PG_PORT      TCP port on 127.0.0.1 [25432]; keep it outside the ephemeral range
#                (/proc/sys/net/ipv4/ip_local_port_range): clients retrying a stopped
#                server on a port inside it can connect to themselves on that port, and
#                the server then cannot bind it to start again
#   PG_DATA_DIR  the cluster's data dir, created by `start` if missing
#                [root: /var/lib/smartlinks/postgres, others: ~/.cache/smartlinks/postgres]
#   PG_LOG       server log [$PG_DATA_DIR/server.log]
#   PG_DATABASE  database created on start, named in the printed DSN [smartlinks]
#   PG_FSYNC     on|off [on]; off skips every disk flush: fast and fine for throwaway test
#                clusters, but a crash of the machine can corrupt the cluster
#
# Authentication is `trust` and the server listens on 127.0.0.1 only: a local test and
# development database, not a production setup.
set -euo pipefail

PG_PORT="${PG_PORT:-25432}"
if [[ $EUID -eq 0 ]]; then
    # Root's home is closed to the postgres user the server must run as.
    PG_DATA_DIR="${PG_DATA_DIR:-/var/lib/smartlinks/postgres}"
else
    PG_DATA_DIR="${PG_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/smartlinks/postgres}"
fi
PG_LOG="${PG_LOG:-$PG_DATA_DIR/server.log}"
PG_DATABASE="${PG_DATABASE:-smartlinks}"
PG_FSYNC="${PG_FSYNC:-on}"
# Absolute paths, then leave the caller's directory: as root the server tools run as the
# postgres user, who may not be allowed into it (e.g. /root) and then fail to start.
PG_DATA_DIR="$(realpath -m "$PG_DATA_DIR")"
PG_LOG="$(realpath -m "$PG_LOG")"
cd /

say() { echo "pg.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# Debian installs the server binaries per major version, off PATH; take the newest.
pg_bindir() {
    local dir
    dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    [[ -x "$dir/pg_ctl" ]] && echo "$dir"
}

cmd_install() {
    [[ -n "$(pg_bindir)" ]] && return 0
    if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
        die "PostgreSQL is not installed: as root, apt-get install postgresql"
    fi
    say "installing PostgreSQL with apt-get"
    # A bare image has no package lists; skip the refresh if another script just did it.
    [[ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -60 -print -quit 2>/dev/null)" ]] \
        || apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
    [[ -n "$(pg_bindir)" ]] || die "apt-get installed postgresql but no pg_ctl under /usr/lib/postgresql"
}

# The server refuses to run as root, so as root every server-side command runs as the
# `postgres` system user that the Debian package creates; anyone else runs it as themself.
as_owner() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

bin() { echo "$(pg_bindir)/$1"; }

running() { [[ -f "$PG_DATA_DIR/postmaster.pid" ]] && as_owner "$(bin pg_ctl)" status -D "$PG_DATA_DIR" >/dev/null 2>&1; }

init_cluster() {
    mkdir -p "$PG_DATA_DIR"
    if [[ $EUID -eq 0 ]]; then
        chown postgres:postgres "$PG_DATA_DIR"
        # pytest's tmp dirs and /root are 0700: the server would fail later with a
        # confusing "permission denied"; say what is wrong now instead.
        runuser -u postgres -- test -w "$PG_DATA_DIR" \
            || die "the postgres user cannot reach $PG_DATA_DIR (a parent dir is closed to it); choose another PG_DATA_DIR"
    fi
    chmod 700 "$PG_DATA_DIR"
    local sync=()
    [[ "$PG_FSYNC" == off ]] && sync=(--no-sync)
    # C collation and UTF-8: identical sorting on every machine, no locale packages needed.
    as_owner "$(bin initdb)" -D "$PG_DATA_DIR" -U postgres --auth=trust -E UTF8 --no-locale \
        "${sync[@]}" >"$PG_DATA_DIR.initdb.log" 2>&1 \
        || { cat "$PG_DATA_DIR.initdb.log" >&2; die "initdb failed"; }
    rm -f "$PG_DATA_DIR.initdb.log"
}

cmd_start() {
    cmd_install
    if running; then
        say "already running (data $PG_DATA_DIR)"
        cmd_dsn
        return 0
    fi
    [[ -f "$PG_DATA_DIR/PG_VERSION" ]] || init_cluster
    # The server writes the log as its own user.
    touch "$PG_LOG"
    [[ $EUID -eq 0 ]] && chown postgres:postgres "$PG_LOG"
    # Settings go on the command line rather than into postgresql.conf so the port and the
    # fsync choice can differ from one start to the next. The unix socket sits in the data
    # dir: the system's /var/run/postgresql belongs to the system cluster.
    local opts="-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DATA_DIR"
    if [[ "$PG_FSYNC" == off ]]; then
        opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    as_owner "$(bin pg_ctl)" start -D "$PG_DATA_DIR" -l "$PG_LOG" -o "$opts" -w -t 60 -s \
        || { tail -n 30 "$PG_LOG" >&2; die "server did not start (log: $PG_LOG)"; }
    cmd_wait >/dev/null
    local exists
    exists="$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")"
    [[ "$exists" == 1 ]] || psql_admin -qc "CREATE DATABASE \"$PG_DATABASE\""
    cmd_dsn
}

psql_admin() { "$(bin psql)" -X -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

cmd_wait() {
    local deadline=$((SECONDS + 60))
    until "$(bin pg_isready)" -q -h 127.0.0.1 -p "$PG_PORT"; do
        if ! running; then
            [[ -f "$PG_LOG" ]] && tail -n 30 "$PG_LOG" >&2
            die "server is not running (log: $PG_LOG)"
        fi
        ((SECONDS < deadline)) || die "server not ready after 60s (log: $PG_LOG)"
        sleep 0.1
    done
    cmd_dsn
}

cmd_stop() {
    running || return 0
    # fast: roll back open transactions and disconnect clients instead of waiting for them.
    as_owner "$(bin pg_ctl)" stop -D "$PG_DATA_DIR" -m fast -w -t 60 -s
    say "stopped"
}

cmd_status() {
    if running; then
        echo "running on 127.0.0.1:$PG_PORT (data $PG_DATA_DIR)"
    else
        echo "not running (data $PG_DATA_DIR)"
        return 3
    fi
}

cmd_dsn() { echo "postgresql://postgres@127.0.0.1:$PG_PORT/$PG_DATABASE"; }

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    wait) cmd_wait ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    dsn) cmd_dsn ;;
    *)
        echo "usage: $0 install|start|wait|stop|status|dsn  (settings: see the top of this file)" >&2
        exit 2
        ;;
esac
