#!/usr/bin/env bash
# make dev-logs: follow every service's log.
source "$(dirname "$0")/services/lib.sh"
shopt -s nullglob
files=("$LOG_DIR"/*.log)
[ ${#files[@]} -gt 0 ] || die "no logs yet in $LOG_DIR (run make dev-up)"
exec tail -n 20 -F "${files[@]}"
