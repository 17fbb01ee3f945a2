#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (README "Quick start"):
#   formatting, clippy, Rust unit + integration tests (the unit tests on SQLite and again on PostgreSQL), the official Python MCP SDK driving the real binary
#   over stdio and HTTP (venv created/refreshed on first run by scripts/python-env.sh; the tool suites a second
#   and third time in the 2026-07-28 era, over stdio and over HTTP), the dashboard's
#   browser tests (tests/browser: Playwright driving Debian's Chromium, both installed with the pinned npm
#   packages by scripts/browser-env.sh when missing), the official TypeScript SDK v2 client driving the
#   real binary in both MCP eras (tests/ts_client, pinned npm package installed by scripts/ts-client-env.sh),
#   and the Docker acceptance suite (engine and base images set up by scripts/docker-setup.sh when missing;
#   needs root).
# Switches (README "Quick start"): TINYTASK_SKIP_DENY=1, TINYTASK_SKIP_DOCKER=1, TINYTASK_SKIP_FUZZ=1,
# TINYTASK_SKIP_PG_SUITES=1 (the Python suites on PostgreSQL and the replica tests),
# TINYTASK_FUZZ_SECS=<n>, TINYTASK_SKIP_NODE_COMPAT=1 (read by tests/python/test_node_compat.py),
# TINYTASK_SKIP_BROWSER=1 (no Chromium or Node.js on a workstation), TINYTASK_SKIP_TS_CLIENT=1 (no Node.js).
# Honours CARGO_TARGET_DIR (the binaries under test are taken from there).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

