#!/usr/bin/env bash
# Dependency policy check (deny.toml) with cargo-deny: licenses, bans (duplicate versions, banned crates) and
# sources (crates.io only), for the main crate and for the fuzz/ workspace.
#
#   scripts/deny.sh                      installs cargo-deny $DENY_VERSION when missing, then checks both
#   TINYTASK_DENY_ADVISORIES=1 scripts/deny.sh
#                                        also the RustSec advisories check (needs github.com: the advisory
#                                        database is a git repository there; not reachable on our machines)
#
# Idempotent: the install (cargo install --locked, ~400 crates: 4 min wall on 2 idle cores, 5 min of
# CPU; once per machine) only runs when
# `cargo deny --version` is not the pinned version. Needs crates.io (the install, and cargo metadata for
# fuzz/, whose Cargo.lock is derived from ours as scripts/fuzz.sh does). Exit status non-zero on any
# violation. Environment: TINYTASK_DENY_ADVISORIES=1, TINYTASK_DENY_FUZZ=0 (skip the fuzz/ workspace).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

# Pinned: a new cargo-deny may add lints or change defaults; bump on purpose (and re-run this script).
DENY_VERSION=0.20.2

say() { printf '[deny] %s\n' "$*" >&2; }

installed_version() { cargo deny --version 2>/dev/null | awk '{ print $2 }'; }

if [ "$(installed_version)" != "$DENY_VERSION" ]; then
    say "installing cargo-deny $DENY_VERSION (cargo install --locked; takes several minutes, done once)"
    start=$SECONDS
    # Without CARGO_TARGET_DIR, cargo install builds in a temporary directory it removes afterwards
    # (with it, the tool's ~400 crates would land in the project's target directory).
    env -u CARGO_TARGET_DIR cargo install --locked --quiet cargo-deny --version "$DENY_VERSION"
    say "installed $(cargo deny --version) in $((SECONDS - start)) s"
fi

checks=(licenses bans sources)
if [ "${TINYTASK_DENY_ADVISORIES:-0}" = 1 ]; then
    checks+=(advisories)
else
    say "advisories not checked (the RustSec database lives on github.com; TINYTASK_DENY_ADVISORIES=1 to try)"
fi

say "main crate: cargo deny check ${checks[*]}"
# deny.toml serves both graphs. Its NCSA exception (libfuzzer-sys) and getrandom skip apply to fuzz/'s graph
# only, which holds all of the crate's dependencies too; so "not encountered"/"unnecessary" is silenced here
# and still reported by the fuzz/ run below when an entry goes stale.
cargo deny --locked --config "$ROOT/deny.toml" check \
    -A license-exception-not-encountered -A unnecessary-skip "${checks[@]}"

if [ "${TINYTASK_DENY_FUZZ:-1}" = 1 ]; then
    # fuzz/ is its own workspace with an uncommitted lock file derived from ours (scripts/fuzz.sh); derive it
    # the same way when missing, so the check sees the versions the fuzz build uses.
    [ -f fuzz/Cargo.lock ] || cp Cargo.lock fuzz/Cargo.lock
    say "fuzz/ workspace: cargo deny check ${checks[*]}"
    cargo deny --manifest-path fuzz/Cargo.toml --config "$ROOT/deny.toml" check "${checks[@]}"
fi
say "ok"
