#!/usr/bin/env bash
# Creates prisma/migrations/<timestamp>_<name>/migration.sql from the difference between the
# committed migrations and prisma/schema.prisma. Stands in for `prisma migrate dev --create-only`,
# which fails with the WASM schema engine in Prisma 6.19 ("shadow DB must be provided through an
# external factory" in EvaluateDataLoss). Usage: scripts/db-new-migration.sh <name>
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: db-new-migration.sh <name>}"
[[ "$name" =~ ^[a-z0-9_]+$ ]] || { echo "name must be lowercase letters, digits and _" >&2; exit 1; }
export CHECKPOINT_DISABLE=1
sql="$(npx prisma migrate diff --from-migrations prisma/migrations --to-schema-datamodel prisma/schema.prisma --script)"
if ! grep -qv '^--' <<<"$sql" || grep -q "This is an empty migration" <<<"$sql"; then
  echo "schema.prisma matches the migrations: nothing to create"; exit 0
fi
dir="prisma/migrations/$(date -u +%Y%m%d%H%M%S)_$name"
mkdir -p "$dir"
printf '%s\n' "$sql" >"$dir/migration.sql"
echo "created $dir/migration.sql"
