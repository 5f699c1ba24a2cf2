"""Weekly feature vectors: what the risk model and the dashboards read; the record of access."""

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce, Now
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from students.db import RealField, range_check
from students.models import Student


class StudentFeatures(models.Model):
    """One student's computed features as of one date (weekly), keyed by (student, feature_date).

    `feature_vector` follows the schema document's structure: `attendance`, `academic`,
    `behavioral` (4 weekly values each), `trends` and `metadata`.
    """

    pk = models.CompositePrimaryKey("student_id", "feature_date")
    # idx_features_student_date (and the primary key) lead with student_id.
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, db_index=False, related_name="features"
    )
    feature_date = models.DateField()
    attendance_rate = RealField(null=True, blank=True)
    gpa_current = RealField("current GPA", null=True, blank=True)
    discipline_incidents = models.IntegerField(null=True, blank=True, default=0, db_default=0)
    feature_vector = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "student_features"
        verbose_name = "student features"
        verbose_name_plural = "student features"
        ordering = ["-feature_date"]
        constraints = [
            # Redundant with the primary key, as in the schema document, which declares both.
            models.UniqueConstraint(
                fields=["student", "feature_date"],
                name="student_features_student_id_feature_date_key",
            ),
            range_check("attendance_rate", 0, 1, "student_features"),
            range_check("gpa_current", 0, 5, "student_features"),
            models.CheckConstraint(
                condition=models.Q(discipline_incidents__gte=0),
                name="student_features_discipline_incidents_check",
            ),
        ]
        indexes = [
            models.Index(fields=["feature_date"], name="idx_features_date"),
            models.Index(fields=["student", "feature_date"], name="idx_features_student_date"),
        ]

    def __str__(self) -> str:
        return f"features of {self.student_id} as of {self.feature_date}"


class AttendanceWeek(models.Model):
    """Attendance records of one school week (Monday to Sunday) of one school and grade: how
    many, and how many marked present. Derived rows, what the attendance trends page reads
    instead of attendance_records (52 weeks of a three-year district: one GROUP BY over a few
    thousand rows, not over millions).

    The school and grade are the student's current ones, as the page's raw query had them.
    `analytics.attendance_weeks` keeps the rows exact: every import that changes students or
    attendance, every record saved or deleted one by one (the admin), a student whose school or
    grade changes, and the retention purge refresh the weeks they touch.
    """

    school = models.CharField(max_length=100, null=True, blank=True)
    grade_level = models.IntegerField(null=True, blank=True)
    week = models.DateField(help_text="The Monday that starts the week.")
    records = models.IntegerField()
    present = models.IntegerField()

    class Meta:
        db_table = "attendance_weeks"
        ordering = ["week", "school", "grade_level"]
        constraints = [
            # One row per (week, school, grade), a missing school or grade counted as one value.
            # Its leading `week` is what the page's range of weeks reads.
            models.UniqueConstraint(
                "week",
                Coalesce("school", Value("")),
                Coalesce("grade_level", Value(-1)),
                name="attendance_weeks_week_school_grade_key",
            ),
            models.CheckConstraint(
                condition=models.Q(present__gte=0, present__lte=models.F("records")),
                name="attendance_weeks_present_check",
            ),
        ]

    def __str__(self) -> str:
        return f"attendance of {self.school} grade {self.grade_level}, week of {self.week}"


