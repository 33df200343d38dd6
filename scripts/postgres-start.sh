#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for Candor's study-store tests and prints its URL (idempotent:
# reuses the cluster and server if they are already there). Used by .ci/run and by hand:
#   export CANDOR_TEST_POSTGRES=$(bash scripts/postgres-start.sh)
# Settings: CANDOR_PG_PORT (default 54329), CANDOR_PG_DIR (default /tmp/candor-pg-$PORT).
set -euo pipefail

PORT=${CANDOR_PG_PORT:-54329}
DIR=${CANDOR_PG_DIR:-/tmp/candor-pg-$PORT}
DB=candor_test
BIN=${CANDOR_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "postgres-start: installing PostgreSQL from Debian's packages" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
    BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  else
    echo "postgres-start: no PostgreSQL under /usr/lib/postgresql; install it (apt-get install postgresql) or set CANDOR_PG_BIN" >&2
    exit 1
  fi
fi

# initdb and the server refuse to run as root: run them as the postgres user.
as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

if [ ! -s "$DIR/PG_VERSION" ]; then
  mkdir -p "$DIR"
  [ "$(id -un)" = postgres ] || chown postgres: "$DIR"
  chmod 700 "$DIR"
  as_postgres "$BIN/initdb" -D "$DIR" -U postgres --auth=trust --encoding=UTF8 --no-instructions >&2
fi

if ! as_postgres "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  as_postgres "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=100 -c fsync=off" start >&2
fi

PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
if [ "$("${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB" >&2
fi

echo "postgresql://postgres@127.0.0.1:$PORT/$DB"
