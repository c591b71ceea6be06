#!/usr/bin/env bash
# PostgreSQL from Debian's packages, one cluster in .services/data/postgres. Usage: postgres.sh install|start|stop|health
source "$(dirname "$0")/lib.sh"
# Postgres runs as the 'postgres' user when we are root; that user must reach its directories. A
# checkout under /root (mode 700) is out of its reach, so its files then live under /var/lib.
PG_HOME="$DATA_DIR/postgres-home"
if is_root && ! runuser -u postgres -- test -x "$SERVICES_DIR" 2>/dev/null; then
  PG_HOME="/var/lib/somaagent/$(printf '%s' "$ROOT" | md5sum | cut -c1-12)/postgres-home"
fi
PGDATA="$PG_HOME/data"
PGSOCK="$PG_HOME/run"
PGLOG="$PG_HOME/postgres.log"

pg_bin() {
  local d; d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$d" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
  echo "$d"
}
# The server refuses to run as root: run it as the Debian 'postgres' user then.
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

install() { apt_ensure postgresql postgresql-contrib; }

health() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT"; }

start() {
  local bin; bin="$(pg_bin)"
  if running_pid postgres >/dev/null && health; then bootstrap_roles; ok "postgres already running on :$POSTGRES_PORT"; return 0; fi
  reserve_port postgres "$POSTGRES_PORT" SOMA_POSTGRES_PORT
  mkdir -p "$PGDATA" "$PGSOCK"
  touch "$PGLOG"
  ln -sf "$PGLOG" "$LOG_DIR/postgres.log"
  is_root && chown -R postgres:postgres "$PG_HOME"
  chmod 700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $PGDATA"
    as_pg "$bin/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$LOG_DIR/postgres-initdb.log" 2>&1 \
      || die "initdb failed (see $LOG_DIR/postgres-initdb.log)"
  fi
  as_pg "$bin/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 \
    -o "-p $POSTGRES_PORT -k $PGSOCK -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=${SOMA_POSTGRES_FSYNC:-on}" start >/dev/null \
    || { tail -n 20 "$PGLOG" >&2; die "postgres failed to start"; }
  head -1 "$PGDATA/postmaster.pid" >"$(pid_file postgres)"
  wait_for postgres 60 health
  bootstrap_roles
  ok "postgres ready on :$POSTGRES_PORT"
}

# The application role and databases (app + OpenFGA datastore), created once.
bootstrap_roles() {
  local psql=("$(pg_bin)/psql" -v ON_ERROR_STOP=1 -qtA -h "$PGSOCK" -p "$POSTGRES_PORT" -U postgres -d postgres)
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='$POSTGRES_USER'")" != "1" ]; then
    "${psql[@]}" -c "create role $POSTGRES_USER login createdb password '$POSTGRES_PASSWORD'" >/dev/null
  fi
  local db
  for db in "$POSTGRES_DB" openfga; do
    if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='$db'")" != "1" ]; then
      "${psql[@]}" -c "create database $db owner $POSTGRES_USER" >/dev/null
    fi
  done
}

stop() {
  if running_pid postgres >/dev/null; then
    if as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1; then
      rm -f "$(pid_file postgres)"
      log "stopped postgres"
    else
      stop_service postgres
    fi
  fi
}

# Where this checkout's cluster lives (for dev-clean).
home() { echo "$PG_HOME"; }

"${1:?usage: postgres.sh install|start|stop|health|home}"
