#!/usr/bin/env bash
# The monitoring config's checks (make test, unit stage): promtool check config on
# deploy/prometheus/prometheus.yml, check rules on alerts.yml, and the rules' unit tests in
# deploy/prometheus/tests/ (each alert made to fire and kept quiet). promtool is built once
# (scripts/services/prometheus.sh install) and cached.
source "$(dirname "$0")/services/lib.sh"
"$ROOT/scripts/services/prometheus.sh" install
promtool="$BIN_DIR/promtool-$PROMETHEUS_VERSION"
cd "$ROOT/deploy/prometheus"
# The config names a token file and target files that the start script (or compose) puts beside
# it: check a copy that has them, with compose's targets (so those are checked too).
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp prometheus.yml alerts.yml "$scratch/"
cp -r targets/compose "$scratch/targets"
printf 'check' >"$scratch/metrics-token"
"$promtool" check config "$scratch/prometheus.yml"
"$promtool" check rules alerts.yml
"$promtool" test rules tests/*.yml
