"""Reads of a student's records."""

import datetime as dt
import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, Field, OuterRef, Q, Value

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
    attendance: list[AttendanceRecord]
    grades: list[Grade]
    incidents: list[DisciplineIncident]
    outcomes: list[StudentOutcome]


# What the newest records show, one column list for the four kinds: each kind fills its own
# fields and leaves the others NULL, so the four LIMITed reads go as one UNION ALL.
_RECENT_FIELDS = {
    AttendanceRecord: ("date", "status", "period"),
    Grade: (
        "submission_date",
        "course_id",
        "course_name",
        "assignment_type",
        "grade_value",
        "grade_letter",
    ),
    DisciplineIncident: ("incident_date", "severity_level", "incident_type", "resolution"),
    StudentOutcome: ("outcome_date", "outcome_type", "notes"),
}
_RECENT_ORDER = {
    AttendanceRecord: ("-date", "period"),
    Grade: ("-submission_date",),
    DisciplineIncident: ("-incident_date",),
    StudentOutcome: ("-outcome_date",),
}


def recent_records(*, student_id, limit: int = 10, outcomes: bool = True) -> RecentRecords:
    """The newest `limit` rows of each kind of record of one student (`outcomes=False`: without
    the outcomes, an empty list).

    Each kind is a LIMITed read on the (student_id, date) index of its table
    (idx_attendance_student_date, idx_discipline_student_date, idx_outcomes_student_date;
    idx_grades_student_course narrows grades to the student, who has hundreds at most), so a
    student with years of per-period attendance costs the same as a new one. On PostgreSQL
    the reads go as one UNION ALL statement (`_recent_sql`) and come back as unsaved model
    instances holding the shown fields (for their labels, e.g. get_status_display); SQLite,
    in-process and without a LIMIT inside a UNION, reads each kind through the ORM.
    """
    kinds = tuple(m for m in _RECENT_FIELDS if outcomes or m is not StudentOutcome)
    rows: dict = {model: [] for model in _RECENT_FIELDS}
    if connection.vendor != "postgresql":
        for model in kinds:
            rows[model] = list(
                model.objects.filter(student_id=student_id).order_by(*_RECENT_ORDER[model])[:limit]
            )
    else:
        columns = _recent_columns()
        with connection.cursor() as cursor:
            cursor.execute(_recent_sql(kinds), {"student": student_id, "limit": limit})
            found = cursor.fetchall()
        for kind, *cells in found:
            model = kinds[kind]
            fields = {
                field.name: cell
                for (owner, field), cell in zip(columns, cells, strict=True)
                if owner is model
            }
            rows[model].append(model(student_id=student_id, **fields))
    return RecentRecords(
        attendance=rows[AttendanceRecord],
        grades=rows[Grade],
        incidents=rows[DisciplineIncident],
        outcomes=rows[StudentOutcome],
    )


@functools.cache
def _recent_columns() -> list[tuple[type, Field]]:
    return [
        (model, model._meta.get_field(name))
        for model, names in _RECENT_FIELDS.items()
        for name in names
    ]


@functools.cache
def _recent_sql(kinds: tuple[type, ...]) -> str:
    """One LIMITed SELECT per kind, joined by UNION ALL: the kind's position, then every kind's
    columns, its own filled and the others typed NULLs (PostgreSQL matches a UNION's column
    types branch by branch)."""
    branches = []
    for kind, model in enumerate(kinds):
        table = model._meta.db_table
        cells = [
            f"{table}.{field.column}"
            if owner is model
            else f"CAST(NULL AS {field.db_type(connection)})"
            for owner, field in _recent_columns()
        ]
        order = ", ".join(
            f"{table}.{model._meta.get_field(name.lstrip('-')).column}"
            f"{' DESC' if name.startswith('-') else ''}"
            for name in _RECENT_ORDER[model]
        )
        branches.append(
            f"(SELECT {kind}, {', '.join(f'{cell} AS c{i}' for i, cell in enumerate(cells))} "
            f"FROM {table} "
            f"WHERE student_id = %(student)s ORDER BY {order} LIMIT %(limit)s)"
        )
    return " UNION ALL ".join(branches)


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
