#!/usr/bin/env bash
# The `docker compose` CLI plugin, for validating docker-compose.yml (`docker compose config` needs
# no engine). Built once from the Go module proxy when the machine's docker client lacks it.
# Usage: compose.sh install
source "$(dirname "$0")/lib.sh"
COMPOSE_VERSION="v2.40.3"
PLUGIN_DIR="$HOME/.docker/cli-plugins"

install() {
  docker compose version >/dev/null 2>&1 && return 0
  command -v docker >/dev/null || die "the docker client is missing (Debian package docker.io or docker-ce-cli)"
  local cached="$BIN_DIR/docker-compose-$COMPOSE_VERSION"
  if [ ! -x "$cached" ]; then
    command -v go >/dev/null || die "go is required to build the docker compose plugin"
    log "building the docker compose plugin $COMPOSE_VERSION from the Go module proxy (once)"
    local src; src="$(mktemp -d)"
    (
      set -e
      # compose's go.mod has replace directives, so it is built as the main module, not `go install`ed.
      dir="$(cd /tmp && go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
      cp -r "$dir/." "$src" && chmod -R u+w "$src"
      cd "$src" && GOFLAGS=-buildvcs=false go build -o "$cached" ./cmd
    ) >"$LOG_DIR/compose-install.log" 2>&1 || die "building docker compose failed (see $LOG_DIR/compose-install.log)"
    rm -rf "$src"
  fi
  mkdir -p "$PLUGIN_DIR"
  ln -sf "$cached" "$PLUGIN_DIR/docker-compose"
  docker compose version >/dev/null || die "docker compose plugin installed but not recognised"
}

"${1:?usage: compose.sh install}"
