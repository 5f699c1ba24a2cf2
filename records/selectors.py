"""Reads of a student's records."""

from dataclasses import dataclass

from django.db.models import QuerySet

from records.models import AttendanceRecord, DisciplineIncident, Grade, StudentOutcome


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
