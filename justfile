# TinyTask tasks. `just` lists them. Works with Compose v2 (`docker compose`) or v1 (`docker-compose`).
set dotenv-load
set shell := ["bash", "-euo", "pipefail", "-c"]

compose := `if docker compose version >/dev/null 2>&1; then echo "docker compose"; else echo "docker-compose"; fi`
dev_compose := compose + " -f docker-compose.dev.yml"
# Its own project name, so that it never mixes with docker-compose.yml's containers (orphans, `down`).
scale_compose := compose + " -p tinytask-scale -f docker-compose.scale.yml"
port := env_var_or_default("TINYTASK_PORT", "3000")
dev_port := env_var_or_default("TINYTASK_DEV_PORT", "3000")
# The package version (Cargo.toml's first `version = "…"` line is [package]'s): the default tag of `publish`.
version := `sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1`

# List the recipes
default:
    @just --list

# Build the production image (tinytask-mcp:latest)
build:
    docker build -t tinytask-mcp:latest .

# Build the image and push it to a registry: just publish registry.example.com/team [tag] (docker login first)
publish REGISTRY TAG=version: build
    docker tag tinytask-mcp:latest "{{REGISTRY}}/tinytask-mcp:{{TAG}}"
    docker push "{{REGISTRY}}/tinytask-mcp:{{TAG}}"

# Build and start production, wait until healthy, print the URLs
prod:
    #!/usr/bin/env bash
    set -euo pipefail
    # The container runs as the invoking user (root → the image's 65532) and must be able to write ./data.
    if [ "$(id -u)" = 0 ]; then uid=65532; gid=65532; else uid="$(id -u)"; gid="$(id -g)"; fi
    mkdir -p data
    if [ "$(id -u)" = 0 ]; then chown "$uid:$gid" data; fi
    export TINYTASK_UID="${TINYTASK_UID:-$uid}" TINYTASK_GID="${TINYTASK_GID:-$gid}"
    {{compose}} up -d --build
    cid="$({{compose}} ps -q tinytask)"
    for _ in $(seq 1 60); do
        status="$(docker inspect -f '{{{{.State.Health.Status}}' "$cid")"
        [ "$status" = healthy ] && break
        sleep 1
    done
    if [ "$status" != healthy ]; then echo "TinyTask is $status; see: just logs" >&2; exit 1; fi
    echo "TinyTask is healthy"
    echo "  MCP (Streamable HTTP): http://127.0.0.1:{{port}}/mcp"
    echo "  MCP (legacy SSE):      http://127.0.0.1:{{port}}/sse"
    echo "  Health:                http://127.0.0.1:{{port}}/health"

# Start PostgreSQL, three replicas and the nginx balancer (docker-compose.scale.yml), wait until healthy, print the URL
scale-up:
    #!/usr/bin/env bash
    set -euo pipefail
    # The replicas run the production image; build it only when it is missing (`just build` rebuilds it).
    docker image inspect tinytask-mcp:latest >/dev/null 2>&1 || "{{just_executable()}}" build
    for image in postgres:17 nginx:1.26; do
        docker image inspect "$image" >/dev/null 2>&1 \
            || { echo "image $image is missing: docker pull $image, or (no registry) sudo scripts/docker-setup.sh" >&2; exit 1; }
    done
    {{scale_compose}} up -d
    services="postgres tinytask-1 tinytask-2 tinytask-3 balancer"
    for _ in $(seq 1 90); do
        waiting=""
        for service in $services; do
            cid="$({{scale_compose}} ps -q "$service")"
            status="$(docker inspect -f '{{{{if .State.Health}}{{{{.State.Health.Status}}{{{{else}}{{{{.State.Status}}{{{{end}}' "$cid" 2>/dev/null || echo missing)"
            [ "$status" = healthy ] || waiting+=" $service=$status"
        done
        [ -z "$waiting" ] && break
        sleep 1
    done
    if [ -n "$waiting" ]; then echo "not healthy after 90 s:$waiting; see: {{scale_compose}} logs" >&2; exit 1; fi
    # nginx resolves the replicas' names only when it starts or reloads: after `up` re-created a replica (a
    # new image, a changed setting) its address may have changed.
    {{scale_compose}} exec -T balancer nginx -s reload
    echo "PostgreSQL, 3 replicas and the balancer are healthy"
    echo "  MCP (Streamable HTTP): http://127.0.0.1:{{port}}/mcp"
    echo "  MCP (legacy SSE):      http://127.0.0.1:{{port}}/sse"
    echo "  Health:                http://127.0.0.1:{{port}}/health"

# Stop the scaled deployment; the database volume is kept (delete it for good: docker volume rm tinytask-scale_pgdata)
scale-down:
    {{scale_compose}} down
    @echo "database kept in volume tinytask-scale_pgdata (docker volume rm tinytask-scale_pgdata deletes it)"

# Stop the production and dev containers (data is kept)
down:
    {{compose}} down
    {{dev_compose}} down

# Follow the production logs
logs:
    {{compose}} logs -f tinytask

# Start the hot-reload dev container (rebuilds and restarts on every change under src/)
dev:
    {{dev_compose}} up --build -d
    @echo "dev server: http://127.0.0.1:{{dev_port}}/mcp (logs: {{dev_compose}} logs -f)"

# Attach gdbserver on port 2345 to the running dev server; then: gdb -ex 'target remote 127.0.0.1:2345'
debug:
    {{dev_compose}} exec -T tinytask-dev bash -c 'exec gdbserver --attach 0.0.0.0:2345 "$(pgrep -n -x tinytask)"'

# Run the whole test suite (what CI runs)
test:
    ./scripts/test.sh

# Load benchmark of the release build (report in markdown; results: docs/benchmarks.md)
bench:
    cargo bench --bench load

# Write a consistent backup of the running production database to ./data/backup-<UTC time>.db
backup:
    {{compose}} exec -T tinytask /usr/local/bin/tinytask backup "/data/backup-$(date -u +%Y%m%dT%H%M%SZ).db"
    @ls -l data/backup-*.db | tail -1

# diesel CLI: locally when `diesel` is installed, otherwise inside the dev container (src writable for schema.rs)
_diesel +args:
    #!/usr/bin/env bash
    set -euo pipefail
    if command -v diesel >/dev/null 2>&1; then
        DATABASE_URL="${DATABASE_URL:-${TINYTASK_DB_PATH:-./data/tinytask.db}}" diesel {{args}}
    else
        {{dev_compose}} run --rm --no-deps -v "$PWD/src:/app/src" -v "$PWD/migrations:/app/migrations" tinytask-dev diesel {{args}}
    fi

# Apply pending migrations
migrate: (_diesel "migration" "run")

# Revert the latest migration
migrate-revert: (_diesel "migration" "revert")

# Revert and re-apply the latest migration
migrate-redo: (_diesel "migration" "redo")

# List migrations and whether they are applied
migrate-list: (_diesel "migration" "list")

# Create a new migration: just migration-new add_due_dates
migration-new NAME: (_diesel "migration" "generate" NAME)
