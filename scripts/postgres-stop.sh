#!/usr/bin/env bash
# Stops the throwaway PostgreSQL that postgres-start.sh started (same CANDOR_PG_PORT / CANDOR_PG_DIR);
# pass --delete to remove its data folder as well.
set -euo pipefail

PORT=${CANDOR_PG_PORT:-54329}
DIR=${CANDOR_PG_DIR:-/tmp/candor-pg-$PORT}
BIN=${CANDOR_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

if [ -s "$DIR/PG_VERSION" ] && as_postgres "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  as_postgres "$BIN/pg_ctl" -D "$DIR" -m fast -w stop >&2
fi
if [ "${1:-}" = --delete ]; then rm -rf "$DIR"; fi
