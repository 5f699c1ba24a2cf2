"""purge_retention: students whose enrollment ended long ago go, with everything of theirs."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection

from analytics import access_log
from analytics.models import AccessedStudent, AccessEntry, AccessPage, StudentFeatures
from mlmodels.models import ModelMetadata, Prediction, TrainingFeedback
from records.models import AttendanceRecord, Grade, StudentOutcome
from records.retention import expired_students, retention_purge, years_before
from students.models import Assignment, Student
from tests.analytics.factories import StudentFeaturesFactory
from tests.mlmodels.factories import TrainingFeedbackFactory
from tests.records.factories import (
    AttendanceRecordFactory,
    DisciplineIncidentFactory,
    EnrollmentFactory,
    GradeFactory,
    StudentOutcomeFactory,
)
from tests.students.factories import AssignmentFactory, StudentFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 9, 1)
LONG_AGO = dt.date(2019, 6, 15)


def _student_with_everything(left_on, outcome="graduated"):
    student = StudentFactory()
    AttendanceRecordFactory(student=student, date=left_on - dt.timedelta(days=3))
    GradeFactory(student=student, submission_date=left_on - dt.timedelta(days=10))
    DisciplineIncidentFactory(student=student, incident_date=left_on - dt.timedelta(days=20))
    StudentOutcomeFactory(student=student, outcome_type=outcome, outcome_date=left_on)
    StudentFeaturesFactory(student=student, feature_date=left_on - dt.timedelta(days=7))
    TrainingFeedbackFactory(prediction__student=student)
    AssignmentFactory(student=student)
    access_log.write([access_log.entry(page=AccessPage.STUDENT_PAGE, students=[student.pk])])
    return student


def _history_rows(table, column, value) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = %s", [value])
        return cursor.fetchone()[0]


def test_it_deletes_a_long_gone_student_with_everything_and_keeps_the_others():
    gone = _student_with_everything(LONG_AGO)
    recent = _student_with_everything(dt.date(2024, 6, 15))
    enrolled = StudentFactory()  # no leaving outcome: still enrolled
    AttendanceRecordFactory(student=enrolled, date=LONG_AGO)
    model = Prediction.objects.get(student=gone).model_version
    model.performance_metrics = {"auc_roc": 0.81}
    model.save()

    purge = retention_purge(older_than_years=5, today=TODAY)

    assert purge.students == 1
    assert set(Student.objects.all()) == {recent, enrolled}
    for table in (AttendanceRecord, Grade, StudentOutcome, StudentFeatures, Prediction):
        assert not table.objects.filter(student=gone.pk).exists()
    assert not TrainingFeedback.objects.filter(prediction__student=gone.pk).exists()
    assert not Assignment.objects.filter(student=gone.pk).exists()
    assert not AccessedStudent.objects.filter(student=gone.pk).exists()
    assert TrainingFeedback.objects.filter(prediction__student=recent).exists()
    # The audit trail of a purged student goes too: it holds their name.
    assert _history_rows("students_history", "id", gone.pk.hex if _hex() else gone.pk) == 0
    assert purge.rows["students_history"] >= 1 and purge.rows["attendance_records"] == 1
    model.refresh_from_db()
    assert model.performance_metrics == {"auc_roc": 0.81}  # models keep their metrics


def _hex() -> bool:
    return connection.vendor == "sqlite"  # Django stores UUIDs as 32 hex digits there


def test_a_student_who_came_back_is_kept():
    student = _student_with_everything(LONG_AGO, outcome="withdrawn")
    AttendanceRecordFactory(student=student, date=dt.date(2025, 9, 2))
    assert not expired_students(cutoff=years_before(TODAY, 5)).exists()


def test_an_outcome_that_does_not_end_enrollment_does_not_expire_a_student():
    _student_with_everything(LONG_AGO, outcome="retained")
    assert retention_purge(older_than_years=5, today=TODAY).students == 0


def test_the_run_writes_one_audit_entry_with_counts_and_no_names():
    gone = _student_with_everything(LONG_AGO)
    AccessEntry.objects.all().delete()
    retention_purge(older_than_years=5, today=TODAY)
    [entry] = AccessEntry.objects.all()
    assert entry.page == AccessPage.RETENTION_PURGE and entry.student_count == 1
    assert entry.filters["rows"]["students"] == 1
    text = str(entry.filters)
    assert gone.last_name not in text and gone.district_id not in text and str(gone.pk) not in text
    assert not entry.students.exists()


def test_a_dry_run_counts_the_same_rows_and_deletes_nothing(capsys):
    _student_with_everything(LONG_AGO)
    _student_with_everything(dt.date(2018, 1, 5), outcome="dropped_out")
    before = (
        Student.objects.count(),
        AttendanceRecord.objects.count(),
        AccessEntry.objects.count(),
    )
    dry = retention_purge(older_than_years=5, today=TODAY, dry_run=True)
    assert (
        Student.objects.count(),
        AttendanceRecord.objects.count(),
        AccessEntry.objects.count(),
    ) == before
    real = retention_purge(older_than_years=5, today=TODAY)
    assert dry.rows == real.rows and dry.students == real.students == 2
    assert retention_purge(older_than_years=5, today=TODAY).students == 0  # idempotent


def test_old_entries_of_the_record_of_access_are_pruned():
    student = StudentFactory()
    access_log.write([access_log.entry(page=AccessPage.STUDENT_PAGE, students=[student.pk])])
    AccessEntry.objects.update(at=dt.datetime(2019, 1, 1, tzinfo=dt.UTC))
    access_log.write([access_log.entry(page=AccessPage.STUDENT_PAGE, students=[student.pk])])
    purge = retention_purge(older_than_years=5, access_log_years=5, today=TODAY)
    assert purge.access_entries == 1
    assert AccessEntry.objects.filter(page=AccessPage.STUDENT_PAGE).count() == 1
    assert AccessedStudent.objects.count() == 1


def test_the_command_prints_counts_and_never_names(capsys):
    gone = _student_with_everything(LONG_AGO)
    call_command("purge_retention", "--older-than", "5", "--dry-run")
    out = capsys.readouterr().out
    assert "1 students" in out and "attendance_records: 1" in out and "Dry run" in out
    assert gone.last_name not in out and gone.district_id not in out
    assert Student.objects.filter(pk=gone.pk).exists()
    call_command("purge_retention", "--older-than", "5")
    assert not Student.objects.filter(pk=gone.pk).exists()
    assert ModelMetadata.objects.exists()


def test_with_an_enrollment_history_the_last_enrollment_decides():
    cutoff = years_before(TODAY, 5)
    gone = StudentFactory()  # left in 2019, no leaving outcome recorded
    EnrollmentFactory(
        student=gone, school_year="2018-2019", entry_date=dt.date(2018, 8, 20),
        exit_date=LONG_AGO, exit_reason="completed_year",
    )  # fmt: skip
    recent = StudentFactory()  # an old enrollment and a recent one
    EnrollmentFactory(
        student=recent, school_year="2018-2019", entry_date=dt.date(2018, 8, 20),
        exit_date=LONG_AGO, exit_reason="completed_year",
    )  # fmt: skip
    EnrollmentFactory(
        student=recent, school_year="2023-2024", entry_date=dt.date(2023, 8, 21),
        exit_date=dt.date(2024, 6, 7), exit_reason="transferred",
    )  # fmt: skip
    enrolled = StudentFactory()  # an old graduation outcome, but enrolled now
    StudentOutcomeFactory(student=enrolled, outcome_type="graduated", outcome_date=LONG_AGO)
    EnrollmentFactory(student=enrolled, school_year="2026-2027", entry_date=dt.date(2026, 8, 17))
    assert list(expired_students(cutoff=cutoff)) == [gone]