step() { printf '\n==> %s\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --locked --all-targets -- -D warnings

if [ "${TINYTASK_SKIP_DENY:-0}" = 1 ]; then
    step "dependency policy SKIPPED (TINYTASK_SKIP_DENY=1)"
else
    # Licenses, duplicate versions, sources (deny.toml); installs the pinned cargo-deny when missing.
    # Advisories are not part of it: their database is on github.com (CONTRIBUTING.md, "Dependency policy").
    step "cargo deny check licenses bans sources (scripts/deny.sh)"
    scripts/deny.sh
fi

step "cargo test (unit + integration)"
cargo test --locked

# The same unit tests (every business rule, tool, resource and prompt test) once more on PostgreSQL: each
# test gets its own schema on the throwaway server scripts/postgres-env.sh starts (installing Debian's
# postgresql when missing).
step "cargo test --lib on PostgreSQL (scripts/postgres-env.sh, TINYTASK_TEST_DATABASE_URL)"
PG_ADMIN_URL="$(scripts/postgres-env.sh | tail -n 1)"
TINYTASK_TEST_DATABASE_URL="$PG_ADMIN_URL" cargo test --locked --lib

step "Python SDK integration tests (tests/python)"
cargo build --locked --bin tinytask
PY="$(scripts/python-env.sh | tail -n 1)"
TINYTASK_BIN="$TARGET_DIR/debug/tinytask" "$PY" -m pytest tests/python -q -p no:cacheprovider \
    --ignore tests/python/test_http_abuse.py --ignore tests/python/test_replicas.py

if [ "${TINYTASK_SKIP_PG_SUITES:-0}" = 1 ]; then
    step "Python SDK suites on PostgreSQL and the replica tests SKIPPED (TINYTASK_SKIP_PG_SUITES=1)"
else
    # The same files once more with every spawned server on PostgreSQL (issue 14; tests/python/pg_support.py:
    # one database per SQLite path a test would have used). Tests of the SQLite file itself skip with the reason.
    step "Python SDK integration tests on PostgreSQL (TINYTASK_PY_DATABASE_URL)"
    TINYTASK_PY_DATABASE_URL="$PG_ADMIN_URL" TINYTASK_BIN="$TARGET_DIR/debug/tinytask" "$PY" -m pytest tests/python \
        -q -p no:cacheprovider --ignore tests/python/test_http_abuse.py --ignore tests/python/test_replicas.py \
        --ignore tests/python/test_replicas_sessions.py
    # Three replicas on one PostgreSQL board behind nginx running deploy/nginx/nginx.conf, on 127.0.0.1: the
    # tool suites in both eras through the balancer, one legacy session spread over the replicas, 64 agents
    # racing pool claims, push from replica A to a listener on C, SIGKILL of a replica during a write burst,
    # PostgreSQL restarted under load.
    step "three replicas behind nginx (tests/python/test_replicas.py; nginx from scripts/balancer-env.sh)"
    scripts/balancer-env.sh >/dev/null
    TINYTASK_PY_DATABASE_URL="$PG_ADMIN_URL" TINYTASK_BIN="$TARGET_DIR/debug/tinytask" "$PY" -m pytest \
        tests/python/test_replicas.py tests/python/test_replicas_sessions.py -q -p no:cacheprovider
fi

# The tool suites again through the SDK pinned to 2026-07-28 (issue 13; tests/python/conftest.py "Era and
# transport"): no initialize, every request carrying its own _meta; first over stdio, then over Streamable HTTP
# (a spawned TINYTASK_MODE=http server per test). The file list is check 12's (tests/docker/acceptance.py).
MODERN_LIST="$("$PY" -c 'import sys; sys.path.insert(0, "tests/docker"); import acceptance
print(" ".join("tests/python/" + f for f in acceptance.MODERN_SUITE_FILES))')"
read -r -a MODERN_FILES <<<"$MODERN_LIST"
for transport in stdio http; do
    step "Python SDK tool suites in the 2026-07-28 era over $transport (TINYTASK_PY_ERA=modern)"
    TINYTASK_PY_ERA=modern TINYTASK_PY_TRANSPORT="$transport" TINYTASK_BIN="$TARGET_DIR/debug/tinytask" \
        "$PY" -m pytest "${MODERN_FILES[@]}" -q -p no:cacheprovider
done

if [ "${TINYTASK_SKIP_BROWSER:-0}" = 1 ]; then
    step "dashboard browser tests SKIPPED (TINYTASK_SKIP_BROWSER=1)"
else
    # Screenshots of the main views land in target/browser-artifacts/.
    step "dashboard browser tests (tests/browser: Playwright + Debian's Chromium, scripts/browser-env.sh)"
    CHROMIUM="$(scripts/browser-env.sh | tail -n 1)"
    (cd tests/browser && CHROMIUM="$CHROMIUM" TINYTASK_BIN="$TARGET_DIR/debug/tinytask" \
        node --test --test-concurrency=1 ./*.test.js)
    if [ "${TINYTASK_SKIP_PG_SUITES:-0}" != 1 ]; then
        # Again with the dashboard's board in PostgreSQL (tests/node_shared/pg_database.mjs).
        step "dashboard browser tests on PostgreSQL (TINYTASK_TEST_DATABASE_URL)"
        (cd tests/browser && CHROMIUM="$CHROMIUM" TINYTASK_TEST_DATABASE_URL="$PG_ADMIN_URL" \
            TINYTASK_BIN="$TARGET_DIR/debug/tinytask" node --test --test-concurrency=1 ./*.test.js)
    fi
fi

if [ "${TINYTASK_SKIP_TS_CLIENT:-0}" = 1 ]; then
    step "TypeScript SDK v2 client tests SKIPPED (TINYTASK_SKIP_TS_CLIENT=1)"
else
    step "TypeScript SDK v2 client tests, both eras over HTTP and stdio (tests/ts_client, scripts/ts-client-env.sh)"
    TS_CLIENT_DIR="$(scripts/ts-client-env.sh | tail -n 1)"
    (cd "$TS_CLIENT_DIR" && TINYTASK_BIN="$TARGET_DIR/debug/tinytask" \
        node --test --test-concurrency=1 ./*.test.mjs)
    # Again with every board in PostgreSQL (tests/node_shared/pg_database.mjs: a database per board file).
    step "TypeScript SDK v2 client tests on PostgreSQL (TINYTASK_TEST_DATABASE_URL)"
    (cd "$TS_CLIENT_DIR" && TINYTASK_TEST_DATABASE_URL="$PG_ADMIN_URL" TINYTASK_BIN="$TARGET_DIR/debug/tinytask" \
        node --test --test-concurrency=1 ./*.test.mjs)
fi

# The abuse tests measure what a legitimate client sees during an attack (p99 < 100 ms): against the binary
# we ship (release), not the unoptimized debug build, whose timings say nothing about production.
step "HTTP abuse tests against the release binary (tests/python/test_http_abuse.py)"
cargo build --locked --release --bin tinytask
TINYTASK_BIN="$TARGET_DIR/release/tinytask" "$PY" -m pytest tests/python/test_http_abuse.py -q -p no:cacheprovider

if [ "${TINYTASK_SKIP_DOCKER:-0}" = 1 ]; then
    step "Docker acceptance suite SKIPPED (TINYTASK_SKIP_DOCKER=1)"
else
    step "Docker acceptance suite (tests/docker)"
    scripts/docker-setup.sh
    "$PY" tests/docker/acceptance.py --no-setup
fi

if [ "${TINYTASK_SKIP_FUZZ:-0}" = 1 ]; then
    step "fuzzing SKIPPED (TINYTASK_SKIP_FUZZ=1)"
else
    step "fuzzing: regression inputs, then ${TINYTASK_FUZZ_SECS:-60} s of libFuzzer over the JSON-RPC decoder and the tools (scripts/fuzz.sh)"
    TINYTASK_FUZZ_SECS="${TINYTASK_FUZZ_SECS:-60}" scripts/fuzz.sh
fi

step "all tests passed"
