#!/usr/bin/env bash
# Runs a command on the project's pinned Node.js (fetched when the machine's is older):
# `make lint`, `make typecheck`, `make migrate`, `make drift`.
source "$(dirname "$0")/lib-app.sh"
ensure_node >/dev/null
exec "$@"
