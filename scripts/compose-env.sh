#!/usr/bin/env bash
# Writes the passwords docker-compose.yml needs into .env (once; an existing value is kept):
# POSTGRES_PASSWORD and REDIS_PASSWORD, 32 random hex characters each, readable by the owner only.
set -euo pipefail
cd "$(dirname "$0")/.."
touch .env
chmod 600 .env
for name in POSTGRES_PASSWORD REDIS_PASSWORD; do
  if ! grep -q "^$name=" .env; then
    echo "$name=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >>.env
    echo "generated $name in .env"
  fi
done
