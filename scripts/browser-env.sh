#!/usr/bin/env bash
# Prepares the dashboard's browser tests (tests/browser): Debian's Chromium and the pinned npm packages
# (playwright-core drives that Chromium; it never downloads a browser of its own).
#
#   scripts/browser-env.sh      -> installs what is missing; the last line printed is the chromium path
#
# Idempotent: `apt-get install -y chromium` only when no chromium binary is found (needs root on
# Debian/Ubuntu, or set CHROMIUM=/path/to/chromium); `npm ci` in tests/browser only when node_modules is
# missing or older than package-lock.json (a sha256 stamp of the lock file is kept in node_modules). Needs
# Node.js >= 20 with npm. Needs no stdin.
set -euo pipefail
# shellcheck source=scripts/npm-project.sh
source "$(dirname "${BASH_SOURCE[0]}")/npm-project.sh"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${REPO_ROOT}/tests/browser"

say() { printf '[browser-env] %s\n' "$*" >&2; }

find_chromium() {
    local c
    for c in "${CHROMIUM:-}" chromium chromium-browser; do
        [ -n "$c" ] || continue
        if command -v "$c" >/dev/null 2>&1; then
            command -v "$c"
            return 0
        fi
    done
    return 1
}

if ! chromium="$(find_chromium)"; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        say "no chromium found: install Debian's chromium package (as root: apt-get install -y chromium) or set CHROMIUM"
        exit 1
    fi
    say "installing Debian's chromium (apt-get install -y chromium)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >&2
    apt-get install -y -qq chromium fonts-dejavu-core </dev/null >&2
    chromium="$(find_chromium)"
fi
say "$("$chromium" --version 2>/dev/null | head -n 1)"

npm_project_ready "$DIR"
echo "$chromium"
