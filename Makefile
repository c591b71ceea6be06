# SomaAgent — operator entry points. `make dev-up` starts the stack, `make test` runs every test.
.PHONY: dev-up dev-down dev-clean dev-logs test test-unit test-int test-e2e lint typecheck migrate drift services-up

dev-up:
	@scripts/dev-up.sh

dev-down:
	@scripts/dev-down.sh

dev-clean:
	@SOMA_YES=$(if $(YES),1,0) scripts/dev-clean.sh

dev-logs:
	@scripts/dev-logs.sh

services-up:
	@scripts/services/up.sh

test:
	@scripts/test.sh all

test-unit:
	@scripts/test.sh unit

test-int:
	@scripts/test.sh int

test-e2e:
	@scripts/test.sh e2e

lint:
	@scripts/with-node.sh npx eslint --max-warnings=0 .

typecheck:
	@scripts/with-node.sh npx tsc --noEmit

migrate:
	@scripts/with-node.sh npx tsx scripts/migrate.ts

drift:
	@scripts/with-node.sh npx tsx scripts/db-drift.ts
