"""What happened to each student, day by day: attendance, grades, discipline, and outcomes."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce, Now
from simple_history.models import HistoricalRecords

from students.db import RealField, choices_check, range_check
from students.models import Student


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    ABSENT = "absent", "Absent"
    TARDY = "tardy", "Tardy"
    EXCUSED = "excused", "Excused"


class AttendanceRecord(models.Model):
    """One student's attendance for one day, or for one period of a day in secondary schools.

    `period` is NULL where the school records the whole day.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # idx_attendance_student_date leads with student_id, so the FK needs no index of its own.
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, db_index=False, related_name="attendance_records"
    )
    date = models.DateField()
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices)
    period = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    history = HistoricalRecords(table_name="attendance_records_history")

    class Meta:
        db_table = "attendance_records"
        ordering = ["-date", "period"]
        constraints = [
            # The document's UNIQUE(student_id, date, period), with a NULL period counted as one
            # value: a plain UNIQUE treats NULLs as distinct and would let a whole-day record be
            # entered twice. COALESCE makes it hold on PostgreSQL and SQLite alike.
            models.UniqueConstraint(
                "student",
                "date",
                Coalesce("period", -1),
                name="attendance_records_student_id_date_period_key",
                violation_error_message=(
                    "This student already has an attendance record for that date and period."
                ),
            ),
            choices_check("status", AttendanceStatus, "attendance_records"),
        ]
        indexes = [
            models.Index(fields=["student", "date"], name="idx_attendance_student_date"),
            models.Index(fields=["date", "status"], name="idx_attendance_date_status"),
            models.Index(fields=["status"], name="idx_attendance_status"),
        ]

    def __str__(self) -> str:
        period = f" period {self.period}" if self.period is not None else ""
        return f"{self.date}{period}: {self.status}"


