"""Weekly feature vectors: what the risk model and the dashboards read; the record of access."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
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
