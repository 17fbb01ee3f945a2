#!/usr/bin/env bash
# Entrypoint of the local postgres:17 stand-in (scripts/docker-setup.sh builds it from Debian's postgresql-17
# when no registry is reachable). It honours the part of the official image's contract that TinyTask's
# docker-compose.scale.yml uses:
#   POSTGRES_PASSWORD (required; or POSTGRES_PASSWORD_FILE), POSTGRES_USER (postgres), POSTGRES_DB (= user),
#   POSTGRES_INITDB_ARGS (extra initdb arguments), PGDATA (/var/lib/postgresql/data).
# On an empty PGDATA it runs initdb (UTF-8, local socket trust, scram-sha-256 for every host connection),
# creates POSTGRES_DB through a socket-only temporary server, then serves on every address, port 5432, as
# user postgres. Not supported (the compose file does not use them): /docker-entrypoint-initdb.d scripts and
# POSTGRES_HOST_AUTH_METHOD; the stand-in refuses to start without a password instead.
#
# Signals: postgres runs as this script's child, so that SIGTERM (what `docker stop` and most orchestrators
# send) means a *fast* shutdown (SIGINT to the postmaster: open sessions are ended, the server stops in a
# second). Sent to the postmaster directly, SIGTERM would be a "smart" shutdown that waits for every client to
# disconnect, and the replicas' connection pools never do, so Docker would SIGKILL it after the grace period.
set -Eeuo pipefail

log() { printf 'postgres-entrypoint: %s\n' "$*" >&2; }
die() { printf 'postgres-entrypoint: ERROR: %s\n' "$*" >&2; exit 1; }

# VAR or VAR_FILE (Docker secrets), not both; DEFAULT when neither is set.
file_env() {
    local var="$1" def="${2:-}" file_var="${1}_FILE"
    if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
        die "both $var and $file_var are set; set only one"
    fi
    local val="$def"
    if [ -n "${!var:-}" ]; then
        val="${!var}"
    elif [ -n "${!file_var:-}" ]; then
        val="$(<"${!file_var}")" || die "cannot read $file_var=${!file_var}"
    fi
    export "$var"="$val"
    unset "$file_var"
}

# Root: prepare the data and socket directories for user postgres, then run this script again as postgres.
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    chmod 2775 /var/run/postgresql
    # Only when needed: a large existing data directory already owned by postgres is left alone.
    find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
    chown postgres:postgres /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$0" "$@"
fi

# `docker run postgres:17 -c shared_buffers=256MB` means: the server, with these options.
if [ "${1:-}" = "" ] || [ "${1:0:1}" = "-" ]; then
    set -- postgres "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    [ -n "$POSTGRES_PASSWORD" ] || die "PGDATA $PGDATA is empty and POSTGRES_PASSWORD is not set: set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to initialise the database"
    [ -w "$PGDATA" ] || die "PGDATA $PGDATA is not writable by $(id -un) (uid $(id -u))"
    log "initialising $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
    # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments, as in the official image
    initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        --encoding=UTF8 --auth-local=trust --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-} >&2
    # Containers on the compose network connect from their own addresses: password (scram) for all of them.
    printf '\n# docker-entrypoint.sh: any host, password required\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
        # A server on the socket only, so that no client can connect before the database exists.
        pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses='' -p 5432" --wait --silent start
        psql --no-psqlrc --no-password --set ON_ERROR_STOP=1 --username="$POSTGRES_USER" --dbname=postgres \
            --set db="$POSTGRES_DB" --quiet <<<'CREATE DATABASE :"db";'
        pg_ctl --pgdata="$PGDATA" --mode=fast --wait --silent stop
    fi
    log "initialised; starting the server"
fi
unset POSTGRES_PASSWORD

if [ "$1" != postgres ]; then
    exec "$@"
fi

"$@" &
pid=$!
trap 'kill -INT "$pid" 2>/dev/null || true' TERM INT
trap 'kill -QUIT "$pid" 2>/dev/null || true' QUIT
trap 'kill -HUP "$pid" 2>/dev/null || true' HUP
# `wait` returns early when a trapped signal arrives; wait again until the postmaster itself has exited.
while :; do
    rc=0
    wait "$pid" || rc=$?
    kill -0 "$pid" 2>/dev/null || break
done
exit "$rc"
