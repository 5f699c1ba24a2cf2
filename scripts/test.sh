#!/usr/bin/env bash
# The whole test suite, twice: on SQLite, then on a throwaway PostgreSQL 15 this script starts on
# a loopback port and stops at the end, whatever happens. Arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
. scripts/services.sh
trap services_stop EXIT
trap 'exit 130' INT TERM

pg_start || exit 1
# Both runs can reach the server: tests/analytics/test_databases_agree.py compares the run's own
# database with a fresh database of the other kind.
export EDUPULSE_TEST_PG_URL="${PG_URL%/*}/postgres"
# The Celery tests start their own Redis server and workers (tests/conftest.py); they need the binary.
apt_ensure /usr/bin/redis-server -- redis-server || exit 1
# The browser tests (tests/web/test_browser.py) drive Debian's Chromium through Playwright, which
# cannot download a browser of its own here. Screenshots go to var/artifacts/screenshots/.
apt_ensure /usr/bin/chromium -- chromium || exit 1

echo
echo "================ Run 1 of 2: SQLite ================"
env -u DATABASE_URL .venv/bin/pytest "$@"
sqlite_rc=$?

echo
echo "================ Run 2 of 2: PostgreSQL ($PG_URL) ================"
DATABASE_URL="$PG_URL" .venv/bin/pytest "$@"
pg_rc=$?

echo
echo "SQLite run: $([ $sqlite_rc = 0 ] && echo passed || echo "FAILED (exit $sqlite_rc)")"
echo "PostgreSQL run: $([ $pg_rc = 0 ] && echo passed || echo "FAILED (exit $pg_rc)")"
[ $sqlite_rc = 0 ] && [ $pg_rc = 0 ]
