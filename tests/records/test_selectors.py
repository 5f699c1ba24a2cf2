"""Reads of one student's records (records/selectors.py)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records.selectors import recent_records, records_by_day
from tests.records.factories import (
    AttendanceRecordFactory,
    DisciplineIncidentFactory,
    GradeFactory,
    StudentOutcomeFactory,
)
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 9, 1)


def test_recent_records_are_each_kinds_newest_in_one_statement_where_the_database_allows():
    student, other = StudentFactory(), StudentFactory()
    for n in range(12):
        AttendanceRecordFactory(
            student=student, date=DAY + dt.timedelta(days=n), status="absent", period=1
        )
        GradeFactory(student=student, submission_date=DAY + dt.timedelta(days=n), grade_value=n)
    DisciplineIncidentFactory(student=student, incident_date=DAY, severity_level=5)
    StudentOutcomeFactory(student=student)
    AttendanceRecordFactory(student=other, date=DAY + dt.timedelta(days=30))

    with CaptureQueriesContext(connection) as queries:
        recent = recent_records(student_id=student.pk, limit=10)
    # PostgreSQL takes the four LIMITed reads as one UNION ALL; SQLite, one read each.
    one = connection.features.supports_slicing_ordering_in_compound
    assert len(queries.captured_queries) == (1 if one else 4)

    assert [r.date for r in recent.attendance] == [
        DAY + dt.timedelta(days=n) for n in range(11, 1, -1)
    ]
    assert {(r.get_status_display(), r.period) for r in recent.attendance} == {("Absent", 1)}
    assert [g.grade_value for g in recent.grades] == [float(n) for n in range(11, 1, -1)]
    assert {(g.course_id, g.course_name) for g in recent.grades} == {("MATH-9", "Algebra I")}
    [incident] = recent.incidents
    assert (incident.incident_date, incident.severity_level) == (DAY, 5)
    assert incident.get_severity_level_display().startswith("5")
    [outcome] = recent.outcomes
    assert (outcome.get_outcome_type_display(), outcome.notes) == ("Failed", "Failed Algebra I.")

    without = recent_records(student_id=student.pk, outcomes=False)
    assert without.outcomes == [] and len(without.attendance) == 10


def test_records_by_day_counts_each_day_of_the_window():
    student = StudentFactory()
    for period, status in ((1, "present"), (2, "absent"), (3, "tardy")):
        AttendanceRecordFactory(student=student, date=DAY, period=period, status=status)
    AttendanceRecordFactory(student=student, date=DAY + dt.timedelta(days=1), status="absent")
    AttendanceRecordFactory(student=student, date=DAY + dt.timedelta(days=40))  # after the window
    DisciplineIncidentFactory(student=student, incident_date=DAY, incident_type="fight")
    DisciplineIncidentFactory(student=student, incident_date=DAY, incident_type="theft")

    with CaptureQueriesContext(connection) as queries:
        days, incidents = records_by_day(
            student_id=student.pk, first=DAY, last=DAY + dt.timedelta(days=30)
        )
    assert len(queries.captured_queries) == 1
    assert days == [(DAY, 3, 2), (DAY + dt.timedelta(days=1), 1, 0)]
    assert incidents == [(DAY, 2)]
