#!/usr/bin/env bash
# Shared helpers for the native (no Docker) service scripts: paths, ports, pid files, health waits.
# Everything a run leaves lives under .services/ (git-ignored); downloads and builds are cached
# under ~/.cache/somaagent so a second start takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES_DIR="${SOMA_SERVICES_DIR:-$ROOT/.services}"
CACHE_DIR="${SOMA_CACHE_DIR:-$HOME/.cache/somaagent}"
BIN_DIR="$CACHE_DIR/bin"
RUN_DIR="$SERVICES_DIR/run"
LOG_DIR="$SERVICES_DIR/logs"
DATA_DIR="$SERVICES_DIR/data"
mkdir -p "$RUN_DIR" "$LOG_DIR" "$DATA_DIR" "$BIN_DIR"

# Pinned versions of what we build or fetch ourselves.
KAFKA_VERSION="4.1.1"
OPENFGA_VERSION="v1.22.1"
OPA_VERSION="v1.22.3"
PROMETHEUS_VERSION="v0.316.0" # the Go module of Prometheus 3.16.0 (prometheus, promtool)
PROMETHEUS_RELEASE="3.16.0"
JAEGER_VERSION="v1.75.0" # the Go module of Jaeger; its cmd/jaeger is the v2 all-in-one (OTLP in, query UI)
JMX_EXPORTER_VERSION="1.0.1" # io.prometheus.jmx:jmx_prometheus_javaagent, on the Kafka broker
# SeaweedFS (Apache-2.0): the S3-compatible object store for backups in development and tests. The
# module proxy serves this one pseudo-version (it has no tagged Go module releases).
SEAWEEDFS_VERSION="v0.0.0-20261109003541-7506e5f91cd6"

# Host ports. Backing services sit off their usual ports so a system-wide install never collides.
POSTGRES_PORT="${SOMA_POSTGRES_PORT:-15432}"
REDIS_PORT="${SOMA_REDIS_PORT:-16379}"
KAFKA_PORT="${SOMA_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${SOMA_KAFKA_CONTROLLER_PORT:-19093}"
OPENFGA_HTTP_PORT="${SOMA_OPENFGA_HTTP_PORT:-18080}"
OPENFGA_GRPC_PORT="${SOMA_OPENFGA_GRPC_PORT:-18081}"
OPENFGA_METRICS_PORT="${SOMA_OPENFGA_METRICS_PORT:-18082}"
OPA_PORT="${SOMA_OPA_PORT:-18181}"
KAFKA_METRICS_PORT="${SOMA_KAFKA_METRICS_PORT:-19094}" # the broker's JMX exporter (/metrics)
PROMETHEUS_PORT="${SOMA_PROMETHEUS_PORT:-19090}"       # SOMA_MONITORING=1 make dev-up
JAEGER_OTLP_HTTP_PORT="${SOMA_JAEGER_OTLP_HTTP_PORT:-14318}" # SOMA_TRACING=1 make dev-up; make test
JAEGER_QUERY_PORT="${SOMA_JAEGER_QUERY_PORT:-16686}"         # its UI and /api/traces
JAEGER_QUERY_GRPC_PORT="${SOMA_JAEGER_QUERY_GRPC_PORT:-16685}" # its gRPC query API (unused here, but it listens)
SEAWEEDFS_S3_PORT="${SOMA_SEAWEEDFS_S3_PORT:-18333}"   # S3 API of SeaweedFS (backups' object store)
SEAWEEDFS_PORT="${SOMA_SEAWEEDFS_PORT:-18930}"         # its master; volume +1, filer +2; their gRPC +10 each
EXECUTOR_HEALTH_PORT="${SOMA_EXECUTOR_HEALTH_PORT:-3001}"
SCHEDULER_METRICS_PORT="${SOMA_SCHEDULER_METRICS_PORT:-3002}"
OFFLINE_PORT="${SOMA_OFFLINE_PORT:-18090}" # the offline demo model, when dev-up starts it
GATEWAY_PORT="${PORT:-3000}"

POSTGRES_USER="soma"
POSTGRES_PASSWORD="soma"
POSTGRES_DB="somaagent"

