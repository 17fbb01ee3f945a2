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
# shellcheck source=scripts/npm-project.sh
source "$(dirname "${BASH_SOURCE[0]}")/npm-project.sh"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${REPO_ROOT}/tests/ts_client"

say() { printf '[ts-client-env] %s\n' "$*" >&2; }

npm_project_ready "$DIR"
say "@modelcontextprotocol/client $(node -p 'require(process.argv[1]).version' "${DIR}/node_modules/@modelcontextprotocol/client/package.json")"
echo "$DIR"
