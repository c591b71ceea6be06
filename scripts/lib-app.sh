#!/usr/bin/env bash
# Helpers shared by dev-up, test and CI: tool checks, the pinned Node.js, npm install, Prisma client.
source "$(dirname "${BASH_SOURCE[0]}")/services/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/node-runtime.sh"

# Says exactly what is missing, all at once, instead of failing on the first.
check_tools() {
  local missing=()
  # Node.js itself is fetched when missing or too old (node-runtime.sh); that needs npm.
  [ -f "$NODE_HOME/.complete" ] || command -v npm >/dev/null || missing+=("npm (to fetch Node.js $NODE_VERSION once)")
  command -v java >/dev/null || missing+=("java (Java 17+, for Kafka)")
  [ -f "$CACHE_DIR/kafka-$KAFKA_VERSION/.complete" ] || command -v mvn >/dev/null || missing+=("mvn (Maven, to fetch Kafka's jars once)")
  { [ -x "$BIN_DIR/opa-$OPA_VERSION" ] && [ -x "$BIN_DIR/openfga-$OPENFGA_VERSION" ] \
    && [ -x "$BIN_DIR/promtool-$PROMETHEUS_VERSION" ]; } || command -v go >/dev/null \
    || missing+=("go (Go >= 1.26, to build OPA, OpenFGA and Prometheus once)")
  command -v apt-get >/dev/null || command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 \
    || missing+=("PostgreSQL server (or apt-get to install it)")
  command -v apt-get >/dev/null || command -v redis-server >/dev/null || missing+=("redis-server (or apt-get to install it)")
  if [ ${#missing[@]} -gt 0 ]; then
    printf '%s✘ missing tools:%s\n' "$C_ERR" "$C_RST" >&2
    printf '   - %s\n' "${missing[@]}" >&2
    exit 1
  fi
  command -v curl >/dev/null && command -v ss >/dev/null || apt_ensure curl iproute2
  ensure_node
}

# npm ci when node_modules is missing, older than the lockfile, or installed by another Node major
# (native addons and engine checks follow the Node that installed them).
ensure_node_modules() {
  local stamp="$ROOT/node_modules/.soma-node-major" major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ] \
    || [ "$(cat "$stamp" 2>/dev/null)" != "$major" ]; then
    log "installing npm dependencies"
    # onnxruntime-node's install script would fetch CUDA providers from outside the registry.
    (cd "$ROOT" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error) >"$LOG_DIR/npm-install.log" 2>&1 \
      || { tail -n 20 "$LOG_DIR/npm-install.log" >&2; die "npm ci failed (see $LOG_DIR/npm-install.log)"; }
    echo "$major" >"$stamp"
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
  export SOMA_OPA_BINARY="${SOMA_OPA_BINARY-$BIN_DIR/opa-$OPA_VERSION}"
}

export CHECKPOINT_DISABLE=1 # Prisma's update check would wait on the network
export NEXT_TELEMETRY_DISABLED=1
