"""Feature rows in the database, on SQLite and PostgreSQL alike (the suite runs on both)."""

import datetime as dt

import pytest
from django.core.management import call_command

from analytics import features
from analytics.models import StudentFeatures, StudentFeaturesStage
from analytics.selectors import cohort_ids, last_completed_week
from analytics.services import ABANDONED, features_compute
from analytics.tasks import compute_weekly_features
from records.importing import district_import
from records.models import AttendanceRecord
from tests.records.factories import (
    AttendanceRecordFactory,
    DisciplineIncidentFactory,
    GradeFactory,
    StudentOutcomeFactory,
)
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db
T = dt.date(2025, 10, 5)


def _vectors(as_of=T):
    return {
        str(f.student_id): (
            f.attendance_rate,
            f.gpa_current,
            f.discipline_incidents,
            f.feature_vector,
        )
        for f in StudentFeatures.objects.filter(feature_date=as_of)
    }


@pytest.fixture
def student():
    student = StudentFactory(enrollment_date=dt.date(2025, 8, 18), grade_level=4)
    days = {"2025-09-29": "present", "2025-09-30": "absent", "2025-10-01": "tardy"}
    for day, status in {**days, "2025-10-02": "present"}.items():
        AttendanceRecordFactory(student=student, date=day, status=status)
    GradeFactory(student=student, course_id="MATH-4", grade_value=72, submission_date="2025-09-30")
    DisciplineIncidentFactory(student=student, incident_date="2025-10-01", severity_level=3)
    return student


def test_a_students_row_holds_the_computed_features(student):
    assert features_compute(as_of=T) == 1
    row = StudentFeatures.objects.get(student=student, feature_date=T)
    assert row.attendance_rate == 0.75
    assert row.gpa_current == 2.0
    assert row.discipline_incidents == 1
    assert row.feature_vector["attendance"] == [None, None, None, 0.75]
    assert row.feature_vector["features"]["incidents_90d_severity_3"] == 1


def test_the_cohort_is_enrolled_students_without_a_terminal_outcome():
    enrolled = StudentFactory(enrollment_date=dt.date(2025, 8, 18))
    StudentFactory(enrollment_date=dt.date(2025, 10, 6))  # enrolls after T
    left = StudentFactory(enrollment_date=dt.date(2025, 8, 18))
    StudentOutcomeFactory(student=left, outcome_type="transferred", outcome_date=T)
    leaves_later = StudentFactory(enrollment_date=dt.date(2025, 8, 18))
    StudentOutcomeFactory(
        student=leaves_later, outcome_type="dropped_out", outcome_date=T + dt.timedelta(days=1)
    )
    failed = StudentFactory(enrollment_date=dt.date(2025, 8, 18))
    StudentOutcomeFactory(student=failed, outcome_type="failed", outcome_date=dt.date(2025, 9, 1))

    expected = {str(s.pk).replace("-", "") for s in (enrolled, leaves_later, failed)}
    assert {i.replace("-", "") for i in cohort_ids(as_of=T)} == expected


def test_recomputing_a_date_replaces_its_rows(student):
    features_compute(as_of=T)
    first = _vectors()
    features_compute(as_of=T)
    assert _vectors() == first
    assert StudentFeatures.objects.filter(feature_date=T).count() == 1


def test_a_record_dated_after_the_as_of_date_changes_nothing(student):
    features_compute(as_of=T)
    before = _vectors()
    AttendanceRecordFactory(student=student, date="2025-10-06", status="absent")
    GradeFactory(student=student, course_id="ENG-4", grade_value=0, submission_date="2025-10-07")
    DisciplineIncidentFactory(student=student, incident_date="2025-10-06", severity_level=5)
    features_compute(as_of=T)
    assert _vectors() == before


def test_a_student_who_left_loses_the_row_of_that_date(student):
    features_compute(as_of=T)
    StudentOutcomeFactory(
        student=student, outcome_type="withdrawn", outcome_date=dt.date(2025, 10, 3)
    )
    features_compute(as_of=T)
    assert not StudentFeatures.objects.filter(feature_date=T).exists()


def test_other_dates_keep_their_rows(student):
    features_compute(as_of=T - dt.timedelta(days=7))
    features_compute(as_of=T)
    assert StudentFeatures.objects.filter(student=student).count() == 2


