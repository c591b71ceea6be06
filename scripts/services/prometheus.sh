#!/usr/bin/env bash
# Prometheus and promtool, built from the Go module proxy (module github.com/prometheus/prometheus,
# tag remove_all_sd: file and static discovery only, no cloud SDKs' discovery), cached in $BIN_DIR.
# Usage: prometheus.sh install|start|stop|health|promtool ARGS…
#   start: scrapes the native stack (deploy/prometheus/prometheus.yml; targets written here from
#   the ports in lib.sh) and evaluates deploy/prometheus/alerts.yml, on 127.0.0.1:$PROMETHEUS_PORT.
#   SOMA_MONITORING=1 make dev-up starts it; make test's unit stage runs promtool.
source "$(dirname "$0")/lib.sh"
PROMETHEUS_BIN="$BIN_DIR/prometheus-$PROMETHEUS_VERSION"
PROMTOOL_BIN="$BIN_DIR/promtool-$PROMETHEUS_VERSION"
PROM_CONF="$SERVICES_DIR/prometheus"
PROM_DATA="$DATA_DIR/prometheus"

install() {
  [ -x "$PROMETHEUS_BIN" ] && [ -x "$PROMTOOL_BIN" ] && return 0
  command -v go >/dev/null || die "go is required to build Prometheus (install Go ≥ 1.26)"
  log "building Prometheus $PROMETHEUS_VERSION (prometheus, promtool) from the Go module proxy (once, several minutes)"
  local tmp; tmp="$(mktemp -d)"
  (cd /tmp && GOBIN="$tmp" GOFLAGS=-buildvcs=false go install -tags remove_all_sd \
    -ldflags "-X github.com/prometheus/common/version.Version=$PROMETHEUS_RELEASE" \
    "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_VERSION" \
    "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION") >"$LOG_DIR/prometheus-install.log" 2>&1 \
    || die "go install prometheus failed (see $LOG_DIR/prometheus-install.log)"
  mv "$tmp/promtool" "$PROMTOOL_BIN"
  mv "$tmp/prometheus" "$PROMETHEUS_BIN"
  rmdir "$tmp"
}

promtool() {
  install
  "$PROMTOOL_BIN" "$@"
}

health() { http_ok "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"; }

target() { printf '[{ "targets": ["127.0.0.1:%s"] }]\n' "$2" >"$PROM_CONF/targets/$1.json"; }

# The committed config and rules, with this machine's targets and the gateway's metrics token.
write_config() {
  mkdir -p "$PROM_CONF/targets" "$PROM_DATA"
  cp "$ROOT/deploy/prometheus/prometheus.yml" "$ROOT/deploy/prometheus/alerts.yml" "$PROM_CONF/"
  # Callers on the gateway's host need no token; the file must exist all the same.
  (umask 077; printf '%s' "${SOMA_SERVER_METRICS_TOKEN:-loopback}" >"$PROM_CONF/metrics-token")
  target somaagent-gateway "$GATEWAY_PORT"
  target somaagent-executor "$EXECUTOR_HEALTH_PORT"
  target somaagent-scheduler "$SCHEDULER_METRICS_PORT"
  target openfga "$OPENFGA_METRICS_PORT"
  target opa "$OPA_PORT"
  target kafka "$KAFKA_METRICS_PORT"
  target prometheus "$PROMETHEUS_PORT"
}

start() {
  install
  write_config
  if running_pid prometheus >/dev/null && health; then
    # Targets are re-read by file discovery; the config and rules on a reload.
    curl -fsS -X POST -o /dev/null "http://127.0.0.1:$PROMETHEUS_PORT/-/reload" || warn "prometheus did not reload its config"
    ok "prometheus already running on :$PROMETHEUS_PORT (config reloaded)"
    return 0
  fi
  reserve_port prometheus "$PROMETHEUS_PORT" SOMA_PROMETHEUS_PORT
  spawn prometheus "$PROMETHEUS_BIN" --config.file="$PROM_CONF/prometheus.yml" \
    --storage.tsdb.path="$PROM_DATA" --storage.tsdb.retention.time=7d \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle --log.format=json
  wait_for prometheus 60 health
  ok "prometheus ready on http://127.0.0.1:$PROMETHEUS_PORT (alerts: /alerts, targets: /targets)"
}

stop() { stop_service prometheus; }

cmd="${1:?usage: prometheus.sh install|start|stop|health|promtool ARGS…}"
shift
"$cmd" "$@"
