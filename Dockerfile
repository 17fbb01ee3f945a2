# TinyTask production image: a statically linked binary in an otherwise empty image (FROM scratch).
# Builds with the classic builder and with BuildKit (no RUN --mount); dependency compilation is cached in
# its own layer, so a change under src/ only recompiles the tinytask crate.

ARG RUST_VERSION=1.95

# ---- builder ---------------------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-slim-trixie AS builder
WORKDIR /build
# Static glibc binary (no libc needed at run time); the explicit --target keeps proc-macros dynamic.
# Multi-platform: this stage runs on the platform being built (natively, or under QEMU emulation in
# `docker buildx build --platform linux/amd64,linux/arm64`, as .github/workflows/release.yml does), so
# `uname -m` names that platform's Rust target (x86_64- or aarch64-unknown-linux-gnu) with either builder; the
# classic builder sets no TARGETARCH, and cross-compiling would need a cross C toolchain for the bundled SQLite.
ENV RUSTFLAGS="-C target-feature=+crt-static" \
    CARGO_TERM_COLOR=never

# 1) Dependencies only: the real manifests with placeholder sources.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir -p src migrations \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked --target "$(uname -m)-unknown-linux-gnu" \
 && rm -rf src "target/$(uname -m)-unknown-linux-gnu/release/.fingerprint/tinytask-"* \
           "target/$(uname -m)-unknown-linux-gnu/release/deps/"*tinytask*

# 2) The application (both backends' migrations and the dashboard's assets are embedded at compile time, so
#    they are part of the context).
COPY migrations migrations
COPY migrations_postgres migrations_postgres
COPY assets assets
COPY src src
RUN cargo build --release --locked --target "$(uname -m)-unknown-linux-gnu" \
 && mkdir -p /out /out/data \
 && cp "target/$(uname -m)-unknown-linux-gnu/release/tinytask" /out/tinytask \
 && /out/tinytask --version

# ---- runtime ---------------------------------------------------------------------------------------------
FROM scratch
# The release workflow passes the tag's version (--build-arg VERSION=3.1.2) and sets these labels itself too; the
# default must stay Cargo.toml's version (the acceptance suite's image-config check compares it with the binary's).
ARG VERSION=3.0.0
LABEL org.opencontainers.image.title="tinytask" \
      org.opencontainers.image.description="TinyTask: a small, fast MCP server giving teams of LLM agents a shared task board" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/tinytask/tinytask-rs" \
      org.opencontainers.image.licenses="MIT"

COPY --from=builder /out/tinytask /usr/local/bin/tinytask
# No shell to mkdir in scratch: copy an empty directory owned by the runtime user.
COPY --from=builder --chown=65532:65532 /out/data /data

ENV TINYTASK_MODE=http \
    TINYTASK_HOST=0.0.0.0 \
    TINYTASK_PORT=3000 \
    TINYTASK_DB_PATH=/data/tinytask.db \
    TINYTASK_LOG_LEVEL=info

USER 65532:65532
VOLUME /data
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/tinytask", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/tinytask"]
CMD ["serve"]
