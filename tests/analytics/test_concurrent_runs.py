"""Feature runs that cannot collide: writing a date is serialised per date, a failed or killed
run leaves the date's rows as they were and nothing staged, and a Celery callback that fails
empties its run's stage."""

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid

import psycopg2
import pytest
from django.db import connection

from analytics import services
from analytics.models import StudentFeatures, StudentFeaturesStage
from analytics.selectors import cohort_ids
from analytics.services import _lock_key, features_compute, features_publish
from records.importing import district_import
from records.models import AttendanceRecord
from tests.celery_workers import ROOT, _database_url

AS_OF = dt.date(2025, 9, 14)


def _stage_row(run: uuid.UUID, student_id, as_of=AS_OF) -> None:
    StudentFeaturesStage.objects.create(
        run=run, student_id=student_id, feature_date=as_of, discipline_incidents=0,
        feature_vector={},
    )  # fmt: skip


@pytest.mark.django_db
def test_a_run_whose_writing_fails_leaves_the_dates_rows_as_they_were(small_district, monkeypatch):
    district_import(folder=small_district)
    features_compute(as_of=AS_OF, chunk_size=7, workers=1)
    before = sorted(StudentFeatures.objects.values_list("student_id", "feature_vector"))
    written = []

    def broken(as_of, rows):
        if written:
            raise RuntimeError("the database went away mid-write")
        written.append(as_of)
        return real(as_of, rows)

    real = services._write_published
    monkeypatch.setattr(services, "_write_published", broken)
    with pytest.raises(RuntimeError):
        features_compute(as_of=AS_OF, chunk_size=7, workers=1)
    assert written == [AS_OF]  # the first chunk was written, then the run failed
    assert sorted(StudentFeatures.objects.values_list("student_id", "feature_vector")) == before
    assert not StudentFeaturesStage.objects.exists()


@pytest.mark.django_db
def test_the_celery_callback_that_fails_leaves_no_staged_rows(small_district, monkeypatch):
    district_import(folder=small_district)
    run = uuid.uuid4()
    student = cohort_ids(as_of=AS_OF)[0]
    _stage_row(run, student)
    monkeypatch.setattr(
        services, "_publish", lambda as_of, run: (_ for _ in ()).throw(RuntimeError("boom"))
    )
    from analytics.tasks import finish_features

    with pytest.raises(RuntimeError):
        finish_features.apply(args=([1], AS_OF.isoformat(), str(run))).get()
    assert not StudentFeaturesStage.objects.exists()


# --- PostgreSQL: advisory locks and real processes -------------------------------------------

needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="advisory locks and processes sharing a database: PostgreSQL",
)


@contextlib.contextmanager
def _other_connection():
    """A second connection to the test database, as another process would have."""
    s = connection.settings_dict
    other = psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None, host=s["HOST"],
        port=s["PORT"],
    )  # fmt: skip
    other.autocommit = True
    try:
        yield other.cursor()
    finally:
        other.close()


def _compute_features_process() -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "edupulse.settings.test",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "compute_features", "--as-of", AS_OF.isoformat(),
         "--chunk-size", "7", "--no-progress"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _wait_for(condition, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _waiting_for_a_lock() -> int:
    """How many connections wait for an advisory lock."""
    with _other_connection() as other:
        other.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return other.fetchone()[0]


def _holding_the_dates_lock() -> bool:
    """Whether another connection holds AS_OF's publishing lock (a run writing the date)."""
    key = _lock_key("features-publish", AS_OF)
    # A bigint key shows in pg_locks as its high and low 32 bits (classid, objid).
    high, low = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
    with _other_connection() as other:
        other.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s::bigint::oid AND objid = %s::bigint::oid AND objsubid = 1)",
            [high, low],
        )
        return other.fetchone()[0]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_date_at_once_both_succeed_one_after_the_other(small_district):
    district_import(folder=small_district)
    cohort = len(cohort_ids(as_of=AS_OF))
    processes = []
    # Hold the date's publishing lock until both runs wait for it, so that both start writing
    # the date at the same moment (the collision the lock prevents).
    with _other_connection() as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_lock_key("features-publish", AS_OF)])
        try:
            processes = [_compute_features_process(), _compute_features_process()]
            _wait_for(lambda: _waiting_for_a_lock() == 2)
        finally:
            other.execute("SELECT pg_advisory_unlock_all()")
        outputs = [p.communicate(timeout=120)[0] for p in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output
        assert f"{cohort} feature rows" in output
    assert StudentFeatures.objects.filter(feature_date=AS_OF).count() == cohort
    assert not StudentFeaturesStage.objects.exists()


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_killed_while_writing_leaves_the_dates_rows_and_the_next_run_goes_ahead(
    small_district,
):
    district_import(folder=small_district)
    cohort = len(cohort_ids(as_of=AS_OF))
    features_compute(as_of=AS_OF, chunk_size=7)
    before = sorted(StudentFeatures.objects.values_list("student_id", "feature_vector"))
    # The records change, so a run that got through would change every row.
    AttendanceRecord.objects.filter(date__lte=AS_OF).update(status="absent")
    process = _compute_features_process()
    try:
        _wait_for(_holding_the_dates_lock)  # it has deleted the date's rows and is writing
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    assert sorted(StudentFeatures.objects.values_list("student_id", "feature_vector")) == before
    assert not StudentFeaturesStage.objects.exists()
    # The server notices the dead client's connection and frees its lock shortly: the next run
    # is not blocked for good.
    _wait_for(lambda: not _holding_the_dates_lock(), seconds=30)
    assert features_compute(as_of=AS_OF, chunk_size=7) == cohort
    after = dict(StudentFeatures.objects.values_list("student_id", "feature_vector"))
    assert all(after[s] != v for s, v in before)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_publishing_waits_for_another_run_of_the_same_date(small_district):
    district_import(folder=small_district)
    run = uuid.uuid4()
    _stage_row(run, cohort_ids(as_of=AS_OF)[0])
    with _other_connection() as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_lock_key("features-publish", AS_OF)])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
            with pytest.raises(Exception, match="lock timeout"):
                features_publish(as_of=AS_OF, run=run)
            cursor.execute("SET lock_timeout = 0")
        other.execute("SELECT pg_advisory_unlock_all()")
