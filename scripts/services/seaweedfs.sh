#!/usr/bin/env bash
# SeaweedFS (Apache-2.0), built from the Go module proxy: the S3-compatible object store that backups
# go to in development and tests (make backup TO=s3://…; MinIO is AGPL and not used). One
# `weed server -s3` (master, volume, filer, S3 gateway) on loopback. Its data is in
# .services/seaweedfs/data, outside what make dev-clean deletes: backups must outlive the data they
# back up (the restore drill wipes with dev-clean and restores from here).
# Usage: seaweedfs.sh install|start|stop|health|env
#   start: also writes the S3 identity (a random access key and secret, made once) to
#   .services/seaweedfs/credentials.env (mode 0600) and the server's s3.json; neither is printed.
#   env: the variables that point make backup at it (the keys as a path to that file, not values).
source "$(dirname "$0")/lib.sh"
WEED_BIN="$BIN_DIR/weed-$SEAWEEDFS_VERSION"
WEED_CONF="$SERVICES_DIR/seaweedfs"
WEED_DATA="$WEED_CONF/data"
WEED_CREDENTIALS="$WEED_CONF/credentials.env"
WEED_MODULE="github.com/seaweedfs/seaweedfs"

install() {
  [ -x "$WEED_BIN" ] && return 0
  command -v go >/dev/null || die "go is required to build SeaweedFS (install Go ≥ 1.26)"
  log "building SeaweedFS $SEAWEEDFS_VERSION (weed) from the Go module proxy (once, several minutes)"
  # `go install …/weed@version` refuses a module whose go.mod has replace directives (SeaweedFS's
  # does), so the module is fetched and built as the main module, where they apply.
  local tmp dir; tmp="$(mktemp -d)"
  {
    dir="$(cd /tmp && go mod download -json "$WEED_MODULE@$SEAWEEDFS_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')" \
      && [ -n "$dir" ] \
      && (cd "$dir" && GOFLAGS=-buildvcs=false go build -o "$tmp/weed" ./weed)
  } >"$LOG_DIR/seaweedfs-install.log" 2>&1 || { rm -rf "$tmp"; die "building SeaweedFS failed (see $LOG_DIR/seaweedfs-install.log)"; }
  mv "$tmp/weed" "$WEED_BIN"; rmdir "$tmp"
}

health() { http_ok "http://127.0.0.1:$SEAWEEDFS_S3_PORT/healthz"; }

# The S3 identity: made once, kept across restarts (backups already written stay readable).
write_config() {
  mkdir -p "$WEED_CONF" "$WEED_DATA"
  chmod 700 "$WEED_CONF"
  if [ ! -s "$WEED_CREDENTIALS" ]; then
    local access secret
    access="soma$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    secret="$(head -c 30 /dev/urandom | base64 | tr -d '/+=\n')"
    (umask 077; printf 'SOMA_BACKUP_S3_ACCESS_KEY_ID=%s\nSOMA_BACKUP_S3_SECRET_ACCESS_KEY=%s\n' "$access" "$secret" >"$WEED_CREDENTIALS")
  fi
  local access secret
  access="$(sed -n 's/^SOMA_BACKUP_S3_ACCESS_KEY_ID=//p' "$WEED_CREDENTIALS")"
  secret="$(sed -n 's/^SOMA_BACKUP_S3_SECRET_ACCESS_KEY=//p' "$WEED_CREDENTIALS")"
  (umask 077; cat >"$WEED_CONF/s3.json" <<JSON
{
  "identities": [
    {
      "name": "somaagent",
      "credentials": [{ "accessKey": "$access", "secretKey": "$secret" }],
      "actions": ["Admin", "Read", "List", "Tagging", "Write"]
    }
  ]
}
JSON
  )
}

start() {
  install
  write_config
  if running_pid seaweedfs >/dev/null && health; then ok "seaweedfs already running (S3 on :$SEAWEEDFS_S3_PORT)"; return 0; fi
  local p="$SEAWEEDFS_PORT"
  for port in "$SEAWEEDFS_S3_PORT" "$p" $((p + 1)) $((p + 2)) $((p + 10)) $((p + 11)) $((p + 12)) $((p + 13)); do
    reserve_port seaweedfs "$port" "SOMA_SEAWEEDFS_PORT / SOMA_SEAWEEDFS_S3_PORT"
  done
  # Telemetry off (no calls home), and none of the extra gateways (Iceberg, Lance, WebDAV, SFTP).
  spawn seaweedfs "$WEED_BIN" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$WEED_DATA" \
    -master.port="$p" -master.port.grpc=$((p + 10)) -master.telemetry=false -master.volumeSizeLimitMB=64 \
    -volume.port=$((p + 1)) -volume.port.grpc=$((p + 11)) -volume.max=0 -volume.preStopSeconds=0 \
    -filer -filer.port=$((p + 2)) -filer.port.grpc=$((p + 12)) \
    -s3 -s3.port="$SEAWEEDFS_S3_PORT" -s3.port.grpc=$((p + 13)) -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.config="$WEED_CONF/s3.json"
  wait_for seaweedfs 90 health
  ok "seaweedfs ready: S3 on http://127.0.0.1:$SEAWEEDFS_S3_PORT (keys in $WEED_CREDENTIALS)"
}

stop() { stop_service seaweedfs; }

# For `eval "$(scripts/services/seaweedfs.sh env)"`: where the store is; the keys stay in their file.
env_vars() {
  echo "export SOMA_BACKUP_S3_ENDPOINT=http://127.0.0.1:$SEAWEEDFS_S3_PORT SOMA_BACKUP_S3_FORCE_PATH_STYLE=true"
  echo "set -a; . '$WEED_CREDENTIALS'; set +a"
}

cmd="${1:?usage: seaweedfs.sh install|start|stop|health|env}"
case "$cmd" in
  env) env_vars ;;
  install | start | stop | health) "$cmd" ;;
  *) die "unknown command $cmd (install|start|stop|health|env)" ;;
esac