class Grade(models.Model):
    """One graded piece of work (or a course mark) of a student in a course, 0-100."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # idx_grades_student_course leads with student_id.
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, db_index=False, related_name="grades"
    )
    course_id = models.CharField("course ID", max_length=50)
    course_name = models.CharField(max_length=200, null=True, blank=True)
    grade_value = RealField(null=True, blank=True, help_text="0 to 100")
    grade_letter = models.CharField(max_length=2, null=True, blank=True)
    submission_date = models.DateField()
    assignment_type = models.CharField(
        max_length=50, null=True, blank=True, help_text="homework, quiz, test, project, ..."
    )
    # The gradebook entry's id in the district's system, when it sends one: then (student,
    # assignment_id) is the row's key, and several marks of a type in a course on one day are fine.
    assignment_id = models.CharField(
        "assignment ID",
        max_length=100,
        null=True,
        blank=True,
        help_text="The gradebook entry's id in the district's system (optional).",
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    history = HistoricalRecords(table_name="grades_history")

    class Meta:
        db_table = "grades"
        ordering = ["-submission_date", "course_id"]
        constraints = [
            range_check("grade_value", 0, 100, "grades"),
            # The natural key the schema document lacks (docs/data-formats.md): a re-import
            # updates the grade of the same piece of work instead of adding a second row. It
            # holds for rows without an assignment_id; rows with one are keyed by it.
            models.UniqueConstraint(
                "student",
                "course_id",
                "submission_date",
                Coalesce("assignment_type", Value("")),
                condition=models.Q(assignment_id__isnull=True),
                name="grades_natural_key",
                violation_error_message=(
                    "This student already has a grade of this type in this course on that date."
                ),
            ),
            models.UniqueConstraint(
                fields=["student", "assignment_id"],
                condition=models.Q(assignment_id__isnull=False),
                name="grades_assignment_key",
                violation_error_message="This student already has a grade for this assignment.",
            ),
        ]
        indexes = [
            models.Index(fields=["student", "course_id"], name="idx_grades_student_course"),
            models.Index(fields=["submission_date"], name="idx_grades_submission_date"),
            models.Index(fields=["course_id"], name="idx_grades_course_id"),
            models.Index(fields=["assignment_type"], name="idx_grades_assignment_type"),
        ]

    def __str__(self) -> str:
        return f"{self.course_id} {self.assignment_type or ''} {self.submission_date}"


class Severity(models.IntegerChoices):
    MINOR = 1, "1 - Minor (tardy, dress code)"
    MODERATE = 2, "2 - Moderate (disruption, inappropriate language)"
    SERIOUS = 3, "3 - Serious (defiance, fighting)"
    MAJOR = 4, "4 - Major (weapons, drugs)"
    CRITICAL = 5, "5 - Critical (violence, safety threats)"


class DisciplineIncident(models.Model):
    """A behavioural incident, with the schema document's 1-5 severity scale."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # idx_discipline_student_date leads with student_id.
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, db_index=False, related_name="discipline_incidents"
    )
    incident_date = models.DateField()
    severity_level = models.IntegerField(choices=Severity.choices, null=True, blank=True)
    incident_type = models.CharField(max_length=100, null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    resolution = models.CharField(max_length=200, null=True, blank=True)
    # The incident's id in the district's system, when it sends one: then (student, incident_id)
    # is the row's key (one incident can involve several students, each with a row).
    incident_id = models.CharField(
        "incident ID",
        max_length=100,
        null=True,
        blank=True,
        help_text="The incident's id in the district's system (optional).",
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    history = HistoricalRecords(table_name="discipline_incidents_history")

    class Meta:
        db_table = "discipline_incidents"
        ordering = ["-incident_date"]
        constraints = [
            range_check("severity_level", 1, 5, "discipline_incidents"),
            # The natural key the schema document lacks (docs/data-formats.md), for rows
            # without an incident_id; rows with one are keyed by it.
            models.UniqueConstraint(
                "student",
                "incident_date",
                Coalesce("incident_type", Value("")),
                condition=models.Q(incident_id__isnull=True),
                name="discipline_incidents_natural_key",
                violation_error_message=(
                    "This student already has an incident of this type on that date."
                ),
            ),
            models.UniqueConstraint(
                fields=["student", "incident_id"],
                condition=models.Q(incident_id__isnull=False),
                name="discipline_incidents_incident_key",
                violation_error_message="This student already has a row for this incident.",
            ),
        ]
        indexes = [
            models.Index(fields=["student", "incident_date"], name="idx_discipline_student_date"),
            models.Index(fields=["severity_level"], name="idx_discipline_severity"),
            models.Index(fields=["incident_type"], name="idx_discipline_type"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_date} {self.incident_type or 'incident'}"


class OutcomeType(models.TextChoices):
    DROPPED_OUT = "dropped_out", "Dropped out"
    WITHDRAWN = "withdrawn", "Withdrawn"
    TRANSFERRED = "transferred", "Transferred"
    GRADUATED = "graduated", "Graduated"
    FAILED = "failed", "Failed"
    RETAINED = "retained", "Retained"
    PASSED = "passed", "Passed"


class StudentOutcome(models.Model):
    """What actually happened to a student: the ground truth the risk model learns from.

    An addition to the schema document (see docs/schema.md).
    """

    # Outcomes that end a student's enrollment: such a student leaves the weekly cohort.
    TERMINAL = frozenset(
        {
            OutcomeType.DROPPED_OUT,
            OutcomeType.WITHDRAWN,
            OutcomeType.TRANSFERRED,
            OutcomeType.GRADUATED,
        }
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # idx_outcomes_student_date leads with student_id.
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, db_index=False, related_name="outcomes"
    )
    outcome_type = models.CharField(max_length=20, choices=OutcomeType.choices)
    outcome_date = models.DateField()
    notes = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    history = HistoricalRecords(table_name="student_outcomes_history")

    class Meta:
        db_table = "student_outcomes"
        ordering = ["-outcome_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "outcome_type", "outcome_date"],
                name="student_outcomes_student_id_outcome_type_outcome_date_key",
                violation_error_message="This student already has this outcome on that date.",
            ),
            choices_check("outcome_type", OutcomeType, "student_outcomes"),
        ]
        indexes = [
            models.Index(fields=["student", "outcome_date"], name="idx_outcomes_student_date"),
            models.Index(fields=["outcome_type", "outcome_date"], name="idx_outcomes_type_date"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_type_display()} on {self.outcome_date}"

    @property
    def is_terminal(self) -> bool:
        return self.outcome_type in self.TERMINAL


class ExitReason(models.TextChoices):
    COMPLETED_YEAR = "completed_year", "Completed the school year"
    GRADUATED = "graduated", "Graduated"
    TRANSFERRED = "transferred", "Transferred"
    DROPPED_OUT = "dropped_out", "Dropped out"
    WITHDRAWN = "withdrawn", "Withdrawn"
    OTHER = "other", "Other"


class Enrollment(models.Model):
    """A student's enrollment in one school for one school year: the grade they were in, when they
    entered and left, and why they left (the shape of a SIS's student-school association).

    An addition to the schema document (docs/schema.md). `Student.grade_level` and `school` stay
    the current values; features, the cohort and the fairness audit read the grade and school a
    student had on the as-of date from here (analytics/selectors.py).
    `exit_date` is the last day enrolled; empty while the student is still enrolled.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # idx_enrollments_student_entry leads with student_id.
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, db_index=False, related_name="enrollments"
    )
    school_year = models.CharField(max_length=9, help_text="YYYY-YYYY, e.g. 2025-2026")
    school = models.CharField(max_length=100)
    grade_level = models.IntegerField(
        null=True, blank=True, help_text="0 is kindergarten, 1-12 the grades."
    )
    entry_date = models.DateField()
    exit_date = models.DateField(
        null=True, blank=True, help_text="The last day enrolled; empty while enrolled."
    )
    exit_reason = models.CharField(max_length=20, choices=ExitReason.choices, null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    history = HistoricalRecords(table_name="enrollments_history")

    class Meta:
        db_table = "enrollments"
        ordering = ["-entry_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school_year", "school"],
                name="enrollments_natural_key",
                violation_error_message=(
                    "This student already has an enrollment in this school for that year."
                ),
            ),
            range_check("grade_level", 0, 12, "enrollments"),
            choices_check("exit_reason", ExitReason, "enrollments"),
        ]
        indexes = [
            models.Index(fields=["student", "entry_date"], name="idx_enrollments_student_entry"),
            models.Index(fields=["school_year", "school"], name="idx_enrollments_year_school"),
        ]

    def __str__(self) -> str:
        return f"{self.school_year} {self.school}, grade {self.grade_level}"


class ImportRun(models.Model):
    """One successful CSV import: who loaded which files, when, and what it changed.

    Bulk imports write millions of rows with set-based SQL, which bypasses the per-row history;
    this row is their entry in the audit trail. A failed import writes nothing, not even this.
    """

    class Source(models.TextChoices):
        COMMAND = "command", "import_csv command"
        ADMIN = "admin", "admin upload"
        GENERATOR = "generator", "generate_district"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(db_default=Now())
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    # {"attendance.csv": {"rows": 120, "inserted": 100, "updated": 5, "unchanged": 15}, ...}
    files = models.JSONField(default=dict)

    class Meta:
        db_table = "import_runs"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"import of {', '.join(self.files) or 'nothing'} at {self.started_at:%Y-%m-%d %H:%M}"
