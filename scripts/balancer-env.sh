#!/usr/bin/env bash
# Makes nginx available for the replica tests (tests/python/test_replicas.py), which run deploy/nginx/nginx.conf
# — the balancer docker-compose.scale.yml runs — in front of three replicas on the host.
#
#   scripts/balancer-env.sh     -> the last line printed is the nginx binary
#
# Idempotent, as root and without stdin: installs Debian's nginx when no nginx is on PATH or in /usr/sbin, and
# keeps the package's own service from starting (the tests start their own nginx on free loopback ports).
set -euo pipefail
log() { printf 'balancer-env: %s\n' "$*" >&2; }

find_nginx() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true; }

NGINX="$(find_nginx)"
if [ -z "$NGINX" ]; then
    log "installing Debian's nginx"
    export DEBIAN_FRONTEND=noninteractive
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    apt-get update -qq </dev/null
    apt-get install -y -qq nginx-light </dev/null || apt-get install -y -qq nginx </dev/null
    rm -f /usr/sbin/policy-rc.d
    NGINX="$(find_nginx)"
fi
[ -n "$NGINX" ] || { log "ERROR: nginx is not installed"; exit 1; }
log "ready ($("$NGINX" -v 2>&1))"
echo "$NGINX"
