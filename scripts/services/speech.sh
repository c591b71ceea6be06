#!/usr/bin/env bash
# Offline speech for the offline provider: espeak-ng (Debian) speaks, pocketsphinx (the PyPI wheel,
# which carries its English model) recognises. Usage: speech.sh install|health
# The recogniser's python lives in a venv in the tool cache; the provider finds it there
# (or at SOMA_SPEECH_PYTHON).
source "$(dirname "$0")/lib.sh"
POCKETSPHINX_VERSION="5.1.1"
VENV="$CACHE_DIR/speech-venv"

health() {
  command -v espeak-ng >/dev/null && "$VENV/bin/python" -c "import pocketsphinx" 2>/dev/null
}

install() {
  command -v espeak-ng >/dev/null || apt_ensure espeak-ng
  [ -f "$VENV/.complete-$POCKETSPHINX_VERSION" ] && return 0
  local python; python="$(command -v python3 || true)"
  [ -n "$python" ] || { apt_ensure python3; python="/usr/bin/python3"; }
  log "installing pocketsphinx $POCKETSPHINX_VERSION for offline speech recognition (once)"
  rm -rf "$VENV"
  if ! "$python" -m venv "$VENV" >"$LOG_DIR/speech-install.log" 2>&1; then
    apt_ensure python3-venv
    /usr/bin/python3 -m venv "$VENV" >>"$LOG_DIR/speech-install.log" 2>&1 \
      || die "creating the speech venv failed (see $LOG_DIR/speech-install.log)"
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "pocketsphinx==$POCKETSPHINX_VERSION" \
    >>"$LOG_DIR/speech-install.log" 2>&1 || die "pip install pocketsphinx failed (see $LOG_DIR/speech-install.log)"
  "$VENV/bin/python" -c "import pocketsphinx" || die "pocketsphinx does not load (see $LOG_DIR/speech-install.log)"
  touch "$VENV/.complete-$POCKETSPHINX_VERSION"
  ok "offline speech ready (espeak-ng, pocketsphinx $POCKETSPHINX_VERSION)"
}

"${1:?usage: speech.sh install|health}"
