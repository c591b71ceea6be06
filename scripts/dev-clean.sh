#!/usr/bin/env bash
# make dev-clean: stop the stack and wipe local data only (never the caches of built tools).
source "$(dirname "$0")/services/lib.sh"
targets=("$("$ROOT/scripts/services/postgres.sh" home)" "$DATA_DIR" "$RUN_DIR" "$LOG_DIR" "$SERVICES_DIR/kafka" "$SERVICES_DIR/dev-credentials.json" "$ROOT/tmp")
echo "This deletes local data:"
echo "  $DATA_DIR   (Postgres, Redis, Kafka data)"
echo "  $LOG_DIR, $RUN_DIR, $SERVICES_DIR/kafka, dev credentials"
echo "  $ROOT/tmp   (settings written by the settings API)"
echo "It keeps the tool caches in $CACHE_DIR, node_modules, and backups ($SERVICES_DIR/backups, SeaweedFS's $SERVICES_DIR/seaweedfs)."
if [ "${1:-}" != "--yes" ] && [ "${SOMA_YES:-0}" != "1" ]; then
  if [ -t 0 ]; then
    read -r -p "Delete? [y/N] " answer
    [[ "$answer" =~ ^[yY] ]] || { echo "nothing deleted"; exit 0; }
  else
    die "not a terminal: run 'make dev-clean YES=1' (or scripts/dev-clean.sh --yes) to confirm"
  fi
fi
"$ROOT/scripts/dev-down.sh"
rm -rf "${targets[@]}"
ok "local data deleted"
