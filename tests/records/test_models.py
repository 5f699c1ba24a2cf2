import datetime as dt

import pytest

from records.models import AttendanceRecord, StudentOutcome
from tests.helpers import assert_rejected
from tests.records.factories import (
    AttendanceRecordFactory,
    DisciplineIncidentFactory,
    GradeFactory,
    StudentOutcomeFactory,
)
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["late", "PRESENT", ""])
def test_attendance_rejects_an_unknown_status(status):
    assert_rejected(AttendanceRecordFactory, status=status)


@pytest.mark.parametrize("status", ["present", "absent", "tardy", "excused"])
def test_attendance_accepts_each_document_status(status):
    assert AttendanceRecordFactory(status=status).status == status


def test_attendance_rejects_a_second_record_for_the_same_student_day_and_period():
    record = AttendanceRecordFactory(period=3)
    assert_rejected(AttendanceRecordFactory, student=record.student, date=record.date, period=3)


def test_attendance_allows_other_periods_of_the_same_day():
    record = AttendanceRecordFactory(period=3)
    AttendanceRecordFactory(student=record.student, date=record.date, period=4)
    assert AttendanceRecord.objects.filter(student=record.student, date=record.date).count() == 2


def test_attendance_rejects_a_second_whole_day_record():
    """NULL period counts as one value: a whole-day record cannot be entered twice."""
    record = AttendanceRecordFactory(period=None)
    assert_rejected(AttendanceRecordFactory, student=record.student, date=record.date, period=None)


@pytest.mark.parametrize("value", [-0.5, 100.5])
def test_grades_reject_a_value_outside_0_to_100(value):
    assert_rejected(GradeFactory, grade_value=value)


@pytest.mark.parametrize("field", ["course_id", "submission_date"])
def test_grades_reject_a_missing_required_value(field):
    assert_rejected(GradeFactory, **{field: None})


@pytest.mark.parametrize("level", [0, 6])
def test_discipline_rejects_a_severity_outside_1_to_5(level):
    assert_rejected(DisciplineIncidentFactory, severity_level=level)


def test_discipline_rejects_a_missing_incident_date():
    assert_rejected(DisciplineIncidentFactory, incident_date=None)


def test_outcome_rejects_an_unknown_type():
    assert_rejected(StudentOutcomeFactory, outcome_type="expelled")


def test_outcome_rejects_the_same_type_twice_on_the_same_day():
    outcome = StudentOutcomeFactory()
    assert_rejected(
        StudentOutcomeFactory,
        student=outcome.student,
        outcome_type=outcome.outcome_type,
        outcome_date=outcome.outcome_date,
    )


def test_outcome_terminal_types_end_enrollment():
    student = StudentFactory()
    dropped = StudentOutcomeFactory(student=student, outcome_type="dropped_out")
    failed = StudentOutcomeFactory(
        student=student, outcome_type="failed", outcome_date=dt.date(2026, 1, 1)
    )
    assert dropped.is_terminal
    assert not failed.is_terminal
    assert {o.value for o in StudentOutcome.TERMINAL} == {
        "dropped_out",
        "withdrawn",
        "transferred",
        "graduated",
    }


@pytest.mark.parametrize(
    "factory",
    [AttendanceRecordFactory, GradeFactory, DisciplineIncidentFactory, StudentOutcomeFactory],
)
def test_every_record_needs_a_student(factory):
    assert_rejected(factory, student=None)
