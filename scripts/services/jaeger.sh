#!/usr/bin/env bash
# Jaeger v2 all-in-one (an OpenTelemetry Collector build with Jaeger's storage and query UI), built
# from the Go module proxy (module github.com/jaegertracing/jaeger, program cmd/jaeger), cached in $BIN_DIR.
# Usage: jaeger.sh install|start|stop|health
#   start: OTLP/HTTP in on 127.0.0.1:$JAEGER_OTLP_HTTP_PORT, UI and /api/traces on
#   127.0.0.1:$JAEGER_QUERY_PORT, spans kept in memory (deploy/jaeger/config.yaml).
#   SOMA_TRACING=1 make dev-up starts it; make test starts it for tests/int/tracing.int.test.ts.
source "$(dirname "$0")/lib.sh"
JAEGER_BIN="$BIN_DIR/jaeger-$JAEGER_VERSION"

install() {
  [ -x "$JAEGER_BIN" ] && return 0
  command -v go >/dev/null || die "go is required to build Jaeger (install Go ≥ 1.24)"
  log "building Jaeger $JAEGER_VERSION from the Go module proxy (once, several minutes)"
  local tmp; tmp="$(mktemp -d)"
  # `go install module@version` refuses Jaeger: its go.mod carries a replace directive (sarama). So the
  # module is fetched into the module cache and built in place, with its own go.mod and go.sum.
  (
    set -e
    cd /tmp
    dir="$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_VERSION" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')"
    [ -n "$dir" ] && [ -d "$dir" ]
    cd "$dir"
    GOFLAGS=-buildvcs=false go build -trimpath -o "$tmp/jaeger" \
      -ldflags "-X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_VERSION" ./cmd/jaeger
  ) >"$LOG_DIR/jaeger-install.log" 2>&1 || die "building jaeger failed (see $LOG_DIR/jaeger-install.log)"
  mv "$tmp/jaeger" "$JAEGER_BIN"; rmdir "$tmp"
}

health() { http_ok "http://127.0.0.1:$JAEGER_QUERY_PORT/api/services"; }

start() {
  install
  if running_pid jaeger >/dev/null && health; then ok "jaeger already running on :$JAEGER_QUERY_PORT"; return 0; fi
  reserve_port jaeger "$JAEGER_OTLP_HTTP_PORT" SOMA_JAEGER_OTLP_HTTP_PORT
  reserve_port jaeger "$JAEGER_QUERY_PORT" SOMA_JAEGER_QUERY_PORT
  reserve_port jaeger "$JAEGER_QUERY_GRPC_PORT" SOMA_JAEGER_QUERY_GRPC_PORT
  JAEGER_OTLP_HTTP_ENDPOINT="127.0.0.1:$JAEGER_OTLP_HTTP_PORT" JAEGER_QUERY_ENDPOINT="127.0.0.1:$JAEGER_QUERY_PORT" \
    JAEGER_QUERY_GRPC_ENDPOINT="127.0.0.1:$JAEGER_QUERY_GRPC_PORT" spawn jaeger "$JAEGER_BIN" --config "$ROOT/deploy/jaeger/config.yaml"
  wait_for jaeger 60 health
  ok "jaeger ready: UI http://127.0.0.1:$JAEGER_QUERY_PORT, OTLP/HTTP http://127.0.0.1:$JAEGER_OTLP_HTTP_PORT"
}

stop() { stop_service jaeger; }

"${1:?usage: jaeger.sh install|start|stop|health}"
