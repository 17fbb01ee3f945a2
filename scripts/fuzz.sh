#!/usr/bin/env bash
# Coverage-guided fuzzing of the JSON-RPC decoder/stdio framing and of tool-argument decoding through the
# whole engine (fuzz/), with libFuzzer on *stable* Rust: libfuzzer-sys builds libFuzzer from source with the
# system C++ compiler, and the code under test is instrumented with rustc's stable codegen options
# (-C passes=sancov-module, -C llvm-args=-sanitizer-coverage-*), exactly the flags `cargo fuzz build
# --sanitizer none` passes, without needing cargo-fuzz or a nightly toolchain. No sanitizer: Rust's safe
# code panics instead, and every panic aborts the target (a crash).
#
#   scripts/fuzz.sh                      build, replay fuzz/regressions/, then run every target for
#                                        TINYTASK_FUZZ_SECS (default 60) seconds in total, split evenly
#   scripts/fuzz.sh build                only build the targets (fuzz/target/<host>/release/<target>)
#   scripts/fuzz.sh replay               only replay fuzz/regressions/<target>/*
#   scripts/fuzz.sh run TARGET [SECS]    fuzz one target (jsonrpc | tools) for SECS (default 60) seconds
#   scripts/fuzz.sh minimize TARGET FILE shrink a crashing input to fuzz/artifacts/<target>/minimized-*
#
# Any crash (panic, abort, ERROR-level log from the server), hang (> TINYTASK_FUZZ_TIMEOUT s, default 10)
# or memory over TINYTASK_FUZZ_RSS_MB (default 2048) fails the run; the input is saved under
# fuzz/artifacts/<target>/. Minimize it, then keep it as a regression: copy it to fuzz/regressions/<target>/
# (replayed first on every run) and add a Rust test in the main crate for the fix.
# Environment: TINYTASK_FUZZ_SECS, TINYTASK_FUZZ_TARGETS (default "jsonrpc tools"), TINYTASK_FUZZ_TIMEOUT,
# TINYTASK_FUZZ_RSS_MB, TINYTASK_FUZZ_ALLOW_ERROR_LOGS=1 (print ERROR logs instead of failing on them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
FUZZ="$ROOT/fuzz"

ALL_TARGETS=(jsonrpc tools)
read -r -a TARGETS <<<"${TINYTASK_FUZZ_TARGETS:-${ALL_TARGETS[*]}}"
SECS="${TINYTASK_FUZZ_SECS:-60}"
TIMEOUT="${TINYTASK_FUZZ_TIMEOUT:-10}"
RSS_MB="${TINYTASK_FUZZ_RSS_MB:-2048}"
HOST="$(rustc -vV | sed -n 's/^host: //p')"
# Kept apart from the main crate's target/ (different RUSTFLAGS would rebuild everything there).
export CARGO_TARGET_DIR="${TINYTASK_FUZZ_TARGET_DIR:-$FUZZ/target}"
BIN_DIR="$CARGO_TARGET_DIR/$HOST/release"

say() { printf '[fuzz] %s\n' "$*" >&2; }
die() {
    say "FAILED: $*"
    exit 1
}

# libfuzzer-sys compiles libFuzzer (C++17): make sure a C++ compiler exists (Debian: g++).
ensure_cxx() {
    command -v "${CXX:-c++}" >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || command -v clang++ >/dev/null 2>&1 && return
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing g++ (needed to build libFuzzer)"
        apt-get update -qq </dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ </dev/null >/dev/null
    else
        die "a C++ compiler is needed to build libFuzzer (apt-get install g++)"
    fi
}

