"""Feature runs that cannot collide: publishing is serialised per date, a failed run leaves no
staged rows, and a run whose process died is swept by the next run at once."""

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
from analytics.services import _in_process_run, _lock_key, features_compute, features_publish
from records.importing import district_import
from tests.celery_workers import ROOT, _database_url

AS_OF = dt.date(2025, 9, 14)


def _stage_row(run: uuid.UUID, student_id, as_of=AS_OF) -> None:
    StudentFeaturesStage.objects.create(
        run=run, student_id=student_id, feature_date=as_of, discipline_incidents=0,
        feature_vector={},
    )  # fmt: skip


@pytest.mark.django_db
def test_a_run_whose_publishing_fails_leaves_no_staged_rows(small_district, monkeypatch):
    district_import(folder=small_district)

    def broken(as_of, run):
        raise RuntimeError("the database went away mid-publish")

    monkeypatch.setattr(services, "_publish", broken)
    with pytest.raises(RuntimeError):
        features_compute(as_of=AS_OF, chunk_size=7, workers=1)
    assert not StudentFeaturesStage.objects.exists()
    assert not StudentFeatures.objects.exists()


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


def _staged_runs() -> int:
    return StudentFeaturesStage.objects.values("run").distinct().count()


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_date_at_once_both_succeed_one_after_the_other(small_district):
    district_import(folder=small_district)
    cohort = len(cohort_ids(as_of=AS_OF))
    processes = []
    # Hold the date's publishing lock until both runs have staged every row, so that both
    # reach publishing at the same moment (the collision the lock prevents).
    with _other_connection() as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_lock_key("features-publish", AS_OF)])
        try:
            processes = [_compute_features_process(), _compute_features_process()]
            _wait_for(lambda: StudentFeaturesStage.objects.count() == 2 * cohort)
            assert _staged_runs() == 2
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
def test_the_stage_of_a_killed_run_is_swept_by_the_next_run_at_once(small_district):
    district_import(folder=small_district)
    cohort = len(cohort_ids(as_of=AS_OF))
    with _other_connection() as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_lock_key("features-publish", AS_OF)])
        try:
            process = _compute_features_process()
            _wait_for(lambda: StudentFeaturesStage.objects.count() == cohort)
            os.kill(process.pid, signal.SIGKILL)  # dies waiting to publish, its rows staged
            process.wait(timeout=30)
        finally:
            other.execute("SELECT pg_advisory_unlock_all()")
    # The server notices the dead client's connection (and frees its lock) shortly.
    _wait_for(lambda: _run_lock_free(StudentFeaturesStage.objects.first().run), seconds=30)

    features_compute(as_of=AS_OF, chunk_size=7)

    assert not StudentFeaturesStage.objects.exists()
    assert StudentFeatures.objects.filter(feature_date=AS_OF).count() == cohort


def _run_lock_free(run) -> bool:
    with _other_connection() as other:
        other.execute("SELECT pg_try_advisory_lock(%s)", [_lock_key("features-run", str(run))])
        free = other.fetchone()[0]
        other.execute("SELECT pg_advisory_unlock_all()")
    return free


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_stage_of_a_live_run_is_left_alone(small_district):
    district_import(folder=small_district)
    alive = _in_process_run()
    student = cohort_ids(as_of=AS_OF)[0]
    _stage_row(alive, student, as_of=AS_OF - dt.timedelta(days=7))
    with _other_connection() as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_lock_key("features-run", str(alive))])
        features_compute(as_of=AS_OF, chunk_size=7)
        assert list(StudentFeaturesStage.objects.values_list("run", flat=True)) == [alive]
        other.execute("SELECT pg_advisory_unlock_all()")
    features_compute(as_of=AS_OF, chunk_size=7)
    assert not StudentFeaturesStage.objects.exists()


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
