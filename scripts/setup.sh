#!/usr/bin/env bash
# Idempotent local setup, shared by `make run`, `make test` and `make airflow`:
#   1. a virtualenv from requirements-dev.txt, every version fixed by constraints.txt (reinstalled only
#      when one of them changes);
#   2. a PostgreSQL server of its own in .local/pg (started on a free loopback port, pid in its data dir);
#   3. the roles and databases: `airflow` (Airflow's metadata) and `verfak` (the warehouse);
#   4. .local/env, the environment every other command runs with (Airflow home, connections, folders);
#   5. Airflow's metadata migrations and the warehouse migrations (include/sql/migrations).
# Run it as often as you like: each step checks before it acts.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL="$ROOT/.local"
PGHOME="$LOCAL/pg"
PGDATA="$PGHOME/data"
PGRUN="$PGHOME/run"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$LOCAL"
chmod 755 "$LOCAL"

# --- 1. virtualenv -------------------------------------------------------------------------------
req_hash=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" "$ROOT/constraints.txt" | sha256sum | cut -c1-16)
if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating virtualenv in .venv"
  "$PY" -m venv "$VENV" || die "could not create a virtualenv with $PY (install python3-venv)"
fi
if [[ "$(cat "$VENV/.requirements-hash" 2>/dev/null)" != "$req_hash" ]]; then
  say "installing requirements into .venv (first time: about a minute)"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet -r "$ROOT/requirements-dev.txt" -c "$ROOT/constraints.txt"
  echo "$req_hash" > "$VENV/.requirements-hash"
fi