# fuzz/ is its own workspace (the main crate's cargo commands never see it), so it has its own lock file:
# derived from the main one, so that the code under test is built with exactly the dependency versions of
# the main crate, plus libfuzzer-sys and its two dependencies (pinned in fuzz/Cargo.toml).
sync_lock() {
    local marker="$CARGO_TARGET_DIR/main-Cargo.lock"
    if [ ! -f "$FUZZ/Cargo.lock" ] || ! cmp -s "$ROOT/Cargo.lock" "$marker"; then
        say "deriving fuzz/Cargo.lock from Cargo.lock"
        mkdir -p "$CARGO_TARGET_DIR"
        cp "$ROOT/Cargo.lock" "$FUZZ/Cargo.lock"
        cp "$ROOT/Cargo.lock" "$marker"
    fi
}

build() {
    ensure_cxx
    sync_lock
    # The flags of `cargo fuzz build --sanitizer none` (all stable): edge coverage with inline 8-bit
    # counters + PC table (libFuzzer's coverage feedback), comparison tracing (guides past `==` checks),
    # stack-depth tracking, `cfg(fuzzing)`, and debug assertions/overflow checks in release code.
    # --target keeps these flags off build scripts and proc macros.
    local flags=(
        -Cpasses=sancov-module
        -Cllvm-args=-sanitizer-coverage-level=4
        -Cllvm-args=-sanitizer-coverage-inline-8bit-counters
        -Cllvm-args=-sanitizer-coverage-pc-table
        -Cllvm-args=-sanitizer-coverage-trace-compares
        -Cllvm-args=-sanitizer-coverage-stack-depth
        --cfg fuzzing
        -Cdebug-assertions
        -Coverflow-checks
    )
    say "building fuzz targets (${ALL_TARGETS[*]}) into $BIN_DIR"
    local start=$SECONDS
    RUSTFLAGS="${flags[*]}" cargo build --release --manifest-path "$FUZZ/Cargo.toml" \
        --target "$HOST" --bins
    say "build took $((SECONDS - start)) s"
}

check_target() {
    local t
    for t in "${ALL_TARGETS[@]}"; do [ "$1" = "$t" ] && return; done
    die "unknown target '$1' (targets: ${ALL_TARGETS[*]})"
}

# Common libFuzzer options.
lf_opts() {
    local target=$1
    mkdir -p "$FUZZ/artifacts/$target"
    printf '%s\n' "-timeout=$TIMEOUT" "-rss_limit_mb=$RSS_MB" "-dict=$FUZZ/tinytask.dict" \
        "-artifact_prefix=$FUZZ/artifacts/$target/"
}

replay() {
    local target files status=0
    for target in "${TARGETS[@]}"; do
        check_target "$target"
        shopt -s nullglob
        files=("$FUZZ/regressions/$target"/*)
        shopt -u nullglob
        files=("${files[@]/*README*/}")
        local kept=()
        for f in "${files[@]}"; do [ -n "$f" ] && [ -f "$f" ] && kept+=("$f"); done
        if [ ${#kept[@]} -eq 0 ]; then
            say "$target: no regression inputs"
            continue
        fi
        say "$target: replaying ${#kept[@]} regression input(s) from fuzz/regressions/$target/"
        mapfile -t opts < <(lf_opts "$target")
        if ! "$BIN_DIR/$target" "${opts[@]}" "${kept[@]}" >"$FUZZ/artifacts/$target/replay.log" 2>&1; then
            tail -n 40 "$FUZZ/artifacts/$target/replay.log" >&2
            say "$target: a regression input fails again (full log: fuzz/artifacts/$target/replay.log)"
            status=1
        fi
    done
    [ $status = 0 ] || die "regression replay"
}

# Prints one summary line from a libFuzzer log: executions, exec/s, coverage, corpus, peak RSS.
summarize() {
    local target=$1 log=$2 secs=$3
    local counters execs rate cov ft corp rss
    # (|| true: a log cut short by a crash lacks some of these lines)
    counters=$(grep -oE 'Loaded [0-9]+ modules +\([0-9]+ inline 8-bit counters\)' "$log" | grep -oE '[0-9]+ inline' | grep -oE '[0-9]+' | head -n1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1 || true)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1 || true)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n1 || true)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n1 | grep -oE '[0-9]+' || true)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -n1 | grep -oE '[0-9]+' || true)
    corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -n1 | sed 's/corp: //' || true)
    local pct=""
    if [ -n "${counters:-}" ] && [ -n "${cov:-}" ] && [ "$counters" -gt 0 ]; then
        pct=" ($(awk -v c="$cov" -v n="$counters" 'BEGIN { printf "%.1f", 100 * c / n }')% of $counters instrumented edges in the binary)"
    fi
    say "$target: ${secs}s, ${execs:-?} executions, ${rate:-?} exec/s, coverage ${cov:-?} edges$pct, ${ft:-?} features, corpus ${corp:-?}, peak RSS ${rss:-?} MB"
}

