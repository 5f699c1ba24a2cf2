#!/usr/bin/env bash
# A one-machine trial: SQLite in var/, tasks in-process, the site on http://127.0.0.1:8000/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
PY=.venv/bin/python

echo "==> Migrating the SQLite database (var/edupulse.sqlite3)"
$PY manage.py migrate --no-input | grep -v "^  No migrations to apply\|^  Apply" || true
echo "==> Loading a synthetic district on first run (2,000 students, one school year)"
$PY manage.py generate_district --load --if-empty --students 2000 --seed 2025
$PY manage.py setup_roles
echo
$PY manage.py demo_users
echo
echo "==> Serving EduPulse on http://127.0.0.1:8000/ (Ctrl-C stops it)"
exec $PY manage.py runserver 127.0.0.1:8000
