#!/usr/bin/env bash
# Prepares the TypeScript SDK v2 client tests (tests/ts_client): the pinned @modelcontextprotocol/client from
# the npm registry, exactly as package-lock.json records it.
#
#   scripts/ts-client-env.sh    -> installs what is missing; the last line printed is tests/ts_client's path
#
# Idempotent: `npm ci` in tests/ts_client only when node_modules is missing or older than package-lock.json
# (a sha256 stamp of the lock file is kept in node_modules). Network: the npm registry only, and only then.
# Needs Node.js >= 20 with npm (the SDK's `engines`). Needs no stdin.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${REPO_ROOT}/tests/ts_client"
LOCK="${DIR}/package-lock.json"
STAMP="${DIR}/node_modules/.package-lock.sha256"

say() { printf '[ts-client-env] %s\n' "$*" >&2; }

command -v node >/dev/null 2>&1 || { say "Node.js >= 20 is required (apt-get install -y nodejs npm)"; exit 1; }
command -v npm >/dev/null 2>&1 || { say "npm is required (apt-get install -y npm)"; exit 1; }
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
    || { say "Node.js >= 20 is required, found $(node --version)"; exit 1; }

want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [ -d "${DIR}/node_modules" ] && [ "$want" = "$have" ]; then
    say "tests/ts_client/node_modules is up to date"
else
    say "npm ci in tests/ts_client"
    (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error </dev/null >&2)
    echo "$want" > "$STAMP"
fi
say "@modelcontextprotocol/client $(node -p 'require(process.argv[1]).version' "${DIR}/node_modules/@modelcontextprotocol/client/package.json")"
echo "$DIR"
