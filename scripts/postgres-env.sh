#!/usr/bin/env bash
# Starts (or finds running) the throwaway PostgreSQL server the test suites run against, on 127.0.0.1 only.
#
#   scripts/postgres-env.sh          -> ensures the server runs; the last line printed is its admin URL
#   scripts/postgres-env.sh stop     -> stops it (the data directory is kept for the next start)
#
# Idempotent and self-sufficient (as root, no stdin): installs Debian's `postgresql` package when no server
# binaries are found (its own cluster is kept from starting), creates the cluster once (initdb, scram
# passwords for TCP), starts it when it is not running, and checks that it answers. Tests create and drop
# their own databases or schemas on it; nothing is shared between runs but the cluster.
#
# Environment (all optional):
#   TINYTASK_PG_DIR    data directory and log           (/var/tmp/tinytask-pg)
#   TINYTASK_PG_PORT   TCP port on 127.0.0.1            (55432)
#   TINYTASK_PG_BIN    directory of initdb/pg_ctl       (the newest /usr/lib/postgresql/*/bin)
set -euo pipefail

DIR="${TINYTASK_PG_DIR:-/var/tmp/tinytask-pg}"
PORT="${TINYTASK_PG_PORT:-55432}"
USER_NAME=tinytask
PASSWORD=tinytask
URL="postgres://${USER_NAME}:${PASSWORD}@127.0.0.1:${PORT}/postgres"
log() { printf 'postgres-env: %s\n' "$*" >&2; }

find_bin() {
    if [ -n "${TINYTASK_PG_BIN:-}" ]; then echo "$TINYTASK_PG_BIN"; return; fi
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

BIN="$(find_bin)"
if [ -z "$BIN" ] || [ ! -x "$BIN/pg_ctl" ]; then
    log "installing Debian's postgresql (server binaries not found)"
    export DEBIAN_FRONTEND=noninteractive
    # The package would start its own cluster on 5432; ours is started below, on our port.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    apt-get update -qq </dev/null
    apt-get install -y -qq postgresql </dev/null
    rm -f /usr/sbin/policy-rc.d
    BIN="$(find_bin)"
fi
[ -x "$BIN/pg_ctl" ] || { log "ERROR: no pg_ctl under $BIN"; exit 1; }

# initdb and the server refuse to run as root: they run as the package's `postgres` user (or the caller).
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
    AS=(runuser -u postgres --)
    OWNER=postgres
else
    AS=()
    OWNER="$(id -un)"
fi

if [ "${1:-}" = stop ]; then
    [ -f "$DIR/data/PG_VERSION" ] && "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
    log "stopped"
    exit 0
fi

mkdir -p "$DIR"
chown "$OWNER" "$DIR"
if [ ! -f "$DIR/data/PG_VERSION" ]; then
    log "creating the cluster in $DIR/data"
    pwfile="$(mktemp)"
    printf '%s\n' "$PASSWORD" > "$pwfile"
    chown "$OWNER" "$pwfile"
    "${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U "$USER_NAME" --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
fi

if ! "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    log "starting on 127.0.0.1:$PORT"
    # Sized for the suites: many short-lived test databases and a few servers with their pools. fsync stays
    # on: the crash and restart tests are about durability.
    "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
        -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR -c max_connections=400 -c shared_buffers=128MB" \
        start >/dev/null
fi

for _ in $(seq 1 50); do
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
        log "ready ($("$BIN/postgres" --version))"
        echo "$URL"
        exit 0
    fi
    sleep 0.2
done
log "ERROR: the server does not answer on 127.0.0.1:$PORT; see $DIR/server.log"
exit 1
