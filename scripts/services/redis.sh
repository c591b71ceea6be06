#!/usr/bin/env bash
# Redis from Debian's packages, append-only persistence in .services/data/redis. Usage: redis.sh install|start|stop|health
source "$(dirname "$0")/lib.sh"

install() { apt_ensure redis-server redis-tools; }

health() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

start() {
  if running_pid redis >/dev/null && health; then ok "redis already running on :$REDIS_PORT"; return 0; fi
  reserve_port redis "$REDIS_PORT" SOMA_REDIS_PORT
  mkdir -p "$DATA_DIR/redis"
  spawn redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$DATA_DIR/redis" \
    --appendonly yes --save "" --daemonize no --protected-mode yes --maxmemory-policy noeviction
  wait_for redis 30 health
  ok "redis ready on :$REDIS_PORT"
}

stop() { stop_service redis; }

"${1:?usage: redis.sh install|start|stop|health}"
