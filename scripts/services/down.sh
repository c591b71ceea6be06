#!/usr/bin/env bash
# Stop every backing service this project started (by recorded pid), in reverse order.
source "$(dirname "$0")/lib.sh"
HERE="$(dirname "$0")"
"$HERE/jaeger.sh" stop
"$HERE/seaweedfs.sh" stop
"$HERE/prometheus.sh" stop
"$HERE/opa.sh" stop
"$HERE/openfga.sh" stop
"$HERE/kafka.sh" stop
"$HERE/redis.sh" stop
"$HERE/postgres.sh" stop
