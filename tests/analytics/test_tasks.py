"""The weekly features through a real Redis broker and two real Celery worker processes."""

import datetime as dt
from contextlib import contextmanager

import pytest

from analytics.models import StudentFeatures, StudentFeaturesStage
from analytics.services import features_compute, features_compute_range
from analytics.tasks import compute_features_range, compute_weekly_features
from records.importing import district_import
from tests.celery_workers import (
    broker_for_this_process,
    celery_workers,
    redis_server,
    tasks_done_by_worker,
)

AS_OF = dt.date(2025, 9, 14)


def _rows():
    return {
        (str(f.student_id), f.feature_date): (
            f.attendance_rate,
            f.gpa_current,
            f.discipline_incidents,
            f.feature_vector,
        )
        for f in StudentFeatures.objects.all()
    }


@contextmanager
def _two_workers(tmp_path):
    with (
        redis_server(tmp_path) as broker,
        broker_for_this_process(broker),
        celery_workers(2, broker, tmp_path),
    ):
        yield


@pytest.mark.django_db(transaction=True)
def test_two_workers_compute_exactly_the_in_process_rows(small_district, tmp_path):
    district_import(folder=small_district)
    features_compute(as_of=AS_OF)
    in_process = _rows()
    StudentFeatures.objects.all().delete()

    with _two_workers(tmp_path):
        result = compute_weekly_features.delay(AS_OF.isoformat(), chunk_size=4)
        written = result.get(timeout=120)
        done = tasks_done_by_worker()

    assert written == len(in_process) > 30
    assert _rows() == in_process
    # 10 chunks, the kick-off task and the chord's callback were shared by both workers.
    assert len(done) == 2 and all(count > 0 for count in done.values()), done
    assert sum(done.values()) >= 12


@pytest.mark.django_db(transaction=True)
def test_a_range_through_two_workers_gives_the_in_process_rows(small_district, tmp_path):
    # A backfill fanned out: each chunk task reads its records once for every date, stages
    # each date's rows, and the callback publishes each date.
    district_import(folder=small_district)
    dates = [AS_OF - dt.timedelta(weeks=k) for k in (2, 1, 0)]
    features_compute_range(dates=dates)
    in_process = _rows()
    StudentFeatures.objects.all().delete()

    with _two_workers(tmp_path):
        result = compute_features_range.delay(
            dates[0].isoformat(), dates[-1].isoformat(), chunk_size=4
        )
        written = result.get(timeout=120)
        done = tasks_done_by_worker()

    assert written == {d.isoformat(): sum(k[1] == d for k in in_process) for d in dates}
    assert sum(written.values()) == len(in_process) > 60
    assert _rows() == in_process
    assert not StudentFeaturesStage.objects.exists()
    assert len(done) == 2 and all(count > 0 for count in done.values()), done
