#!/usr/bin/env bash
# Open Policy Agent, built from the Go module proxy. Usage: opa.sh install|start|stop|health
# OPA loads the policies in conf/opa itself at start (tests excluded), so a restarted OPA serves them
# with no migration run; the migration job's push (`npm run migrate`) updates the same modules in
# place. Healthy means OPA's own readiness (conf/opa/system/health.rego): the policies answer.
source "$(dirname "$0")/lib.sh"
OPA_BIN="$BIN_DIR/opa-$OPA_VERSION"

install() {
  [ -x "$OPA_BIN" ] && return 0
  command -v go >/dev/null || die "go is required to build OPA (install Go ≥ 1.24)"
  log "building OPA $OPA_VERSION from the Go module proxy (once, a few minutes)"
  local tmp; tmp="$(mktemp -d)"
  (cd /tmp && GOBIN="$tmp" GOFLAGS=-buildvcs=false go install "github.com/open-policy-agent/opa@$OPA_VERSION") >"$LOG_DIR/opa-install.log" 2>&1 \
    || die "go install opa failed (see $LOG_DIR/opa-install.log)"
  mv "$tmp/opa" "$OPA_BIN"; rmdir "$tmp"
}

health() { http_ok "http://127.0.0.1:$OPA_PORT/health/ready"; }

start() {
  install
  if running_pid opa >/dev/null; then
    if health; then ok "opa already running on :$OPA_PORT"; return 0; fi
    # Ours but without the policies (started empty by an older version of this script): restart it.
    log "opa runs without SomaAgent's policies; restarting it to load conf/opa"
    stop_service opa
  fi
  reserve_port opa "$OPA_PORT" SOMA_OPA_PORT
  spawn opa "$OPA_BIN" run --server --addr "127.0.0.1:$OPA_PORT" --log-level info --log-format json \
    --disable-telemetry --ignore='*_test.rego' "$ROOT/conf/opa"
  wait_for opa 30 health
  ok "opa ready on :$OPA_PORT"
}

stop() { stop_service opa; }

"${1:?usage: opa.sh install|start|stop|health}"
