#!/usr/bin/env bash
# Make a Docker engine, the base images of TinyTask's Dockerfiles and a registry binary (for the acceptance
# suite's push/pull check) available on this machine.
#
#   sudo scripts/docker-setup.sh        (runs as root, no stdin; CI runs it on a clean clone)
#
# Idempotent: every step checks first and does nothing when its result is already there, so a rerun on a
# ready machine takes well under 5 s. Steps (one status line each on stderr; non-zero exit on failure):
#   1. engine   - when `docker info` fails and there is no dockerd: apt-get install docker.io (Engine 20.10),
#                 docker-compose (Compose v1, 1.29), iptables, debootstrap, ca-certificates. The 28.x client in
#                 /usr/local/bin stays first on PATH and talks to the 20.10 engine (API negotiation);
#                 /usr/bin/docker is the 20.10 client (use it with DOCKER_BUILDKIT=1 for BuildKit).
#   2. dockerd  - when `docker info` fails: start dockerd detached (setsid nohup, log in $DOCKERD_LOG) so that
#                 it outlives this script, and wait until `docker info` answers.
#   3. image    - when `docker image inspect rust:1.95-slim-trixie` fails: try `docker pull` once (short
#                 timeout; no registry is reachable on our machines), else build a local stand-in: a Debian
#                 trixie minbase rootfs (debootstrap, cached as a tarball in $CACHE_DIR) with gcc, libc6-dev,
#                 ca-certificates and apt sources, plus this machine's own Rust toolchain (host target only,
#                 docs pruned) in /usr/local/rustup + /usr/local/cargo, and this machine's local CA certificates
#                 (HTTPS from containers is intercepted by the machine's egress; without them cargo cannot reach
#                 crates.io), imported with the official image's ENV, then checked: cargo/rustc run, apt-get
#                 update and the crates.io index answer. Rebuilt when the host's local CAs change (label hash).
#                 `FROM scratch` needs nothing.
#   4. registry - when there is no `docker-registry` on PATH: apt-get install docker-registry (Debian's
#                 distribution/registry 2.8), for the acceptance suite's push/pull round trip. The suite
#                 starts its own registry on 127.0.0.1 with a temporary config; the package's service is
#                 kept from starting (policy-rc.d) and, on a systemd machine, disabled.
#
# Environment overrides (all optional):
#   TINYTASK_RUST_IMAGE       image tag to provide             (rust:1.95-slim-trixie)
#   TINYTASK_RUST_VERSION     toolchain version it must hold   (1.95.0)
#   TINYTASK_SKIP_PULL=1      do not try `docker pull` before building the stand-in
#   TINYTASK_PULL_TIMEOUT     seconds for that pull attempt    (20)
#   TINYTASK_DOCKERD_TIMEOUT  seconds to wait for dockerd      (60)
#   TINYTASK_DEBIAN_MIRROR    mirror for debootstrap and apt   (http://deb.debian.org/debian)
#   TINYTASK_CACHE_DIR        rootfs tarball cache             (/var/cache/tinytask)
#   TINYTASK_DOCKERD_LOG      dockerd log file                 (/var/log/tinytask-dockerd.log)
#   TINYTASK_HOST_CA_DIR      local CAs copied into the image  (/usr/local/share/ca-certificates)
#   TINYTASK_NO_HOST_CA=1     do not copy them
set -euo pipefail

