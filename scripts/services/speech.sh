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
  log "installing pocketsphinx $POCKETSPHINX_VERSION for offline speech recognition (once)"
  pip_venv "$VENV" "pocketsphinx==$POCKETSPHINX_VERSION" speech
  "$VENV/bin/python" -c "import pocketsphinx" || die "pocketsphinx does not load (see $LOG_DIR/speech-install.log)"
  pip_venv_done "$VENV" "pocketsphinx==$POCKETSPHINX_VERSION"
  ok "offline speech ready (espeak-ng, pocketsphinx $POCKETSPHINX_VERSION)"
}

"${1:?usage: speech.sh install|health}"
