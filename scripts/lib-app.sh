#!/usr/bin/env bash
# Helpers shared by dev-up, test and CI: tool checks, npm install, Prisma client generation.
source "$(dirname "${BASH_SOURCE[0]}")/services/lib.sh"

# Says exactly what is missing, all at once, instead of failing on the first.
check_tools() {
  local missing=()
  command -v node >/dev/null || missing+=("node (Node.js >= 20.9)")
  command -v npm >/dev/null || missing+=("npm")
  if command -v node >/dev/null; then
    node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=9)?0:1)' \
      || missing+=("Node.js >= 20.9 (found $(node --version))")
  fi
  command -v java >/dev/null || missing+=("java (Java 17+, for Kafka)")
  [ -f "$CACHE_DIR/kafka-$KAFKA_VERSION/.complete" ] || command -v mvn >/dev/null || missing+=("mvn (Maven, to fetch Kafka's jars once)")
  { [ -x "$BIN_DIR/opa-$OPA_VERSION" ] && [ -x "$BIN_DIR/openfga-$OPENFGA_VERSION" ]; } || command -v go >/dev/null \
    || missing+=("go (Go >= 1.24, to build OPA and OpenFGA once)")
  command -v apt-get >/dev/null || command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 \
    || missing+=("PostgreSQL server (or apt-get to install it)")
  command -v apt-get >/dev/null || command -v redis-server >/dev/null || missing+=("redis-server (or apt-get to install it)")
  if [ ${#missing[@]} -gt 0 ]; then
    printf '%s✘ missing tools:%s\n' "$C_ERR" "$C_RST" >&2
    printf '   - %s\n' "${missing[@]}" >&2
    exit 1
  fi
  command -v curl >/dev/null && command -v ss >/dev/null || apt_ensure curl iproute2
}

# npm ci when node_modules is missing or older than the lockfile.
ensure_node_modules() {
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    log "installing npm dependencies"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) >"$LOG_DIR/npm-install.log" 2>&1 \
      || { tail -n 20 "$LOG_DIR/npm-install.log" >&2; die "npm ci failed (see $LOG_DIR/npm-install.log)"; }
  fi
  if [ ! -f "$ROOT/lib/generated/prisma/client.ts" ] || [ "$ROOT/prisma/schema.prisma" -nt "$ROOT/lib/generated/prisma/client.ts" ]; then
    log "generating the Prisma client"
    (cd "$ROOT" && npx prisma generate) >"$LOG_DIR/prisma-generate.log" 2>&1 \
      || { tail -n 20 "$LOG_DIR/prisma-generate.log" >&2; die "prisma generate failed"; }
  fi
}

# Points the app at the native services unless the caller already chose (exported) other addresses.
service_env() {
  export DATABASE_URL="${DATABASE_URL:-$DATABASE_URL_DEFAULT}"
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT}"
  export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
  export OPENFGA_API_URL="${OPENFGA_API_URL:-http://127.0.0.1:$OPENFGA_HTTP_PORT}"
  export OPA_URL="${OPA_URL:-http://127.0.0.1:$OPA_PORT}"
}

export CHECKPOINT_DISABLE=1 # Prisma's update check would wait on the network
export NEXT_TELEMETRY_DISABLED=1
