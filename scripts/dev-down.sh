#!/usr/bin/env bash
# make dev-down: stop everything dev-up started (by recorded pid); data is kept.
source "$(dirname "$0")/services/lib.sh"
for app in scheduler tool-executor gateway offline-provider; do stop_service "$app"; done
"$ROOT/scripts/services/down.sh"
ok "stack stopped (data kept in $DATA_DIR; make dev-clean wipes it)"
