#!/usr/bin/env bash
# Schemathesis, the property-based API tester the conformance run uses (PyPI, in a venv in the tool
# cache). Usage: schemathesis.sh install|path
source "$(dirname "$0")/lib.sh"
SCHEMATHESIS_VERSION="4.32.5"
VENV="$CACHE_DIR/schemathesis-venv"

path() { echo "$VENV/bin/st"; }

install() {
  [ -f "$VENV/.complete-$SCHEMATHESIS_VERSION" ] && return 0
  log "installing Schemathesis $SCHEMATHESIS_VERSION for the API conformance run (once)"
  pip_venv "$VENV" "schemathesis==$SCHEMATHESIS_VERSION" schemathesis
  "$VENV/bin/st" --version >/dev/null || die "schemathesis does not run (see $LOG_DIR/schemathesis-install.log)"
  pip_venv_done "$VENV" "schemathesis==$SCHEMATHESIS_VERSION"
  ok "Schemathesis $SCHEMATHESIS_VERSION ready"
}

"${1:?usage: schemathesis.sh install|path}"
