#!/usr/bin/env bash
# OpenFGA, built from the Go module proxy, storing tuples in the same PostgreSQL (database 'openfga').
# Its own schema migration (`openfga migrate`) runs once per boot, before it serves, as in the
# runtime document's openfga-migrate job. Usage: openfga.sh install|migrate|start|stop|health
source "$(dirname "$0")/lib.sh"
OPENFGA_BIN="$BIN_DIR/openfga-$OPENFGA_VERSION"
OPENFGA_DATASTORE_URI="${OPENFGA_DATASTORE_URI:-postgres://$POSTGRES_USER:$POSTGRES_PASSWORD@127.0.0.1:$POSTGRES_PORT/openfga?sslmode=disable}"

install() {
  [ -x "$OPENFGA_BIN" ] && return 0
  command -v go >/dev/null || die "go is required to build OpenFGA (install Go ≥ 1.24)"
  log "building OpenFGA $OPENFGA_VERSION from the Go module proxy (once, a few minutes)"
  local tmp; tmp="$(mktemp -d)"
  (cd /tmp && GOBIN="$tmp" GOFLAGS=-buildvcs=false go install "github.com/openfga/openfga/cmd/openfga@$OPENFGA_VERSION") >"$LOG_DIR/openfga-install.log" 2>&1 \
    || die "go install openfga failed (see $LOG_DIR/openfga-install.log)"
  mv "$tmp/openfga" "$OPENFGA_BIN"; rmdir "$tmp"
}

migrate() {
  install
  log "openfga-migrate: applying OpenFGA datastore migrations"
  "$OPENFGA_BIN" migrate --datastore-engine postgres --datastore-uri "$OPENFGA_DATASTORE_URI" >"$LOG_DIR/openfga-migrate.log" 2>&1 \
    || { tail -n 20 "$LOG_DIR/openfga-migrate.log" >&2; die "openfga migrate failed"; }
}

health() { http_ok "http://127.0.0.1:$OPENFGA_HTTP_PORT/healthz"; }

start() {
  install
  if running_pid openfga >/dev/null && health; then ok "openfga already running on :$OPENFGA_HTTP_PORT"; return 0; fi
  reserve_port openfga "$OPENFGA_HTTP_PORT" SOMA_OPENFGA_HTTP_PORT
  reserve_port openfga-grpc "$OPENFGA_GRPC_PORT" SOMA_OPENFGA_GRPC_PORT
  migrate
  spawn openfga "$OPENFGA_BIN" run --datastore-engine postgres --datastore-uri "$OPENFGA_DATASTORE_URI" \
    --http-addr "127.0.0.1:$OPENFGA_HTTP_PORT" --grpc-addr "127.0.0.1:$OPENFGA_GRPC_PORT" \
    --metrics-addr "127.0.0.1:$OPENFGA_METRICS_PORT" --playground-enabled=false --log-format json --log-level warn
  wait_for openfga 60 health
  ok "openfga ready on :$OPENFGA_HTTP_PORT"
}

stop() { stop_service openfga; }

"${1:?usage: openfga.sh install|migrate|start|stop|health}"
