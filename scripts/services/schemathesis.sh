#!/usr/bin/env bash
# Schemathesis, the property-based API tester the conformance run uses (PyPI, in a venv in the tool
# cache). Usage: schemathesis.sh install|path
source "$(dirname "$0")/lib.sh"
SCHEMATHESIS_VERSION="4.32.5"
VENV="$CACHE_DIR/schemathesis-venv"

path() { echo "$VENV/bin/st"; }

install() {
  [ -f "$VENV/.complete-$SCHEMATHESIS_VERSION" ] && return 0
  local python; python="$(command -v python3 || true)"
  [ -n "$python" ] || { apt_ensure python3; python="/usr/bin/python3"; }
  log "installing Schemathesis $SCHEMATHESIS_VERSION for the API conformance run (once)"
  rm -rf "$VENV"
  if ! "$python" -m venv "$VENV" >"$LOG_DIR/schemathesis-install.log" 2>&1; then
    apt_ensure python3-venv
    /usr/bin/python3 -m venv "$VENV" >>"$LOG_DIR/schemathesis-install.log" 2>&1 \
      || die "creating the Schemathesis venv failed (see $LOG_DIR/schemathesis-install.log)"
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" \
    >>"$LOG_DIR/schemathesis-install.log" 2>&1 \
    || die "pip install schemathesis failed (see $LOG_DIR/schemathesis-install.log)"
  "$VENV/bin/st" --version >/dev/null || die "schemathesis does not run (see $LOG_DIR/schemathesis-install.log)"
  touch "$VENV/.complete-$SCHEMATHESIS_VERSION"
  ok "Schemathesis $SCHEMATHESIS_VERSION ready"
}

"${1:?usage: schemathesis.sh install|path}"