if [ -t 1 ]; then C_OK=$'\e[32m'; C_ERR=$'\e[31m'; C_DIM=$'\e[2m'; C_RST=$'\e[0m'; else C_OK=""; C_ERR=""; C_DIM=""; C_RST=""; fi
log() { printf '%s[%s]%s %s\n' "$C_DIM" "$(date +%H:%M:%S)" "$C_RST" "$*"; }
ok() { printf '%s✔%s %s\n' "$C_OK" "$C_RST" "$*"; }
warn() { printf '%s! %s%s\n' "$C_ERR" "$*" "$C_RST" >&2; }
die() { printf '%s✘ %s%s\n' "$C_ERR" "$*" "$C_RST" >&2; exit 1; }

is_root() { [ "$(id -u)" = "0" ]; }

# apt-get install, once per machine, only for what is missing.
apt_ensure() {
  local missing=()
  local pkg
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
  local sudo=""; is_root || sudo="sudo"
  log "installing Debian packages: ${missing[*]}"
  if [ ! -f "$CACHE_DIR/.apt-updated" ]; then
    $sudo apt-get update -qq >"$LOG_DIR/apt.log" 2>&1 || die "apt-get update failed (see $LOG_DIR/apt.log)"
    touch "$CACHE_DIR/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >>"$LOG_DIR/apt.log" 2>&1 \
    || die "apt-get install ${missing[*]} failed (see $LOG_DIR/apt.log)"
}

pid_file() { echo "$RUN_DIR/$1.pid"; }

# The recorded pid of a service if that process still runs.
running_pid() {
  local f; f="$(pid_file "$1")"
  [ -f "$f" ] || return 1
  local pid; pid="$(cat "$f")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
  rm -f "$f"; return 1
}

# Who listens on a TCP port: "pid/command", empty when the port is free.
port_owner() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*' | head -1 | sed -E 's/users:\(\("([^"]*)",pid=([0-9]+).*/\2\/\1/'
}
port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# Refuse to start when a port is taken by a process that is not this service's.
reserve_port() {
  local service="$1" port="$2" var="$3"
  if port_busy "$port"; then
    local owner; owner="$(port_owner "$port")"
    die "port $port (for $service) is already in use by ${owner:-an unknown process}; stop it or set $var to a free port"
  fi
}

# Start a long-running process in the background, detached, with its own log and pid file.
spawn() {
  local name="$1"; shift
  local logf="$LOG_DIR/$name.log"
  : >>"$logf"
  setsid nohup "$@" >>"$logf" 2>&1 < /dev/null &
  echo $! >"$(pid_file "$name")"
}

stop_service() {
  local name="$1" pid
  pid="$(running_pid "$name")" || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$(pid_file "$name")"
  log "stopped $name (pid $pid)"
}

# wait_for <name> <seconds> <command...>: poll a health command until it passes.
wait_for() {
  local name="$1" secs="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "--- last lines of $LOG_DIR/$name.log ---" >&2
      tail -n 30 "$LOG_DIR/$name.log" >&2 2>/dev/null || true
      die "$name did not become healthy within ${secs}s"
    fi
    if [ -f "$(pid_file "$name")" ] && ! running_pid "$name" >/dev/null; then
      echo "--- last lines of $LOG_DIR/$name.log ---" >&2
      tail -n 30 "$LOG_DIR/$name.log" >&2 2>/dev/null || true
      die "$name exited during start-up"
    fi
    sleep 0.5
  done
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

DATABASE_URL_DEFAULT="postgresql://$POSTGRES_USER:$POSTGRES_PASSWORD@127.0.0.1:$POSTGRES_PORT/$POSTGRES_DB"

# A Python venv in the tool cache holding one PyPI package at a pinned version, made once:
# pip_venv VENV_DIR PACKAGE==VERSION LOG_NAME. The caller skips it when pip_venv_done has marked the
# venv, and marks it only after checking the package works, so an interrupted install is redone.
pip_venv() {
  local venv="$1" spec="$2" logf="$LOG_DIR/$3-install.log"
  local python; python="$(command -v python3 || true)"
  [ -n "$python" ] || { apt_ensure python3; python="/usr/bin/python3"; }
  rm -rf "$venv"
  if ! "$python" -m venv "$venv" >"$logf" 2>&1; then
    apt_ensure python3-venv
    /usr/bin/python3 -m venv "$venv" >>"$logf" 2>&1 || die "creating the venv $venv failed (see $logf)"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$spec" >>"$logf" 2>&1 \
    || die "pip install $spec failed (see $logf)"
}

# Marks a venv made by pip_venv as complete (after the caller's check passed).
pip_venv_done() { touch "$1/.complete-${2##*==}"; }