def test_the_celery_fan_out_writes_exactly_the_in_process_rows(small_district):
    district_import(folder=small_district)
    as_of = dt.date(2025, 9, 14)
    features_compute(as_of=as_of)
    in_process = _vectors(as_of)
    StudentFeatures.objects.all().delete()

    compute_weekly_features.apply(kwargs={"as_of": as_of.isoformat(), "chunk_size": 7}).get()

    assert len(in_process) > 30
    assert _vectors(as_of) == in_process


def test_the_command_backfills_every_week(student, capsys):
    call_command("compute_features", "--from=2025-09-21", "--to=2025-10-05", "--no-progress")
    dates = sorted(StudentFeatures.objects.values_list("feature_date", flat=True))
    assert dates == [dt.date(2025, 9, 21), dt.date(2025, 9, 28), T]
    assert "2025-10-05: 1 feature rows" in capsys.readouterr().out


def test_the_default_date_is_the_sunday_ending_the_last_completed_week():
    assert last_completed_week(dt.date(2025, 10, 8)) == T  # a Wednesday
    assert last_completed_week(T) == T  # a Sunday
    assert last_completed_week(dt.date(2025, 10, 11)) == T  # a Saturday


@pytest.mark.django_db(transaction=True)
def test_chunks_computed_at_once_write_exactly_the_rows_of_one_at_a_time(small_district):
    district_import(folder=small_district)
    as_of = dt.date(2025, 9, 14)
    features_compute(as_of=as_of, chunk_size=7, workers=1)
    one_at_a_time = _vectors(as_of)
    StudentFeatures.objects.all().delete()

    features_compute(as_of=as_of, chunk_size=7, workers=3)

    assert len(one_at_a_time) > 30
    assert _vectors(as_of) == one_at_a_time


class ChunkFails(Exception):
    pass


def _fail_on_chunk(monkeypatch, number: int):
    """Make the `number`-th chunk's computation (1-based) fail, as a crash would."""
    compute, calls = features.compute, []

    def failing(windows, records):
        calls.append(1)
        if len(calls) == number:
            raise ChunkFails(f"chunk {number}")
        return compute(windows, records)

    monkeypatch.setattr(features, "compute", failing)


@pytest.mark.django_db(transaction=True)  # on PostgreSQL, chunks run in two threads
def test_a_run_that_fails_half_way_leaves_the_dates_rows_as_they_were(small_district, monkeypatch):
    district_import(folder=small_district)
    as_of = dt.date(2025, 9, 14)
    features_compute(as_of=as_of, chunk_size=7)
    before = _vectors(as_of)
    # New records that would change every student's row, then a run that dies in chunk 3 of 6.
    AttendanceRecord.objects.filter(date__lte=as_of).update(status="absent")
    _fail_on_chunk(monkeypatch, 3)
    with pytest.raises(ChunkFails):
        features_compute(as_of=as_of, chunk_size=7)

    assert _vectors(as_of) == before  # not one row of the failed run is visible
    assert not StudentFeaturesStage.objects.exists()  # and none is left behind
    monkeypatch.undo()
    features_compute(as_of=as_of, chunk_size=7)  # simply run again
    after = _vectors(as_of)
    assert after.keys() == before.keys()
    assert all(after[s] != before[s] for s in before)


def test_a_new_week_that_fails_half_way_has_no_rows_at_all(small_district, monkeypatch):
    district_import(folder=small_district)
    _fail_on_chunk(monkeypatch, 2)
    with pytest.raises(ChunkFails):
        features_compute(as_of=dt.date(2025, 9, 14), chunk_size=7)
    assert not StudentFeatures.objects.exists()


def test_a_celery_run_whose_chunk_fails_publishes_nothing(student, monkeypatch):
    features_compute(as_of=T)
    before = _vectors()
    AttendanceRecordFactory(student=student, date="2025-10-03", status="absent")
    _fail_on_chunk(monkeypatch, 1)
    with pytest.raises(ChunkFails):
        compute_weekly_features.apply(kwargs={"as_of": T.isoformat()}).get()
    assert _vectors() == before


def test_the_stage_of_a_run_that_died_is_swept_by_the_next_run(student):
    died = StudentFeaturesStage.objects.create(
        run="00000000-0000-4000-8000-000000000001",
        student_id=student.pk,
        feature_date=T,
        discipline_incidents=0,
        feature_vector={},
    )
    StudentFeaturesStage.objects.filter(pk=died.pk).update(
        created_at=died.created_at - ABANDONED - dt.timedelta(minutes=1)
    )
    features_compute(as_of=T)
    assert not StudentFeaturesStage.objects.exists()
    assert StudentFeatures.objects.filter(feature_date=T).count() == 1
