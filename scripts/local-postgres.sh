#!/bin/bash
# Starts a private PostgreSQL for trying grpca on it, from Debian's/Ubuntu's postgresql package:
# a cluster in DIR listening on 127.0.0.1:PORT (and a socket in DIR), with a role and a database
# both named grpca. The role's password is made once, at random, into PASSWORD_FILE (mode 600).
# Idempotent: a cluster already made is started again; one already running is left running.
#
#   scripts/local-postgres.sh DIR PORT PASSWORD_FILE        start (and make, the first time)
#   scripts/local-postgres.sh DIR stop                      stop
set -euo pipefail

DIR=$(realpath -m "$1")
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$BIN" ]; then
  echo "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 1
fi

# initdb and pg_ctl refuse to run as root: run them as the postgres user, which owns the cluster.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${2:-}" = stop ]; then
  as_owner "$BIN/pg_ctl" -D "$DIR" stop -m fast >/dev/null 2>&1 || true
  exit 0
fi
PORT=$2
PASSWORD_FILE=$(realpath -m "$3")

if [ ! -f "$DIR/PG_VERSION" ]; then
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
  chmod 700 "$DIR"
  as_owner "$BIN/initdb" -D "$DIR" --auth-local=trust --auth-host=scram-sha-256 -U postgres >/dev/null
fi
if ! as_owner "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  as_owner "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w start \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR" >/dev/null
fi

if [ ! -s "$PASSWORD_FILE" ]; then
  mkdir -p "$(dirname "$PASSWORD_FILE")"
  (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$PASSWORD_FILE")
fi
PASSWORD=$(cat "$PASSWORD_FILE")
psql() { as_owner "$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -d postgres -qtA "$@"; }
if [ -z "$(psql -c "SELECT 1 FROM pg_roles WHERE rolname = 'grpca'")" ]; then
  psql -c "CREATE ROLE grpca LOGIN PASSWORD '$PASSWORD'"
else
  psql -c "ALTER ROLE grpca PASSWORD '$PASSWORD'"
fi
if [ -z "$(psql -c "SELECT 1 FROM pg_database WHERE datname = 'grpca'")" ]; then
  psql -c "CREATE DATABASE grpca OWNER grpca"
fi
echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, database grpca, role grpca (password in $PASSWORD_FILE)"