run_target() {
    local target=$1 secs=$2
    check_target "$target"
    local corpus="$FUZZ/corpus/$target" seeds="$FUZZ/seeds/$target" log="$FUZZ/artifacts/$target/fuzz.log"
    mkdir -p "$corpus"
    mapfile -t opts < <(lf_opts "$target")
    say "$target: fuzzing for $secs s (corpus fuzz/corpus/$target, seeds fuzz/seeds/$target, log fuzz/artifacts/$target/fuzz.log)"
    local rc=0
    "$BIN_DIR/$target" "${opts[@]}" -max_total_time="$secs" -print_final_stats=1 -max_len=4096 \
        "$corpus" "$seeds" >"$log" 2>&1 || rc=$?
    summarize "$target" "$log" "$secs"
    if [ $rc != 0 ]; then
        grep -E '^==[0-9]+== ERROR|panicked at|ERROR log from|==tinytask-fuzz==|^SUMMARY|deadly signal|timeout|out-of-memory' "$log" | head -n 20 >&2 || true
        local crash
        crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1 || true)
        say "$target: CRASH (libFuzzer exit $rc)${crash:+, input saved to ${crash#"$ROOT"/}}; full log: fuzz/artifacts/$target/fuzz.log"
        [ -z "$crash" ] || say "reproduce: $BIN_DIR/$target ${crash}; minimize: scripts/fuzz.sh minimize $target ${crash}; then copy the minimized input to fuzz/regressions/$target/"
        return 1
    fi
}

minimize() {
    local target=$1 file=$2
    check_target "$target"
    [ -f "$file" ] || die "no such input: $file"
    local out
    out="$FUZZ/artifacts/$target/minimized-$(basename "$file")"
    mapfile -t opts < <(lf_opts "$target")
    "$BIN_DIR/$target" "${opts[@]}" -minimize_crash=1 -max_total_time="${TINYTASK_FUZZ_SECS:-60}" \
        -exact_artifact_path="$out" "$file" || true
    [ -f "$out" ] || die "minimization produced nothing (does $file still crash?)"
    say "minimized ($(wc -c <"$out") bytes): ${out#"$ROOT"/}"
    od -c "$out" | head -n 20 >&2
}

case "${1:-all}" in
all)
    build
    replay
    n=${#TARGETS[@]}
    per=$((SECS / n))
    [ "$per" -ge 1 ] || per=1
    failed=()
    for target in "${TARGETS[@]}"; do
        run_target "$target" "$per" || failed+=("$target")
    done
    [ ${#failed[@]} = 0 ] || die "crash found by: ${failed[*]}"
    say "no crash in ${SECS} s over ${TARGETS[*]}"
    ;;
build) build ;;
replay) replay ;;
run)
    [ $# -ge 2 ] || die "usage: scripts/fuzz.sh run TARGET [SECS]"
    run_target "$2" "${3:-60}"
    ;;
minimize)
    [ $# -ge 3 ] || die "usage: scripts/fuzz.sh minimize TARGET FILE"
    minimize "$2" "$3"
    ;;
*) die "unknown command '$1' (all | build | replay | run | minimize)" ;;
esac
