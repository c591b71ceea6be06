# SomaAgent — operator entry points. `make dev-up` starts the stack, `make test` runs every test.
.PHONY: dev-up dev-down dev-clean dev-logs test test-unit test-int test-e2e lint typecheck migrate drift services-up maintenance smoke backup restore backups

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

# make maintenance on|off|status [MESSAGE="…"] [UNTIL=2026-01-01T10:00:00Z]: every page shows the
# banner, new turns and calls get 503, /readyz says draining (scripts/maintenance.ts).
ifeq (maintenance,$(firstword $(MAKECMDGOALS)))
MAINTENANCE_ACTION := $(wordlist 2,2,$(MAKECMDGOALS))
$(eval $(MAINTENANCE_ACTION):;@:)
endif
maintenance:
	@MESSAGE="$(MESSAGE)" UNTIL="$(UNTIL)" scripts/with-node.sh npx tsx scripts/maintenance.ts $(MAINTENANCE_ACTION)

# make smoke URL=https://… TOKEN=… (or EMAIL=… PASSWORD=…): the public API end to end against a
# live deployment, one line per check, non-zero exit on any failure (scripts/smoke.ts).
smoke:
	@URL="$(URL)" TOKEN="$(TOKEN)" EMAIL="$(EMAIL)" PASSWORD="$(PASSWORD)" scripts/with-node.sh npx tsx scripts/smoke.ts

# make backup [TO=dir|s3://bucket/prefix]: the databases (app and OpenFGA), OpenFGA's tuples, the bus
# topics' settings and the settings files, to backup.target unless TO says otherwise; then retention.
# make restore FROM=<id>|latest|<dir>/<id>|s3://bucket/prefix/<id> [YES=1]: checks, says what it
# replaces, restores (docs/operations.md "Backups"). make backups: the list.
backup:
	@scripts/with-node.sh npx tsx scripts/backup.ts backup $(TO)

restore:
	@scripts/with-node.sh npx tsx scripts/backup.ts restore "$(FROM)" $(if $(YES),--yes,)

backups:
	@scripts/with-node.sh npx tsx scripts/backup.ts list $(TO)
