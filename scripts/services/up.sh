#!/usr/bin/env bash
# Install (if absent) and start every backing service, in the runtime document's order, each waited
# on until healthy. Idempotent: services already running from an earlier call are left as they are.
source "$(dirname "$0")/lib.sh"
HERE="$(dirname "$0")"

command -v curl >/dev/null && command -v ss >/dev/null || apt_ensure curl iproute2
"$HERE/postgres.sh" install
"$HERE/redis.sh" install
"$HERE/kafka.sh" install
"$HERE/opa.sh" install
"$HERE/openfga.sh" install

"$HERE/postgres.sh" start
"$HERE/redis.sh" start
"$HERE/kafka.sh" start
"$HERE/openfga.sh" start
"$HERE/opa.sh" start
