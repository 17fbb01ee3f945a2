#!/usr/bin/env bash
# Make a Docker engine, the base images of TinyTask's Dockerfiles, the service images of
# docker-compose.scale.yml and a registry binary (for the acceptance suite's push/pull check) available here.
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
#   5. postgres - when `docker image inspect postgres:17` fails (or shows a stand-in of another recipe): try
#                 `docker pull` once, else build a stand-in from step 3's cached rootfs with Debian's
#                 postgresql-17 (the Rust stand-in's compiler removed) and deploy/postgres/docker-entrypoint.sh
#                 (the official image's POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB/PGDATA contract: initdb on
#                 an empty volume, scram-sha-256 for host connections, all addresses, port 5432, user
#                 postgres, fast shutdown on SIGTERM and SIGINT), then checked: init, a password login over
#                 TCP, the server's user and version, SIGTERM with a client connected stops it within 5 s.
#   6. nginx    - the same for nginx:1.26 with Debian's nginx (fails when Debian's is not 1.26.x): logs to
#                 the container's output, `nginx -g 'daemon off;'`, /etc/nginx/nginx.conf replaceable by a
#                 mount, STOPSIGNAL SIGQUIT; checked: GET / answers 200, `docker stop` ends it cleanly.
#                 Steps 5 and 6 provide the images of docker-compose.scale.yml (`just scale-up`). Each
#                 stand-in is labelled with a hash of its recipe, so a changed recipe rebuilds it.
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
#   TINYTASK_SKIP_SCALE_IMAGES=1  skip steps 5 and 6 (postgres:17 and nginx:1.26)
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
CLEANUP_CONTAINERS=()
POLICY_RC_CREATED=0
cleanup() {
    local d m c
    for c in "${CLEANUP_CONTAINERS[@]+"${CLEANUP_CONTAINERS[@]}"}"; do
        docker rm -f "$c" >/dev/null 2>&1 || true
    done
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

# The step whose status lines the shared functions below (make_rootfs, try_pull) write, e.g. "[3/6] image".
STEP=""

# One `docker pull` attempt of image $1 (short timeout; fails on our machines, which reach no registry).
# Uses $t, the step's start time.
try_pull() {
    [ "${TINYTASK_SKIP_PULL:-0}" != 1 ] || return 1
    if timeout "$PULL_TIMEOUT" docker pull -q "$1" >/dev/null 2>&1; then
        log "$STEP: pulled $1 ($(since "$t"))"
        return 0
    fi
    log "$STEP: docker pull $1 failed (no registry), building a local stand-in"
    return 1
}

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
    log "[1/6] engine: installed ${pkgs[*]} ($(since "$t"))"
else
    log "[1/6] engine: nothing to install (docker $(docker_ok && echo running || echo 'engine present'), $(command -v docker-compose))"
fi
command -v docker >/dev/null 2>&1 || die "no docker client on PATH after installing docker.io"

# ---------------------------------------------------------------------------------------------------------
# 2. dockerd
# ---------------------------------------------------------------------------------------------------------
t=$(date +%s.%N)
docker_ok || take_lock
if docker_ok; then
    log "[2/6] dockerd: already running (engine $(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?'))"
else
    command -v dockerd >/dev/null 2>&1 || die "docker info fails and there is no dockerd to start"
    started=""
    if pid=$(live_pid dockerd | head -n1) && [ -n "$pid" ]; then
        log "[2/6] dockerd: pid $pid exists but does not answer yet, waiting for it"
    else
        # Stale pid files from a dockerd that died (e.g. machine handed back without its processes).
        for f in dockerd:/var/run/docker.pid containerd:/var/run/docker/containerd/containerd.pid; do
            name=${f%%:*}; f=${f#*:}
            [ -f "$f" ] || continue
            p=$(cat "$f" 2>/dev/null || true)
            if [ -n "$p" ] && live_pid "$name" | grep -qx "$p"; then continue; fi  # alive: leave it
            rm -f "$f"
            log "[2/6] dockerd: removed stale $f"
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
    log "[2/6] dockerd: ${started:+started, }pid $pid, engine $(docker version -f '{{.Server.Version}}'), storage $(docker info -f '{{.Driver}}'), log $DOCKERD_LOG ($(since "$t"))"
fi

# ---------------------------------------------------------------------------------------------------------
# 3. Base image rust:1.95-slim-trixie (FROM scratch needs nothing)
# ---------------------------------------------------------------------------------------------------------
STEP="[3/6] image"

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

# A fresh work directory (removed on exit) holding an empty rootfs/: sets WORK_DIR and ROOTFS_DIR. Globals
# rather than $(...), because CLEANUP_DIRS must grow in this shell, not in a subshell.
new_rootfs_dir() {
    mkdir -p /var/tmp
    WORK_DIR=$(mktemp -d /var/tmp/tinytask-rootfs.XXXXXX)
    CLEANUP_DIRS+=("$WORK_DIR")
    ROOTFS_DIR="$WORK_DIR/rootfs"
    mkdir -p "$ROOTFS_DIR"
}

# Debian trixie minbase + gcc libc6-dev ca-certificates, apt configured like the official debian images.
# Result cached as a tarball; a rerun on the same machine only unpacks it.
make_rootfs() {
    local root="$1" cache="$CACHE_DIR/rootfs-$SUITE-minbase-gcc-$ROOTFS_RECIPE.tar" t1
    t1=$(date +%s.%N)
    if [ -s "$cache" ]; then
        tar -C "$root" --numeric-owner -xpf "$cache"
        log "$STEP: rootfs unpacked from cache $cache ($(since "$t1"))"
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
    log "$STEP: debootstrap $SUITE minbase + ${ROOTFS_PACKAGES//,/ } done, cached in $cache ($(since "$t1"))"
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
    log "[3/6] image: Rust $RUST_VERSION ($HOST_TRIPLE) copied from $src ($(du -sh "$dst" | cut -f1), $(since "$t1"))"
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
    [ "$n" -gt 0 ] || { log "[3/6] image: no local CA certificates to add"; return 0; }
    if ! chroot "$root" /usr/sbin/update-ca-certificates >/dev/null 2>&1; then
        log "WARNING: update-ca-certificates failed in the rootfs; appending to the bundle instead"
        for f in $(host_ca_files); do cat "$f" >>"$root/etc/ssl/certs/ca-certificates.crt"; done
    fi
    log "[3/6] image: added $n local CA certificate(s) of this machine:$names"
}

build_standin() {
    local work root t1
    new_rootfs_dir
    work="$WORK_DIR" root="$ROOTFS_DIR"
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
    log "[3/6] image: imported $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }'), $(since "$t1"))"
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
    log "[3/6] image: verified $IMAGE: $cargo_v, apt-get update ok, crates.io index ok ($(since "$t1"))"
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
    log "[3/6] image: $IMAGE present ($kind)"
elif [ "$state" = stale-ca ]; then
    log "[3/6] image: stand-in $IMAGE was built with other local CA certificates than $HOST_CA_DIR now holds, rebuilding"
    build_standin
else
    try_pull "$IMAGE" || build_standin
fi

# ---------------------------------------------------------------------------------------------------------
# 4. docker-registry (the acceptance suite's local push/pull round trip)
# ---------------------------------------------------------------------------------------------------------
t=$(date +%s.%N)
registry_version() { docker-registry --version 2>/dev/null | awk '{ print $NF }'; }
command -v docker-registry >/dev/null 2>&1 || take_lock
if command -v docker-registry >/dev/null 2>&1; then
    log "[4/6] registry: $(command -v docker-registry) present ($(registry_version))"
else
    apt_install docker-registry
    command -v docker-registry >/dev/null 2>&1 || die "no docker-registry on PATH after installing docker-registry"
    # The package's unit would serve :5000 on every interface from the next boot on; nothing here uses it.
    if [ -d /run/systemd/system ]; then
        systemctl disable --now docker-registry.service >/dev/null 2>&1 || log "WARNING: could not disable docker-registry.service"
    fi
    log "[4/6] registry: installed docker-registry $(registry_version) ($(since "$t"))"
fi

# ---------------------------------------------------------------------------------------------------------
# 5./6. The service images of docker-compose.scale.yml: postgres:17 and nginx:1.26
# ---------------------------------------------------------------------------------------------------------
# Stand-ins under the official names, made from the same cached rootfs as step 3 plus Debian's packages.
# Each carries a label with a hash of its recipe (the functions below and the files they copy in), so that
# changing the recipe rebuilds the image on the next run and an unchanged one is left alone.
PG_MAJOR=17
PG_IMAGE="postgres:$PG_MAJOR"
NGINX_SERIES=1.26
NGINX_IMAGE="nginx:$NGINX_SERIES"
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_ENTRYPOINT="$REPO_DIR/deploy/postgres/docker-entrypoint.sh"
STANDIN_APT_LOG=/var/log/tinytask-standin-apt.log

# Install Debian packages $2... into the unpacked rootfs $1 (chroot, on this machine's network, services kept
# from starting). The cached rootfs carries the Rust stand-in's compiler: every package that is neither
# Priority required/important nor ca-certificates is marked automatically installed first, so that
# autoremove drops gcc, binutils and libc6-dev unless the new packages need them.
rootfs_install() {
    local root="$1"
    shift
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    mount -t proc proc "$root/proc"   # unmounted below, or by cleanup() when this fails
    # shellcheck disable=SC2016 # expanded inside the chroot
    if ! chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive bash -euo pipefail -c '
            dpkg-query -W -f="\${Package} \${Priority}\n" \
                | awk "\$2 != \"required\" && \$2 != \"important\" && \$1 != \"ca-certificates\" { print \$1 }" \
                | xargs -r apt-mark auto >/dev/null
            apt-get update -q
            apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold "$@"
            apt-get autoremove -y -q --purge
            apt-get clean' rootfs-install "$@" >"$STANDIN_APT_LOG" 2>&1; then
        tail -n 20 "$STANDIN_APT_LOG" >&2
        die "installing $* into the rootfs failed (log: $STANDIN_APT_LOG)"
    fi
    umount "$root/proc"
    # Log files go, the packages' log directories stay (nginx's holds its log symlinks).
    find "$root/var/log" -type f -delete
    rm -rf "$root"/var/lib/apt/lists/* "$root"/tmp/* "$root/usr/sbin/policy-rc.d"
    mkdir -p "$root/var/lib/apt/lists/partial"
    : >"$root/etc/resolv.conf"
    log "$STEP: installed $* ($(du -sh "$root" | cut -f1) rootfs)"
}

# Import rootfs $1 as image $2 with recipe hash $3 and stop signal $4; the remaining arguments are
# `docker import` options (--change ...), the official image's configuration. `docker import` cannot set
# STOPSIGNAL, so a one-line build on top of the import adds it (a metadata-only layer, nothing pulled).
import_standin() {
    local root="$1" image="$2" recipe="$3" stop_signal="$4" t1
    shift 4
    t1=$(date +%s.%N)
    tar -C "$root" --numeric-owner -cf - . | docker import "$@" \
        --change "LABEL org.tinytask.standin=debootstrap-$SUITE" \
        -m "TinyTask local stand-in for $image (scripts/docker-setup.sh)" \
        - "$image" >/dev/null || die "docker import of the $image stand-in failed"
    # The recipe label comes last: an image that lacks it (this build failed half-way) is rebuilt next time.
    printf 'FROM %s\nSTOPSIGNAL %s\nLABEL org.tinytask.recipe=%s\n' "$image" "$stop_signal" "$recipe" \
        | DOCKER_BUILDKIT=0 docker build -q -t "$image" - >/dev/null 2>&1 \
        || reject_standin "$image" "could not set STOPSIGNAL $stop_signal on the imported $image"
    log "$STEP: imported $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }'), $(since "$t1"))"
}

# Give up on stand-in $1: remove it (a half-checked image must not pass as ready on the next run) and fail.
reject_standin() {
    docker rmi "$1" >/dev/null 2>&1 || true
    die "$2; image $1 removed"
}

# Start a throwaway container of image $1 (further `docker run` arguments follow) for a check; removed on exit.
check_container() {
    local name="tinytask-standin-check-$$-${#CLEANUP_CONTAINERS[@]}"
    CLEANUP_CONTAINERS+=("$name")
    docker run -d --name "$name" "$@" >/dev/null || return 1
    CHECK_CONTAINER="$name"
}

# `docker stop` of container $1 took $2 s or less and ended with exit code 0: a clean, prompt shutdown.
stops_cleanly() {
    local t1 took code
    t1=$(date +%s.%N)
    docker stop -t 20 "$1" >/dev/null || return 1
    took=$(since "$t1")
    code=$(docker inspect -f '{{.State.ExitCode}}' "$1")
    STOP_REPORT="docker stop ${took}, exit $code"
    [ "$code" = 0 ] && awk -v a="${took%s}" -v b="$2" 'BEGIN { exit !(a <= b) }'
}

pg_recipe() {
    { declare -f rootfs_install import_standin build_pg_standin; cat "$PG_ENTRYPOINT"
      echo "$SUITE $ROOTFS_RECIPE $PG_MAJOR"; } | sha256sum | cut -c1-16
}
build_pg_standin() {
    local root
    [ -r "$PG_ENTRYPOINT" ] || die "$PG_ENTRYPOINT is missing (run this script from a TinyTask checkout)"
    new_rootfs_dir
    root="$ROOTFS_DIR"
    make_rootfs "$root"
    # Only the binaries: the official image has no Debian cluster either (the entrypoint runs initdb).
    mkdir -p "$root/etc/postgresql-common/createcluster.d"
    echo 'create_main_cluster = false' >"$root/etc/postgresql-common/createcluster.d/tinytask-standin.conf"
    rootfs_install "$root" "postgresql-$PG_MAJOR"
    # As in the official image: initdb's sample configuration listens on every address.
    local sample="$root/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample"
    sed -ri "s/^#?(listen_addresses)\s*=\s*\S+.*/\1 = '*'/" "$sample"
    grep -qF "listen_addresses = '*'" "$sample" || die "could not set listen_addresses in $sample"
    install -m 755 "$PG_ENTRYPOINT" "$root/usr/local/bin/docker-entrypoint.sh"
    install -d -m 700 -o "$(chroot "$root" id -u postgres)" -g "$(chroot "$root" id -g postgres)" \
        "$root/var/lib/postgresql/data"
    # SIGINT, as in the official image (a fast shutdown); the entrypoint turns SIGTERM into the same.
    import_standin "$root" "$PG_IMAGE" "$(pg_recipe)" SIGINT \
        --change "ENV PATH=/usr/lib/postgresql/$PG_MAJOR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change "ENV PG_MAJOR=$PG_MAJOR" \
        --change "ENV LANG=C.UTF-8" \
        --change "ENV PGDATA=/var/lib/postgresql/data" \
        --change "VOLUME /var/lib/postgresql/data" \
        --change "EXPOSE 5432" \
        --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
        --change 'CMD ["postgres"]'
    rm -rf "$WORK_DIR"
    verify_pg_standin
}
# Initialise, connect over TCP with a password (scram), check the server's user and version, stop on SIGTERM.
verify_pg_standin() {
    local t1 out i
    t1=$(date +%s.%N)
    check_container -e POSTGRES_USER=check -e POSTGRES_PASSWORD=check-pw -e POSTGRES_DB=checkdb "$PG_IMAGE" \
        || reject_standin "$PG_IMAGE" "the stand-in does not start"
    for i in $(seq 1 60); do
        docker exec "$CHECK_CONTAINER" pg_isready -q -h 127.0.0.1 -U check -d checkdb && break
        [ "$i" -lt 60 ] || { docker logs "$CHECK_CONTAINER" 2>&1 | tail -n 20 >&2
                             reject_standin "$PG_IMAGE" "pg_isready did not answer within 60 s"; }
        sleep 1
    done
    if ! out=$(docker exec -e PGPASSWORD=check-pw "$CHECK_CONTAINER" psql -h 127.0.0.1 -U check -d checkdb -Atc \
            "select current_setting('server_version_num')::int / 10000, current_setting('server_encoding'),
                    (select rolname from pg_roles where oid = (select datdba from pg_database where datname = 'checkdb'))" 2>&1) \
            || [ "$out" != "$PG_MAJOR|UTF8|check" ]; then
        printf '%s\n' "$out" >&2
        reject_standin "$PG_IMAGE" "psql over TCP with a password did not answer '$PG_MAJOR|UTF8|check'"
    fi
    # shellcheck disable=SC2016 # expanded in the container
    out=$(docker exec "$CHECK_CONTAINER" bash -c 'stat -c %U "/proc/$(head -n1 "$PGDATA/postmaster.pid")"')
    [ "$out" = postgres ] || reject_standin "$PG_IMAGE" "the server runs as '$out', not postgres"
    # A client holding a connection open, as the replicas' pools do: a smart shutdown would wait for it.
    docker exec -d -e PGPASSWORD=check-pw "$CHECK_CONTAINER" psql -h 127.0.0.1 -U check -d checkdb -c 'select pg_sleep(600)'
    for i in $(seq 1 50); do
        out=$(docker exec "$CHECK_CONTAINER" psql -U check -d checkdb -Atc \
                "select count(*) from pg_stat_activity where query like 'select pg_sleep%'" 2>/dev/null) || out=""
        [ "$out" = 1 ] && break
        [ "$i" -lt 50 ] || reject_standin "$PG_IMAGE" "the check's long-running client did not connect within 5 s"
        sleep 0.1
    done
    local t2
    t2=$(date +%s.%N)
    docker kill -s TERM "$CHECK_CONTAINER" >/dev/null
    for i in $(seq 1 50); do
        [ "$(docker inspect -f '{{.State.Running}}' "$CHECK_CONTAINER")" = false ] && break
        sleep 0.1
    done
    [ "$(docker inspect -f '{{.State.Running}} {{.State.ExitCode}}' "$CHECK_CONTAINER")" = "false 0" ] \
        || reject_standin "$PG_IMAGE" "SIGTERM did not stop the server cleanly within 5 s ($(docker inspect -f 'running={{.State.Running}} exit={{.State.ExitCode}}' "$CHECK_CONTAINER"))"
    local stopped_in
    stopped_in=$(since "$t2")
    docker rm -f "$CHECK_CONTAINER" >/dev/null
    log "$STEP: verified $PG_IMAGE: initdb, scram login over TCP, server $PG_MAJOR as postgres, SIGTERM with a client connected stops it in $stopped_in, exit 0 ($(since "$t1"))"
}

nginx_recipe() {
    { declare -f rootfs_install import_standin build_nginx_standin; echo "$SUITE $ROOTFS_RECIPE $NGINX_SERIES"; } \
        | sha256sum | cut -c1-16
}
build_nginx_standin() {
    local root
    new_rootfs_dir
    root="$ROOTFS_DIR"
    make_rootfs "$root"
    rootfs_install "$root" nginx
    local version
    version=$(chroot "$root" nginx -v 2>&1 | sed -n 's|^nginx version: nginx/||p')
    case "$version" in
        "$NGINX_SERIES".*) ;;
        *) die "Debian $SUITE's nginx is '$version', not $NGINX_SERIES.x: the tag $NGINX_IMAGE would be wrong" ;;
    esac
    # As in the official image: the logs go to the container's output (docker logs).
    ln -sf /dev/stdout "$root/var/log/nginx/access.log"
    ln -sf /dev/stderr "$root/var/log/nginx/error.log"
    # SIGQUIT, as in the official image: a graceful stop (worker_shutdown_timeout bounds it for open streams).
    import_standin "$root" "$NGINX_IMAGE" "$(nginx_recipe)" SIGQUIT \
        --change "ENV NGINX_VERSION=$version" \
        --change "EXPOSE 80" \
        --change 'CMD ["nginx", "-g", "daemon off;"]'
    rm -rf "$WORK_DIR"
    verify_nginx_standin
}
# The default configuration serves its page on port 80; SIGQUIT (docker stop) ends it gracefully.
verify_nginx_standin() {
    local t1 out i
    t1=$(date +%s.%N)
    check_container "$NGINX_IMAGE" || reject_standin "$NGINX_IMAGE" "the stand-in does not start"
    for i in $(seq 1 30); do
        # shellcheck disable=SC2016 # expanded in the container (bash's /dev/tcp: the image has no HTTP client)
        out=$(docker exec "$CHECK_CONTAINER" bash -c 'exec 3<>/dev/tcp/127.0.0.1/80 && printf "GET / HTTP/1.0\r\n\r\n" >&3 && head -n1 <&3' 2>/dev/null) \
            && [[ "$out" == *" 200 "* ]] && break
        [ "$i" -lt 30 ] || { docker logs "$CHECK_CONTAINER" 2>&1 | tail -n 20 >&2
                             reject_standin "$NGINX_IMAGE" "nginx did not answer GET / with 200 within 30 s (got '${out%$'\r'}')"; }
        sleep 1
    done
    stops_cleanly "$CHECK_CONTAINER" 5 || reject_standin "$NGINX_IMAGE" "docker stop did not end nginx cleanly within 5 s ($STOP_REPORT)"
    docker rm -f "$CHECK_CONTAINER" >/dev/null
    log "$STEP: verified $NGINX_IMAGE: nginx $(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$NGINX_IMAGE" | sed -n 's/^NGINX_VERSION=//p'), GET / 200, $STOP_REPORT ($(since "$t1"))"
}

# "ok": pulled (not ours to change) or our stand-in of this recipe; "stale": our stand-in of another
# recipe; "missing".
standin_state() {
    local labels
    labels=$(docker image inspect -f '{{index .Config.Labels "org.tinytask.standin"}} {{index .Config.Labels "org.tinytask.recipe"}}' "$1" 2>/dev/null) \
        || { echo missing; return; }
    case "$labels" in
        "<no value> "*|" "*) echo ok ;;
        *" $2") echo ok ;;
        *) echo stale ;;
    esac
}
# Step $1 ("[5/6] postgres"): image $2 of recipe $3, built by function $4 when it cannot be pulled.
provide_standin() {
    local state kind
    STEP="$1"
    t=$(date +%s.%N)
    [ "$(standin_state "$2" "$3")" = ok ] || take_lock
    state=$(standin_state "$2" "$3")
    case "$state" in
        ok)
            kind=$(docker image inspect -f '{{index .Config.Labels "org.tinytask.standin"}}' "$2")
            case "$kind" in ""|"<no value>") kind="pulled" ;; *) kind="local stand-in, $kind" ;; esac
            log "$STEP: $2 present ($kind)" ;;
        stale)
            log "$STEP: stand-in $2 was built by another recipe, rebuilding"
            local old
            old=$(docker image inspect -f '{{.Id}}' "$2")
            "$4"
            # The replaced stand-in, now untagged (kept when a container still uses it).
            docker rmi "$old" >/dev/null 2>&1 || true ;;
        *)
            try_pull "$2" || "$4" ;;
    esac
}
if [ "${TINYTASK_SKIP_SCALE_IMAGES:-0}" = 1 ]; then
    log "[5/6] postgres, [6/6] nginx: skipped (TINYTASK_SKIP_SCALE_IMAGES=1)"
else
    provide_standin "[5/6] postgres" "$PG_IMAGE" "$(pg_recipe)" build_pg_standin
    provide_standin "[6/6] nginx" "$NGINX_IMAGE" "$(nginx_recipe)" build_nginx_standin
fi

log "done in $(since "$T0"): docker=$(command -v docker) ($(docker version -f '{{.Client.Version}}' 2>/dev/null)), engine $(docker version -f '{{.Server.Version}}' 2>/dev/null), $(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /'), images $IMAGE$([ "${TINYTASK_SKIP_SCALE_IMAGES:-0}" = 1 ] || echo " $PG_IMAGE $NGINX_IMAGE")"
