#!/usr/bin/env bash
# A one-machine trial: SQLite in var/, tasks in-process, the site on http://127.0.0.1:8000/.
# Idempotent: a second run keeps the data, the model and the predictions, and resets the logins.
#
# The district: three school years (2024-2025 and 2025-2026 closed, 2026-2027 in progress up to
# the demo's "today", Sunday 2026-11-29). The model learns from 2024-2025, is validated on
# 2025-2026, is activated only if it ranks those students better than the ABC rules, and scores
# the current year's last 8 weeks.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
PY=.venv/bin/python
STUDENTS=${DEMO_STUDENTS:-2000}  # in the first year; later years keep about as many
EVERY=4  # training and validation on every 4th school week keeps the trial within minutes
demo_started=$(date +%s)
phase_started=$demo_started
phase_title=""

phase() {  # close the previous phase with its time, then announce the next
    local now
    now=$(date +%s)
    [ -z "$phase_title" ] || echo "    ($phase_title: $((now - phase_started)) s)"
    phase_started=$now
    phase_title=$1
    echo "==> $1"
}

phase "Migrating the SQLite database (var/edupulse.sqlite3)"
# Quiet: Django's list of migrations (or an empty "Running migrations:" when there are none)
# reads like an error; a failure still prints its traceback and stops the script.
$PY manage.py migrate --no-input --verbosity 0
echo "    The database is up to date."
phase "Loading a synthetic district on first run ($STUDENTS students a year, three years)"
$PY manage.py generate_district --load --if-empty --students "$STUDENTS" --years 3 \
    --start 2024-08-19 --through 2026-11-29 --seed 2025
# The import fills the weekly attendance summary; a database loaded before it existed is filled
# here, once.
$PY manage.py refresh_attendance_weeks --if-empty
phase "Training a model on 2024-2025, validated on 2025-2026"
# The label: an adverse outcome by the end of the school year (docs/model.md).
# Feature rows of the weeks it needs are computed first, with progress.
if $PY manage.py train_model --train-years 2024-2025 --validate-year 2025-2026 \
    --every-weeks "$EVERY" --name demo-end-of-year --if-missing --activate; then
    echo "The learned model is active."
else
    echo "!!! The learned model is not active: the ABC rules rank the validation students as well"
    echo "!!! or better, so they keep scoring the students (see /models/ for both side by side)."
fi
phase "Weekly features and predictions for the current year's last 8 weeks"
$PY manage.py compute_features --skip-existing --from 2026-10-11 --to 2026-11-29
$PY manage.py predict --from 2026-10-11 --to 2026-11-29
phase "Roles and demo logins"
$PY manage.py setup_roles
echo
$PY manage.py demo_users
$PY manage.py demo_interventions
echo
now=$(date +%s)
echo "    ($phase_title: $((now - phase_started)) s)"
echo "Ready in $((now - demo_started)) s."
echo "==> Serving EduPulse on http://127.0.0.1:8000/ (Ctrl-C stops it)"
exec $PY manage.py runserver 127.0.0.1:8000
