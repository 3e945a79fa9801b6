#!/usr/bin/env bash
# Run once by the postgres image when the warehouse volume is new (/docker-entrypoint-initdb.d),
# as the image's superuser (POSTGRES_USER = WAREHOUSE_ADMIN_USER), on the local socket.
#
# Creates the pipeline's own role WAREHOUSE_USER: an ordinary role that owns the warehouse
# database (so it can create the schemas, and grant and revoke CONNECT on it) and may create and
# alter the agency roles (CREATEROLE); not a superuser, can't create databases, replicate or
# bypass row security. The superuser is then refused over TCP: it is used only from inside the
# container (`docker compose exec warehouse psql -U "$WAREHOUSE_ADMIN_USER" -d "$WAREHOUSE_DB"`).
set -Eeuo pipefail
bash /verfak-deploy/check-secrets.sh POSTGRES_PASSWORD WAREHOUSE_PASSWORD
if [[ -z "${WAREHOUSE_USER:-}" || "$WAREHOUSE_USER" == "$POSTGRES_USER" ]]; then
    echo "refusing to start: WAREHOUSE_USER must be set and differ from WAREHOUSE_ADMIN_USER ($POSTGRES_USER)" >&2
    exit 1
fi
# \getenv (psql 15): the password reaches psql from the environment, not from its command line.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\getenv owner WAREHOUSE_USER
\getenv owner_password WAREHOUSE_PASSWORD
\getenv database POSTGRES_DB
SET password_encryption = 'scram-sha-256';
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB CREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              :'owner', :'owner_password') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'database', :'owner') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database') \gexec
SQL
# First matching line wins: the superuser may not log in over the network.
sed -i "1i host all ${POSTGRES_USER} all reject" "$PGDATA/pg_hba.conf"
echo "warehouse: owner role $WAREHOUSE_USER created (not a superuser)"