IMAGE="${TINYTASK_RUST_IMAGE:-rust:1.95-slim-trixie}"
RUST_VERSION="${TINYTASK_RUST_VERSION:-1.95.0}"
SUITE=trixie
MIRROR="${TINYTASK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${MIRROR%/debian}/debian-security"
CACHE_DIR="${TINYTASK_CACHE_DIR:-/var/cache/tinytask}"
DOCKERD_LOG="${TINYTASK_DOCKERD_LOG:-/var/log/tinytask-dockerd.log}"
DOCKERD_TIMEOUT="${TINYTASK_DOCKERD_TIMEOUT:-60}"
PULL_TIMEOUT="${TINYTASK_PULL_TIMEOUT:-20}"
# Bump when the rootfs recipe below changes, so that a stale cached tarball is not reused.
ROOTFS_RECIPE=v1
ROOTFS_PACKAGES=gcc,libc6-dev,ca-certificates
HOST_TRIPLE="$(uname -m)-unknown-linux-gnu"
HOME="${HOME:-/root}"   # where the machine's rustup toolchain is looked for (RUSTUP_HOME / CARGO_HOME win)
HOST_CA_DIR="${TINYTASK_HOST_CA_DIR:-/usr/local/share/ca-certificates}"

T0=$(date +%s.%N)
log() { printf 'docker-setup: %s\n' "$*" >&2; }
die() { printf 'docker-setup: ERROR: %s\n' "$*" >&2; exit 1; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'; }

[ "$(id -u)" -eq 0 ] || die "must run as root (installs packages, starts dockerd)"
export DEBIAN_FRONTEND=noninteractive

# One changing run at a time (tests may call this script concurrently). Taken lazily, only before a step
# changes something, so the no-op path needs no lock; every step re-checks after taking it. fd 9 must not
# leak into long-lived children (dockerd is started with 9>&-), or they would hold the lock forever.
LOCK_FILE=/run/lock/tinytask-docker-setup.flock
LOCKED=""
take_lock() {
    [ -z "$LOCKED" ] || return 0
    mkdir -p "$(dirname "$LOCK_FILE")"
    exec 9>"$LOCK_FILE"
    if ! flock -n 9; then
        log "waiting for another docker-setup.sh run (lock $LOCK_FILE)"
        flock -w 1800 9 || die "lock $LOCK_FILE still held after 30 min (holders: $(fuser "$LOCK_FILE" 2>/dev/null || echo '?'))"
    fi
    LOCKED=1
}

# Cleanup of whatever this run created temporarily.
CLEANUP_DIRS=()
POLICY_RC_CREATED=0
cleanup() {
    local d m
    for d in "${CLEANUP_DIRS[@]+"${CLEANUP_DIRS[@]}"}"; do
        [ -n "$d" ] && [ -d "$d" ] || continue
        # Never rm -rf through a mount (debootstrap mounts /proc and /sys in its target while it runs).
        for m in $(findmnt -rn -o TARGET | grep -F "$d/" | sort -r); do umount -l "$m" 2>/dev/null || true; done
        if findmnt -rn -o TARGET | grep -qF "$d/"; then
            log "WARNING: mounts left under $d, not removing it"
        else
            rm -rf "$d"
        fi
    done
    if [ "$POLICY_RC_CREATED" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

docker_ok() { docker info >/dev/null 2>&1; }

# PID of a live (not zombie) process named $1. Our PID 1 does not always reap orphans, so a killed dockerd
# can linger as a zombie that pgrep still lists.
live_pid() {
    local p found=""
    for p in $(pgrep -x "$1"); do
        case "$(ps -o stat= -p "$p" 2>/dev/null)" in Z*|"") ;; *) echo "$p"; found=1 ;; esac
    done
    [ -n "$found" ]
}

apt_install() {
    take_lock
    # Keep services from being started by package scripts: this script starts dockerd itself.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=1
    fi
    local apt_log=/var/log/tinytask-apt.log
    apt-get update -q >"$apt_log" 2>&1 || log "WARNING: apt-get update reported errors (see $apt_log); trying the install anyway"
    if ! apt-get install -y -q --no-install-recommends \
            -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "$@" >>"$apt_log" 2>&1; then
        tail -n 20 "$apt_log" >&2
        die "apt-get install $* failed (full log: $apt_log)"
    fi
    if [ "$POLICY_RC_CREATED" = 1 ]; then rm -f /usr/sbin/policy-rc.d; POLICY_RC_CREATED=0; fi
}

# ---------------------------------------------------------------------------------------------------------
# 1. Engine, Compose v1, debootstrap
# ---------------------------------------------------------------------------------------------------------
t=$(date +%s.%N)
need_pkgs() {
    pkgs=()
    if ! docker_ok; then
        command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)
        command -v iptables >/dev/null 2>&1 || pkgs+=(iptables)
    fi
    command -v docker-compose >/dev/null 2>&1 || pkgs+=(docker-compose)
    [ ${#pkgs[@]} -gt 0 ]
}
if need_pkgs; then take_lock; fi
if need_pkgs; then
    command -v debootstrap >/dev/null 2>&1 || pkgs+=(debootstrap)
    pkgs+=(ca-certificates)
    apt_install "${pkgs[@]}"
    log "[1/4] engine: installed ${pkgs[*]} ($(since "$t"))"
else
    log "[1/4] engine: nothing to install (docker $(docker_ok && echo running || echo 'engine present'), $(command -v docker-compose))"
fi
command -v docker >/dev/null 2>&1 || die "no docker client on PATH after installing docker.io"

# ---------------------------------------------------------------------------------------------------------
# 2. dockerd
# ---------------------------------------------------------------------------------------------------------
t=$(date +%s.%N)
docker_ok || take_lock
if docker_ok; then
    log "[2/4] dockerd: already running (engine $(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?'))"
else
    command -v dockerd >/dev/null 2>&1 || die "docker info fails and there is no dockerd to start"
    started=""
    if pid=$(live_pid dockerd | head -n1) && [ -n "$pid" ]; then
        log "[2/4] dockerd: pid $pid exists but does not answer yet, waiting for it"
    else
        # Stale pid files from a dockerd that died (e.g. machine handed back without its processes).
        for f in dockerd:/var/run/docker.pid containerd:/var/run/docker/containerd/containerd.pid; do
            name=${f%%:*}; f=${f#*:}
            [ -f "$f" ] || continue
            p=$(cat "$f" 2>/dev/null || true)
            if [ -n "$p" ] && live_pid "$name" | grep -qx "$p"; then continue; fi  # alive: leave it
            rm -f "$f"
            log "[2/4] dockerd: removed stale $f"
        done
        mkdir -p "$(dirname "$DOCKERD_LOG")"
        printf '\n==== %s docker-setup.sh starting dockerd\n' "$(date -Is)" >>"$DOCKERD_LOG"
        # setsid: own session and process group, so that it survives this script and its shell's job control.
        # 9>&-: do not hand it the lock fd.
        setsid nohup dockerd </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
        pid=$!
        started=1
    fi
    deadline=$(( $(date +%s) + DOCKERD_TIMEOUT ))
    until docker_ok; do
        if ! live_pid dockerd >/dev/null; then
            sed -n "/^==== .*starting dockerd/h; /^==== .*starting dockerd/!H; \${x;p}" "$DOCKERD_LOG" | tail -n 25 >&2 || true
            die "dockerd exited during start-up (log: $DOCKERD_LOG)"
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            sed -n "/^==== .*starting dockerd/h; /^==== .*starting dockerd/!H; \${x;p}" "$DOCKERD_LOG" | tail -n 25 >&2 || true
            die "dockerd (pid $pid) did not answer 'docker info' within ${DOCKERD_TIMEOUT}s (log: $DOCKERD_LOG)"
        fi
        sleep 0.3
    done
    log "[2/4] dockerd: ${started:+started, }pid $pid, engine $(docker version -f '{{.Server.Version}}'), storage $(docker info -f '{{.Driver}}'), log $DOCKERD_LOG ($(since "$t"))"
fi

# ---------------------------------------------------------------------------------------------------------
# 3. Base image rust:1.95-slim-trixie (FROM scratch needs nothing)
# ---------------------------------------------------------------------------------------------------------

# The machine's Rust toolchain of version $RUST_VERSION for the host target (a directory, symlinks resolved).
find_toolchain() {
    local home="${RUSTUP_HOME:-$HOME/.rustup}" cand dir
    for cand in "$RUST_VERSION-$HOST_TRIPLE" "stable-$HOST_TRIPLE" "${RUST_VERSION%.*}-$HOST_TRIPLE"; do
        dir="$home/toolchains/$cand"
        if [ -x "$dir/bin/rustc" ] && "$dir/bin/rustc" --version 2>/dev/null | grep -q "^rustc $RUST_VERSION "; then
            realpath "$dir"; return 0
        fi
    done
    for dir in "$home"/toolchains/*-"$HOST_TRIPLE"; do
        if [ -x "$dir/bin/rustc" ] && "$dir/bin/rustc" --version 2>/dev/null | grep -q "^rustc $RUST_VERSION "; then
            realpath "$dir"; return 0
        fi
    done
    return 1
}

find_rustup() {
    local c
    for c in "${CARGO_HOME:-$HOME/.cargo}/bin/rustup" "$(command -v rustup 2>/dev/null || true)"; do
        [ -n "$c" ] && [ -x "$c" ] && { realpath "$c"; return 0; }
    done
    return 1
}

# Debian trixie minbase + gcc libc6-dev ca-certificates, apt configured like the official debian images.
# Result cached as a tarball; a rerun on the same machine only unpacks it.
make_rootfs() {
    local root="$1" cache="$CACHE_DIR/rootfs-$SUITE-minbase-gcc-$ROOTFS_RECIPE.tar" t1
    t1=$(date +%s.%N)
    if [ -s "$cache" ]; then
        tar -C "$root" --numeric-owner -xpf "$cache"
        log "[3/4] image: rootfs unpacked from cache $cache ($(since "$t1"))"
        return 0
    fi
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap ca-certificates
    local dlog=/var/log/tinytask-debootstrap.log
    if ! debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" "$SUITE" "$root" "$MIRROR" >"$dlog" 2>&1; then
        tail -n 25 "$dlog" >&2
        die "debootstrap $SUITE failed (log: $dlog)"
    fi
    # apt sources as in debian:trixie(-slim): deb822 file with updates and security.
    local keyring=/usr/share/keyrings/debian-archive-keyring.pgp
    [ -e "$root$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    rm -f "$root/etc/apt/sources.list"
    mkdir -p "$root/etc/apt/sources.list.d"
    cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: $keyring

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: $keyring
EOF
    # The apt/dpkg tweaks of the official Debian images (docker-clean etc.) and the slim variant's doc excludes.
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
    echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
    echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
    mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/groff/* "$root"/usr/share/lintian/*
    # Caches and host-specific files that docker provides itself at run time.
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
           "$root"/var/log/* "$root"/tmp/* "$root"/root/.cache
    mkdir -p "$root/var/lib/apt/lists/partial"
    : >"$root/etc/resolv.conf"
    echo localhost >"$root/etc/hostname"
    mkdir -p "$CACHE_DIR"
    tar -C "$root" --numeric-owner -cf "$cache.partial" . && mv -f "$cache.partial" "$cache"
    log "[3/4] image: debootstrap $SUITE minbase + ${ROOTFS_PACKAGES//,/ } done, cached in $cache ($(since "$t1"))"
}

# Copy the toolchain as /usr/local/rustup/toolchains/$RUST_VERSION-$HOST and rustup (+ proxies) as
# /usr/local/cargo/bin, keeping only cargo, rustc, rust-std (host), rustfmt and clippy.
add_toolchain() {
    local root="$1" src dst rustup_bin t1 comp
    t1=$(date +%s.%N)
    src=$(find_toolchain) || die "no Rust $RUST_VERSION toolchain for $HOST_TRIPLE under ${RUSTUP_HOME:-$HOME/.rustup}/toolchains (rustup show)"
    rustup_bin=$(find_rustup) || die "rustup binary not found (${CARGO_HOME:-$HOME/.cargo}/bin/rustup)"
    dst="$root/usr/local/rustup/toolchains/$RUST_VERSION-$HOST_TRIPLE"
    mkdir -p "$dst" "$root/usr/local/cargo/bin"

    local keep=" cargo-$HOST_TRIPLE rustc-$HOST_TRIPLE rust-std-$HOST_TRIPLE rustfmt-preview-$HOST_TRIPLE rustfmt-$HOST_TRIPLE clippy-preview-$HOST_TRIPLE clippy-$HOST_TRIPLE "
    local rl="lib/rustlib" excludes="$root.excludes"
    : >"$excludes"
    if [ -f "$src/$rl/components" ]; then
        while read -r comp; do
            [ -n "$comp" ] || continue
            case "$keep" in *" $comp "*) continue ;; esac
            echo "./$rl/manifest-$comp" >>"$excludes"
            if [ -f "$src/$rl/manifest-$comp" ]; then
                sed -n 's/^\(file\|dir\)://p' "$src/$rl/manifest-$comp" | sed 's|^|./|' >>"$excludes"
            fi
        done <"$src/$rl/components"
    fi
    tar -C "$src" --anchored --no-wildcards --exclude-from="$excludes" -cf - . | tar -C "$dst" -xf -
    rm -f "$excludes"
    # Record the pruned component list, as `rustup component remove` would have.
    if [ -f "$dst/$rl/components" ]; then
        local kept=""
        while read -r comp; do
            case "$keep" in *" $comp "*) kept+="$comp"$'\n' ;; esac
        done <"$dst/$rl/components"
        printf '%s' "$kept" >"$dst/$rl/components"
    fi
    if [ -f "$dst/$rl/multirust-config.toml" ]; then
        awk -v keep="$keep" '
            function flush() { if (blk != "" && (is_comp == 0 || index(keep, " " pkg "-" tgt " ") > 0)) printf "%s", blk; blk = ""; is_comp = 0; pkg = ""; tgt = "" }
            /^\[\[components\]\]/ { flush(); is_comp = 1 }
            /^\[/ && !/^\[\[components\]\]/ { flush() }
            is_comp && /^pkg = / { pkg = $3; gsub(/"/, "", pkg) }
            is_comp && /^target = / { tgt = $3; gsub(/"/, "", tgt) }
            { blk = blk $0 "\n" }
            END { flush() }' "$dst/$rl/multirust-config.toml" >"$dst/$rl/multirust-config.toml.new"
        mv "$dst/$rl/multirust-config.toml.new" "$dst/$rl/multirust-config.toml"
    fi

    local version_line='version = "12"'
    if [ -f "${RUSTUP_HOME:-$HOME/.rustup}/settings.toml" ]; then
        version_line=$(grep -m1 '^version = ' "${RUSTUP_HOME:-$HOME/.rustup}/settings.toml" || echo "$version_line")
    fi
    printf '%s\ndefault_toolchain = "%s"\nprofile = "minimal"\n\n[overrides]\n' \
        "$version_line" "$RUST_VERSION-$HOST_TRIPLE" >"$root/usr/local/rustup/settings.toml"

    cp "$rustup_bin" "$root/usr/local/cargo/bin/rustup"
    local p
    for p in cargo cargo-clippy cargo-fmt cargo-miri clippy-driver rls rust-analyzer rust-gdb rust-gdbgui \
             rust-lldb rustc rustdoc rustfmt; do
        ln -sf rustup "$root/usr/local/cargo/bin/$p"
    done
    chmod -R a+w "$root/usr/local/rustup" "$root/usr/local/cargo"
    log "[3/4] image: Rust $RUST_VERSION ($HOST_TRIPLE) copied from $src ($(du -sh "$dst" | cut -f1), $(since "$t1"))"
}

# HTTPS from containers goes through this machine's egress, whose CA is only in the host trust store
# (/usr/local/share/ca-certificates). Without it cargo in a container fails on crates.io with "SSL certificate
# problem: self-signed certificate in certificate chain". The stand-in gets the same local CAs, and a label
# with their hash so that the image is rebuilt when the host's set changes.
host_ca_files() {
    [ "${TINYTASK_NO_HOST_CA:-0}" = 1 ] && return 0
    [ -d "$HOST_CA_DIR" ] || return 0
    find "$HOST_CA_DIR" -type f -name '*.crt' 2>/dev/null | LC_ALL=C sort
}
host_ca_hash() {
    local f
    { for f in $(host_ca_files); do echo "$f"; cat "$f"; done; } | sha256sum | cut -c1-16
}
add_host_cas() {
    local root="$1" f n=0 names=""
    mkdir -p "$root/usr/local/share/ca-certificates"
    for f in $(host_ca_files); do
        cp "$f" "$root/usr/local/share/ca-certificates/host-$(basename "$f")"
        n=$((n + 1)); names+=" $(basename "$f")"
    done
    [ "$n" -gt 0 ] || { log "[3/4] image: no local CA certificates to add"; return 0; }
    if ! chroot "$root" /usr/sbin/update-ca-certificates >/dev/null 2>&1; then
        log "WARNING: update-ca-certificates failed in the rootfs; appending to the bundle instead"
        for f in $(host_ca_files); do cat "$f" >>"$root/etc/ssl/certs/ca-certificates.crt"; done
    fi
    log "[3/4] image: added $n local CA certificate(s) of this machine:$names"
}

build_standin() {
    local work root t1
    mkdir -p /var/tmp
    work=$(mktemp -d /var/tmp/tinytask-rootfs.XXXXXX)
    CLEANUP_DIRS+=("$work")
    root="$work/rootfs"
    mkdir -p "$root"
    make_rootfs "$root"
    add_toolchain "$root"
    add_host_cas "$root"
    t1=$(date +%s.%N)
    tar -C "$root" --numeric-owner -cf - . | docker import \
        --change "ENV RUSTUP_HOME=/usr/local/rustup" \
        --change "ENV CARGO_HOME=/usr/local/cargo" \
        --change "ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change "ENV RUST_VERSION=$RUST_VERSION" \
        --change "LABEL org.tinytask.standin=debootstrap-$SUITE" \
        --change "LABEL org.tinytask.host-ca=$(host_ca_hash)" \
        --change 'CMD ["bash"]' \
        -m "TinyTask local stand-in for $IMAGE (scripts/docker-setup.sh)" \
        - "$IMAGE" >/dev/null || die "docker import of the stand-in rootfs failed"
    log "[3/4] image: imported $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }'), $(since "$t1"))"
    rm -rf "$work"

    # Verify: toolchain works through the rustup proxies, apt inside reaches Debian.
    t1=$(date +%s.%N)
    local out cargo_v
    if ! out=$(docker run --rm "$IMAGE" sh -c 'cargo --version && rustc --version' 2>&1) \
            || ! grep -q "^rustc $RUST_VERSION " <<<"$out"; then
        printf '%s\n' "$out" >&2
        docker rmi "$IMAGE" >/dev/null 2>&1 || true
        die "stand-in $IMAGE does not run cargo/rustc $RUST_VERSION; image removed"
    fi
    cargo_v=$(head -n1 <<<"$out")
    if ! out=$(docker run --rm "$IMAGE" sh -c 'apt-get update -q' 2>&1); then
        printf '%s\n' "$out" | tail -n 15 >&2
        docker rmi "$IMAGE" >/dev/null 2>&1 || true
        die "apt-get update fails inside the stand-in $IMAGE (apt sources or container network); image removed"
    fi
    # crates.io over HTTPS (index only, no build): what `cargo build`/`cargo install` in the Dockerfiles need.
    if ! out=$(docker run --rm "$IMAGE" sh -c 'set -e; mkdir -p /tmp/p/src; cd /tmp/p; : >src/lib.rs
            printf "[package]\nname = \"p\"\nversion = \"0.0.0\"\nedition = \"2021\"\n[dependencies]\nitoa = \"1\"\n" >Cargo.toml
            cargo generate-lockfile -q' 2>&1); then
        printf '%s\n' "$out" | tail -n 15 >&2
        docker rmi "$IMAGE" >/dev/null 2>&1 || true
        die "cargo cannot reach crates.io from the stand-in $IMAGE (TLS/CA or container network); image removed"
    fi
    log "[3/4] image: verified $IMAGE: $cargo_v, apt-get update ok, crates.io index ok ($(since "$t1"))"
}

# "ok": present and usable; "stale-ca": our stand-in, built with another set of host CAs; "missing".
image_state() {
    local labels
    labels=$(docker image inspect -f '{{index .Config.Labels "org.tinytask.standin"}} {{index .Config.Labels "org.tinytask.host-ca"}}' "$IMAGE" 2>/dev/null) \
        || { echo missing; return; }
    case "$labels" in
        "<no value> "*|" "*) echo ok ;;                        # a real (pulled) image: not ours to change
        *" $(host_ca_hash)") echo ok ;;
        *) echo stale-ca ;;
    esac
}
t=$(date +%s.%N)
[ "$(image_state)" = ok ] || take_lock
state=$(image_state)
if [ "$state" = ok ]; then
    kind=$(docker image inspect -f '{{index .Config.Labels "org.tinytask.standin"}}' "$IMAGE" 2>/dev/null)
    case "$kind" in ""|"<no value>") kind="pulled" ;; *) kind="local stand-in, $kind" ;; esac
    log "[3/4] image: $IMAGE present ($kind)"
elif [ "$state" = stale-ca ]; then
    log "[3/4] image: stand-in $IMAGE was built with other local CA certificates than $HOST_CA_DIR now holds, rebuilding"
    build_standin
else
    pulled=""
    if [ "${TINYTASK_SKIP_PULL:-0}" != 1 ]; then
        if timeout "$PULL_TIMEOUT" docker pull -q "$IMAGE" >/dev/null 2>&1; then
            pulled=1
            log "[3/4] image: pulled $IMAGE ($(since "$t"))"
        else
            log "[3/4] image: docker pull $IMAGE failed (no registry), building a local stand-in"
        fi
    fi
    [ -n "$pulled" ] || build_standin
fi

# ---------------------------------------------------------------------------------------------------------
# 4. docker-registry (the acceptance suite's local push/pull round trip)
# ---------------------------------------------------------------------------------------------------------
t=$(date +%s.%N)
registry_version() { docker-registry --version 2>/dev/null | awk '{ print $NF }'; }
command -v docker-registry >/dev/null 2>&1 || take_lock
if command -v docker-registry >/dev/null 2>&1; then
    log "[4/4] registry: $(command -v docker-registry) present ($(registry_version))"
else
    apt_install docker-registry
    command -v docker-registry >/dev/null 2>&1 || die "no docker-registry on PATH after installing docker-registry"
    # The package's unit would serve :5000 on every interface from the next boot on; nothing here uses it.
    if [ -d /run/systemd/system ]; then
        systemctl disable --now docker-registry.service >/dev/null 2>&1 || log "WARNING: could not disable docker-registry.service"
    fi
    log "[4/4] registry: installed docker-registry $(registry_version) ($(since "$t"))"
fi

log "done in $(since "$T0"): docker=$(command -v docker) ($(docker version -f '{{.Client.Version}}' 2>/dev/null)), engine $(docker version -f '{{.Server.Version}}' 2>/dev/null), $(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /'), image $IMAGE"
