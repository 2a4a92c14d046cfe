#!/bin/sh
# First start of the postgres container (docker-entrypoint-initdb.d): the
# least-privilege ingest login role (db-migrate grants it exactly its tables)
# and Keycloak's own role and database.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v ingest_password="$WIPECERT_INGEST_PASSWORD" -v kc_password="$KC_DB_PASSWORD" <<'SQL'
CREATE ROLE wipecert_ingest LOGIN PASSWORD :'ingest_password';
CREATE ROLE keycloak LOGIN PASSWORD :'kc_password';
CREATE DATABASE keycloak OWNER keycloak;
SQL
