#!/usr/bin/env bash
# Creates/refreshes the Python virtualenv used by the integration tests (tests/python).
#
#   scripts/python-env.sh        -> ensures <repo>/.venv exists with tests/python/requirements.txt installed
#
# Idempotent: re-installs only when the venv is missing/broken or requirements.txt changed since the last
# successful install (sha256 stamp kept inside the venv). Needs no stdin; works as root.
# The last line printed is the venv's python path.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${REPO_ROOT}/.venv"
REQ="${REPO_ROOT}/tests/python/requirements.txt"
STAMP="${VENV}/.requirements.sha256"
PY="${VENV}/bin/python"

pick_python() {
    local c
    for c in "${PYTHON:-}" python3.11 python3; do
        [ -n "$c" ] || continue
        if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
            echo "$c"
            return 0
        fi
    done
    echo "python-env.sh: no python3 >= 3.10 found" >&2
    return 1
}

[ -f "$REQ" ] || { echo "python-env.sh: missing $REQ" >&2; exit 1; }
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"

if [ -x "$PY" ] && "$PY" -c 'import sys' >/dev/null 2>&1 && [ "$want" = "$have" ]; then
    echo "python-env.sh: ${VENV} is up to date" >&2
else
    if ! { [ -x "$PY" ] && "$PY" -m pip --version >/dev/null 2>&1; }; then
        base="$(pick_python)"
        echo "python-env.sh: creating ${VENV} with $("$base" --version 2>&1)" >&2
        rm -rf "$VENV"
        "$base" -m venv "$VENV"
    fi
    rm -f "$STAMP"
    echo "python-env.sh: installing $(basename "$REQ")" >&2
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
        "$PY" -m pip install --quiet --no-input -r "$REQ" </dev/null >&2
    "$PY" -c 'import mcp, pytest, anyio, pytest_timeout' >&2
    echo "$want" > "$STAMP"
fi

echo "$PY"