class StudentFeaturesRow(models.Model):
    """Read-only view of `student_features` with a single-column key, for the admin.

    Django's admin refuses models with a composite primary key, and the schema keeps
    (student_id, feature_date) as the key. The view `student_features_admin` (migration 0002)
    adds `id` = "<student_id>:<feature_date>"; the admin looks rows up by the two real columns.
    """

    id = models.CharField(primary_key=True, max_length=64)
    student = models.ForeignKey(
        Student, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    feature_date = models.DateField()
    attendance_rate = RealField(null=True)
    gpa_current = RealField("current GPA", null=True)
    discipline_incidents = models.IntegerField(null=True)
    feature_vector = models.JSONField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "student_features_admin"
        verbose_name = "student features"
        verbose_name_plural = "student features"
        ordering = ["-feature_date", "student"]
        # Not created (the model is unmanaged): tells the admin that this ordering is already
        # total, so it does not add the computed `id`, which no index covers, to ORDER BY.
        constraints = [
            models.UniqueConstraint(
                fields=["student", "feature_date"], name="student_features_admin_key"
            )
        ]

    def __str__(self) -> str:
        return f"features as of {self.feature_date}"


class StudentFeaturesStage(models.Model):
    """A feature run's rows before they are published (analytics.services).

    The chunks of one run of `compute_features` (threads, or Celery workers) each write their
    rows here under the run's id, each in its own transaction; when every chunk is done, one
    transaction makes them the date's rows in `student_features` and empties the run. So a run
    that fails half-way leaves the date's published rows exactly as they were. On PostgreSQL the
    table is UNLOGGED (migration 0003): its rows are scratch, never worth a crash-safe write.
    """

    run = models.UUIDField()
    student_id = models.UUIDField()
    feature_date = models.DateField()
    attendance_rate = RealField(null=True)
    gpa_current = RealField(null=True)
    discipline_incidents = models.IntegerField()
    feature_vector = models.JSONField()
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "student_features_stage"

    def __str__(self) -> str:
        return f"staged features of {self.student_id} as of {self.feature_date}"


class AccessPage(models.TextChoices):
    """Where a record of access comes from."""

    STUDENT_PAGE = "student_page", "Student page"
    DASHBOARD_EXPORT = "dashboard_export", "Dashboard CSV export"
    ADMIN_STUDENT = "admin_student", "Admin: a student"
    ADMIN_RECORD = "admin_record", "Admin: a record of a student"
    RESEARCH_EXPORT = "research_export", "Research export (de-identified)"
    RETENTION_PURGE = "retention_purge", "Retention purge"


class AccessEntry(models.Model):
    """One access to student records: who, when, from which page, and (in `AccessedStudent`)
    which students. The record of disclosures of 34 CFR 99.32, kept by the application.

    Entries are written in bulk at the end of a request (`analytics.access_log`) and never
    edited: the admin shows them read-only, and only `purge_retention` deletes old ones. An
    export keeps its filters and its number of students; the students themselves are rows of
    `AccessedStudent`. `username` is kept when the account is deleted. No names: students are
    named by id, a path holds ids only.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # idx_access_user_at
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True, default="")
    page = models.CharField(max_length=30, choices=AccessPage.choices)
    path = models.CharField(max_length=300, blank=True, default="")
    filters = models.JSONField(default=dict, blank=True)
    student_count = models.IntegerField(default=0)

    class Meta:
        db_table = "access_log"
        verbose_name = "access entry"
        verbose_name_plural = "record of access"
        ordering = ["-at"]
        indexes = [
            # The admin's date filter and newest-first list; the retention prune's range.
            models.Index(fields=["at"], name="idx_access_at"),
            # "What did this user open", newest first.
            models.Index(fields=["user", "at"], name="idx_access_user_at"),
        ]

    def __str__(self) -> str:
        who = self.username or "a process"
        return f"{self.get_page_display()} by {who} at {self.at:%Y-%m-%d %H:%M}"


class AccessedStudent(models.Model):
    """One student of an access entry. Deleted with the student (a purged student's record of
    access goes with their records) or with the entry."""

    id = models.BigAutoField(primary_key=True)
    entry = models.ForeignKey(AccessEntry, on_delete=models.CASCADE, related_name="students")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, db_index=False, related_name="+")

    class Meta:
        db_table = "access_log_students"
        verbose_name = "accessed student"
        indexes = [
            # "Who opened this student's records": the per-student list in the admin.
            models.Index(fields=["student", "entry"], name="idx_access_students_student"),
        ]

    def __str__(self) -> str:
        return f"student {self.student_id}"


def default_year_start_month() -> int:
    return settings.EDUPULSE_SCHOOL_YEAR_START[0]


def default_year_start_day() -> int:
    return settings.EDUPULSE_SCHOOL_YEAR_START[1]


def default_grade_bands() -> list[dict]:
    """US letter grades on a 0-100 scale: the documented default grading scale."""
    return [
        {"letter": "A", "min": 90, "points": 4.0},
        {"letter": "B", "min": 80, "points": 3.0},
        {"letter": "C", "min": 70, "points": 2.0},
        {"letter": "D", "min": 60, "points": 1.0},
    ]


class DistrictSettings(models.Model):
    """The district's rules in one place (docs/district-settings.md): the school year, the
    grading scale, chronic absence and the ABC indicators. One row; without it the documented
    defaults apply (`analytics.district_settings.current`). Features, the ABC rules, explanations
    and the generator read them through that function."""

    school_year_start_month = models.PositiveSmallIntegerField(
        default=default_year_start_month,
        help_text="The month the school year starts (1-12); default 8 (August).",
    )
    school_year_start_day = models.PositiveSmallIntegerField(
        default=default_year_start_day,
        help_text="The day of that month the school year starts; default 1.",
    )
    pass_mark = models.FloatField(
        default=60.0, help_text="A course average below this fails the course (default 60)."
    )
    grade_bands = models.JSONField(
        default=default_grade_bands,
        help_text=(
            'Letter bands, highest first: [{"letter": "A", "min": 90, "points": 4.0}, ...]. '
            "A course average at or above a band's minimum earns its GPA points; below the last "
            "band earns 0. The last band's minimum is normally the pass mark."
        ),
    )
    chronic_absence_share = models.FloatField(
        default=0.10,
        help_text=(
            "A student missing at least this share of school days this year is chronically "
            "absent (default 0.10: 10%); this is also the ABC attendance indicator."
        ),
    )
    abc_incidents_at_least = models.PositiveSmallIntegerField(
        default=2, help_text="ABC behavior indicator: this many incidents in 90 days (default 2)."
    )
    abc_severity_at_least = models.PositiveSmallIntegerField(
        default=3,
        help_text="ABC behavior indicator: or any incident of this severity or more (1-5; 3).",
    )
    abc_gpa_below = models.FloatField(
        default=2.0, help_text="ABC course indicator: a GPA below this, or a failing course (2.0)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "district_settings"
        verbose_name = "district settings"
        verbose_name_plural = "district settings"

    def __str__(self) -> str:
        return "District settings"

    def clean(self) -> None:
        from analytics.district_settings import grading_errors

        errors = {}
        try:
            dt.date(2001, self.school_year_start_month, self.school_year_start_day)
        except (TypeError, ValueError):
            errors["school_year_start_day"] = "Not a day of that month (29 February is refused)."
        problems = grading_errors(self.grade_bands)
        if problems:
            errors["grade_bands"] = problems
        if not 0 < (self.chronic_absence_share or 0) < 1:
            errors["chronic_absence_share"] = "A share between 0 and 1, e.g. 0.10."
        if not 1 <= (self.abc_severity_at_least or 0) <= 5:
            errors["abc_severity_at_least"] = "A severity level from 1 to 5."
        if errors:
            raise ValidationError(errors)


@receiver(post_save, sender=DistrictSettings)
@receiver(post_delete, sender=DistrictSettings)
def _forget_district_settings(**kwargs) -> None:
    from analytics import district_settings

    district_settings.clear()
