#!/usr/bin/env bash
# Run a benchmark script against a throwaway PostgreSQL 15 with default (durable) settings.
# Usage: scripts/bench.sh benchmarks/NAME.py [ARGS...]
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
trap services_stop EXIT
trap 'exit 130' INT TERM
PG_DURABLE=1 pg_start || exit 1
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres edupulse 2>/dev/null || true
export DATABASE_URL="$PG_URL"
.venv/bin/python manage.py migrate --no-input -v0 || exit 1
.venv/bin/python "$@"
