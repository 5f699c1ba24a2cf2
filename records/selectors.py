"""Reads of a student's records."""

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value

from records.models import (
    AttendanceRecord,
    AttendanceStatus,
    DisciplineIncident,
    Grade,
    StudentOutcome,
)
from students.models import Student


@dataclass(frozen=True)
class RecentRecords:
    attendance: QuerySet[AttendanceRecord]
    grades: QuerySet[Grade]
    incidents: QuerySet[DisciplineIncident]
    outcomes: QuerySet[StudentOutcome]


def recent_records(*, student_id, limit: int = 10) -> RecentRecords:
    """The newest `limit` rows of each kind of record of one student.

    Each is one LIMITed query on the (student_id, date) index of its table
    (idx_attendance_student_date, idx_discipline_student_date, idx_outcomes_student_date), so a
    student with years of per-period attendance costs the same as a new one.
    """
    return RecentRecords(
        attendance=AttendanceRecord.objects.filter(student_id=student_id).order_by(
            "-date", "period"
        )[:limit],
        # idx_grades_student_course narrows to the student, who has hundreds of grades at most.
        grades=Grade.objects.filter(student_id=student_id).order_by("-submission_date")[:limit],
        incidents=DisciplineIncident.objects.filter(student_id=student_id).order_by(
            "-incident_date"
        )[:limit],
        outcomes=StudentOutcome.objects.filter(student_id=student_id).order_by("-outcome_date")[
            :limit
        ],
    )


def records_by_day(*, student_id, first: dt.date, last: dt.date) -> tuple[list, list]:
    """The student's days with records from `first` to `last`, in one statement (two GROUP BYs
    joined by UNION ALL, on idx_attendance_student_date and idx_discipline_student_date):

    - attendance: (date, records, attended) for each day with attendance records (a day, or each
      period of it); attended = present or tardy, as in the features (analytics/selectors.py);
    - incidents: (date, incidents) for each day with an incident.
    """
    attendance = (
        AttendanceRecord.objects.filter(student_id=student_id, date__gte=first, date__lte=last)
        .order_by()
        .values("date")
        .annotate(
            kind=Value("a"),
            records=Count("pk"),
            attended=Count(
                "pk", filter=Q(status__in=(AttendanceStatus.PRESENT, AttendanceStatus.TARDY))
            ),
        )
        .values_list("kind", "date", "records", "attended")
    )
    incidents = (
        DisciplineIncident.objects.filter(
            student_id=student_id, incident_date__gte=first, incident_date__lte=last
        )
        .order_by()
        .values("incident_date")
        .annotate(kind=Value("i"), incidents=Count("pk"), none=Value(0))
        .values_list("kind", "incident_date", "incidents", "none")
    )
    days: list[tuple] = []
    incident_days: list[tuple] = []
    for kind, day, count, attended in sorted(attendance.union(incidents, all=True)):
        if kind == "a":
            days.append((day, count, attended))
        else:
            incident_days.append((day, count))
    return days, incident_days


def school_sends_attendance(*, school: str, first: dt.date, last: dt.date) -> bool:
    """Whether any student of `school` has an attendance record from `first` to `last`: a school
    whose SIS export carries no attendance has none, which is a fact about the data, not about
    its students. One EXISTS: the school's students (idx_students_school_grade), each probed on
    idx_attendance_student_date until one has a record."""
    return (
        Student.objects.filter(school=school)
        .filter(
            Exists(
                AttendanceRecord.objects.filter(
                    student_id=OuterRef("pk"), date__gte=first, date__lte=last
                )
            )
        )
        .exists()
    )


def schools_without_attendance(*, first: dt.date, last: dt.date) -> list[str]:
    """The schools (students' current school) none of whose students has an attendance record
    from `first` to `last`: a data-coverage fact for the model page. One statement: per school,
    its students (idx_students_school_grade), each probed on idx_attendance_student_date until
    one has a record, so a school that sends attendance costs a probe or two."""
    sql = """
        SELECT school FROM (SELECT DISTINCT school FROM students WHERE school <> '') schools
        WHERE NOT EXISTS (
            SELECT 1 FROM students s JOIN attendance_records a ON a.student_id = s.id
            WHERE s.school = schools.school AND a.date >= %s AND a.date <= %s
        )
        ORDER BY school
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [first, last])
        return [school for (school,) in cursor.fetchall()]