# --- 2. PostgreSQL server ------------------------------------------------------------------------
find_pg_bin() {
  if [[ -n "${PG_BIN:-}" && -x "$PG_BIN/initdb" ]]; then echo "$PG_BIN"; return; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x "$d/initdb" ]] && { echo "$d"; return; }
  done
  if command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/initdb" ]]; then pg_config --bindir; return; fi
  if command -v initdb >/dev/null; then dirname "$(command -v initdb)"; return; fi
}
PG_BIN=$(find_pg_bin || true)
if [[ -z "$PG_BIN" ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "PostgreSQL server binaries not found: installing Debian's postgresql package"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PG_BIN=$(find_pg_bin || true)
  fi
  [[ -n "$PG_BIN" ]] || die "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them, e.g. 'sudo apt-get install postgresql', or set PG_BIN to their folder."
fi

# PostgreSQL refuses to run as root: as root, the server runs as the 'postgres' user.
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run the server as"
  as_pg() { runuser -u postgres -- "$@"; }
  PGOWNER=postgres
else
  as_pg() { "$@"; }
  PGOWNER=$(id -un)
fi

# The server user must be able to reach its data directory. When the checkout sits somewhere the
# 'postgres' user can't enter (a private home folder), keep the cluster in /tmp instead and say so.
if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$LOCAL" 2>/dev/null; then
  PGHOME="/tmp/verfak-pg-$(echo "$ROOT" | sha256sum | cut -c1-12)"
  PGDATA="$PGHOME/data"; PGRUN="$PGHOME/run"
  mkdir -p "$PGHOME"; chown postgres "$PGHOME"
  ln -sfn "$PGHOME" "$LOCAL/pg"
  say "the 'postgres' user can't enter $LOCAL: the cluster lives in $PGHOME (linked from .local/pg)"
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  say "initialising a PostgreSQL cluster in .local/pg/data ($PG_BIN)"
  mkdir -p "$PGDATA" "$PGRUN"
  chown -R "$PGOWNER" "$PGHOME"
  chmod 700 "$PGDATA"
  as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >"$PGHOME/initdb.log" 2>&1 \
    || die "initdb failed, see .local/pg/initdb.log (the 'postgres' user must be able to reach $PGHOME)"
fi
mkdir -p "$PGRUN"; chown "$PGOWNER" "$PGRUN"; chmod 700 "$PGRUN"

if [[ ! -s "$PGHOME/port" ]]; then
  "$VENV/bin/python" - > "$PGHOME/port" <<'PYEOF'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PYEOF
fi
PGPORT=$(cat "$PGHOME/port")

if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  say "starting PostgreSQL on 127.0.0.1:$PGPORT"
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGHOME/server.log" -w -t 60 \
    -o "-p $PGPORT -k $PGRUN -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null || die "PostgreSQL did not start, see .local/pg/server.log"
fi
psql_su() { as_pg "$PG_BIN/psql" -h "$PGRUN" -p "$PGPORT" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }

# --- 3. roles and databases ----------------------------------------------------------------------
if [[ ! -s "$LOCAL/verfak.password" ]]; then
  (umask 077; "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(24))' > "$LOCAL/verfak.password")
fi
VERFAK_PW=$(cat "$LOCAL/verfak.password")
psql_su -d postgres -v pw="$VERFAK_PW" <<'SQL'
SELECT format('CREATE ROLE verfak LOGIN CREATEROLE CREATEDB PASSWORD %L', :'pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'verfak') \gexec
SELECT format('ALTER ROLE verfak CREATEROLE CREATEDB PASSWORD %L', :'pw') \gexec
SELECT 'CREATE DATABASE airflow OWNER verfak' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'airflow') \gexec
SELECT 'CREATE DATABASE verfak OWNER verfak' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'verfak') \gexec
SQL

# --- 4. the environment --------------------------------------------------------------------------
if [[ ! -s "$LOCAL/airflow.secret" ]]; then
  (umask 077; "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))' > "$LOCAL/airflow.secret")
fi
DB="postgresql://verfak:$VERFAK_PW@127.0.0.1:$PGPORT"
# PYTHONPATH: the package (plugins/) and the repository's root, for the development generators in
# devdata/ that `python -m verfak sample-data` and `sample-returns` import.
cat > "$LOCAL/env" <<ENVEOF
# Written by scripts/setup.sh; sourced by scripts/with-env.sh. Do not edit: rerun the setup.
VERFAK_ROOT=$ROOT
PG_BIN=$PG_BIN
PGPORT=$PGPORT
AIRFLOW_HOME=$LOCAL/airflow
AIRFLOW__CORE__DAGS_FOLDER=$ROOT/dags
AIRFLOW__CORE__PLUGINS_FOLDER=$ROOT/plugins
AIRFLOW__CORE__LOAD_EXAMPLES=False
AIRFLOW__CORE__EXECUTOR=LocalExecutor
AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://verfak:$VERFAK_PW@127.0.0.1:$PGPORT/airflow
AIRFLOW__API_AUTH__JWT_SECRET=$(cat "$LOCAL/airflow.secret")
AIRFLOW__API__SECRET_KEY=$(cat "$LOCAL/airflow.secret")
AIRFLOW__LOGGING__LOGGING_LEVEL=INFO
AIRFLOW_CONN_VERFAK_WAREHOUSE=$DB/verfak
VERFAK_LANDING_DIR=${VERFAK_LANDING_DIR:-$ROOT/data/landing}
VERFAK_EXPORT_DIR=${VERFAK_EXPORT_DIR:-$ROOT/data/exports}
VERFAK_REPORT_DIR=${VERFAK_REPORT_DIR:-$ROOT/data/reports}
PYTHONPATH=$ROOT/plugins:$ROOT
ENVEOF
chmod 600 "$LOCAL/env"

# --- 5. migrations -------------------------------------------------------------------------------
set -a; . "$LOCAL/env"; set +a
mkdir -p "$AIRFLOW_HOME"
if [[ "$(cat "$AIRFLOW_HOME/.migrated" 2>/dev/null)" != "$PGPORT-3.3.2" ]] || ! "$VENV/bin/airflow" db check-migrations -t 0 >/dev/null 2>&1; then
  say "migrating Airflow's metadata database"
  "$VENV/bin/airflow" db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || die "airflow db migrate failed, see .local/airflow/db-migrate.log"
  echo "$PGPORT-3.3.2" > "$AIRFLOW_HOME/.migrated"
fi
"$VENV/bin/python" -m verfak migrate
# Headless Chromium for the nightly report's browser test (installed as root when missing).
"$ROOT/scripts/ensure_chromium.sh" >/dev/null || say "no Chromium: the report's browser test will fail until it is installed"
# Redis for the Celery executor (`make airflow EXECUTOR=celery` and its end-to-end test): installed
# as root when missing, never started here (LocalExecutor runs don't need it; see scripts/redis.sh).
"$ROOT/scripts/ensure_redis.sh" >/dev/null || say "no redis-server: the Celery executor and its test need it"
say "ready: PostgreSQL on 127.0.0.1:$PGPORT, Airflow home .local/airflow, environment in .local/env"
