# Sourced by scripts/browser-env.sh and scripts/ts-client-env.sh: the Node.js check and the idempotent
# `npm ci` of one of the repository's Node projects (tests/browser, tests/ts_client).
#
#   npm_project_ready <dir>   -> Node.js >= 20 and npm are present (else exits 1 saying what to install);
#                                `npm ci` in <dir> only when node_modules is missing or older than its
#                                package-lock.json (a sha256 stamp of the lock file is kept in node_modules).
# The caller defines say().

npm_project_ready() {
    local dir="$1" lock="$1/package-lock.json" stamp="$1/node_modules/.package-lock.sha256" want have
    command -v node >/dev/null 2>&1 || { say "Node.js >= 20 is required (apt-get install -y nodejs npm)"; exit 1; }
    command -v npm >/dev/null 2>&1 || { say "npm is required (apt-get install -y npm)"; exit 1; }
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
        || { say "Node.js >= 20 is required, found $(node --version)"; exit 1; }
    want="$(sha256sum "$lock" | cut -d' ' -f1)"
    have="$(cat "$stamp" 2>/dev/null || true)"
    if [ -d "${dir}/node_modules" ] && [ "$want" = "$have" ]; then
        say "${dir#"${REPO_ROOT}/"}/node_modules is up to date"
    else
        say "npm ci in ${dir#"${REPO_ROOT}/"}"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error </dev/null >&2)
        echo "$want" > "$stamp"
    fi
}
