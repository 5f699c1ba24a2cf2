"""SQLite and PostgreSQL compute the same feature rows.

The suite runs once on each database; in each run this test computes a generated district's
weekly features in the run's own database, and the same district's in the other database, in a
`manage.py` process of its own (a fresh SQLite file, or a fresh database on the PostgreSQL server
`make test` started, which scripts/test.sh passes as EDUPULSE_TEST_PG_URL). Every row must be
equal, student by student and date by date, to the last digit stored.
"""

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from analytics.models import StudentFeatures
from analytics.services import features_compute
from records.importing import district_import
from records.synthetic import DistrictSpec, generate_district

ROOT = Path(__file__).resolve().parents[2]
# 150 students over 8 school weeks: tardies, excused absences, per-period days, holidays, grades,
# incidents, mid-year entries and students who leave, at several as-of dates.
SPEC = DistrictSpec(students=150, schools=2, start=dt.date(2025, 8, 18), school_days=40, seed=11)
FIRST, LAST = dt.date(2025, 8, 24), dt.date(2025, 10, 12)
COLUMNS = ("attendance_rate", "gpa_current", "discipline_incidents", "feature_vector")

DUMP = f"""
import json
from analytics.models import StudentFeatures
rows = StudentFeatures.objects.values_list("student__district_id", "feature_date", *{COLUMNS!r})
print(json.dumps([[s, d.isoformat(), *rest] for s, d, *rest in rows]))
"""


def _rows(pairs) -> dict:
    return {(student, day): tuple(values) for student, day, *values in pairs}


def _run(database_url: str, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "edupulse.settings.test",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def _other_database(tmp_path):
    """(URL of an empty database of the other kind, a function that removes it)."""
    if connection.vendor == "postgresql":
        return f"sqlite:///{tmp_path / 'twin.sqlite3'}", lambda: None
    server = os.environ.get("EDUPULSE_TEST_PG_URL")
    assert server, (
        "This test compares SQLite with PostgreSQL: run it through `make test`, which starts a "
        "throwaway PostgreSQL, or set EDUPULSE_TEST_PG_URL=postgres://user@host:port/postgres."
    )
    name = f"twin_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(server)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")

    def drop():
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()

    return server.rsplit("/", 1)[0] + f"/{name}", drop


@pytest.mark.django_db(transaction=True)
def test_sqlite_and_postgresql_compute_the_same_feature_rows(tmp_path):
    folder = tmp_path / "district"
    generate_district(SPEC, folder, tmp_path / "truth.csv")
    district_import(folder=folder)
    weeks = [FIRST + dt.timedelta(weeks=k) for k in range((LAST - FIRST).days // 7 + 1)]
    for day in weeks:
        features_compute(as_of=day)
    here = _rows(
        [s, d.isoformat(), *rest]
        for s, d, *rest in StudentFeatures.objects.values_list(
            "student__district_id", "feature_date", *COLUMNS
        )
    )

    url, drop = _other_database(tmp_path)
    try:
        _run(url, "migrate", "--no-input")
        _run(url, "import_csv", str(folder), "--no-progress")
        _run(url, "compute_features", "--from", str(FIRST), "--to", str(LAST), "--no-progress")
        there = _rows(json.loads(_run(url, "shell", "--no-imports", "-c", DUMP)))
    finally:
        drop()

    assert len(here) > len(weeks) * 100  # every week has a cohort
    assert here.keys() == there.keys()
    differ = [key for key in sorted(here) if here[key] != there[key]]
    first = differ[0] if differ else None
    assert not differ, f"{len(differ)} rows differ; {first}:\n{here[first]}\n{there[first]}"
