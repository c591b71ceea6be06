#!/usr/bin/env bash
# make dev-down: stop everything dev-up started (by recorded pid); data is kept.
# The supervisor first (it stops its programs and does not restart them); then each program by its
# pid file, which is a no-op unless the supervisor was gone or had to be killed (no orphans either way).
source "$(dirname "$0")/services/lib.sh"
for app in supervisor scheduler tool-executor gateway offline-provider; do stop_service "$app"; done
"$ROOT/scripts/services/down.sh"
ok "stack stopped (data kept in $DATA_DIR; make dev-clean wipes it)"
