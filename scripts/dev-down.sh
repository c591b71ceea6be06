#!/usr/bin/env bash
# make dev-down: stop everything dev-up started (by recorded pid); data is kept.
# The supervisor first (it stops its programs and does not restart them); then each program by its
# pid file, which is a no-op unless the supervisor was gone or had to be killed (no orphans either way).
source "$(dirname "$0")/services/lib.sh"
for app in supervisor scheduler tool-executor gateway offline-provider; do stop_service "$app"; done
# Session workspaces are loop mounts; a clean executor stop unmounts its own, but one that was killed
# (or a test's) leaves them, and they would keep `make dev-clean` or a checkout's removal from
# deleting the images. Nothing uses them once the executors are stopped.
# (Only this checkout's root: /var/tmp/somaagent, the fallback root, may serve another checkout.)
awk -v root="$ROOT/.services/workspaces/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r \
  | while read -r mnt; do umount "$mnt" 2>/dev/null || warn "could not unmount $mnt (in use?)"; done
"$ROOT/scripts/services/down.sh"
ok "stack stopped (data kept in $DATA_DIR; make dev-clean wipes it)"
