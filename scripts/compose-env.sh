#!/usr/bin/env bash
# Writes the secrets docker-compose.yml needs into .env (once; an existing value is kept):
# POSTGRES_PASSWORD and REDIS_PASSWORD, and SOMA_SETTINGS_KEY (seals the provider keys entered in the
# settings panel in Postgres, so every container gets them: they share no volume), 32 random hex
# characters each, readable by the owner only.
set -euo pipefail
cd "$(dirname "$0")/.."
touch .env
chmod 600 .env
for name in POSTGRES_PASSWORD REDIS_PASSWORD SOMA_SETTINGS_KEY; do
  if ! grep -q "^$name=" .env; then
    echo "$name=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >>.env
    echo "generated $name in .env"
  fi
done
