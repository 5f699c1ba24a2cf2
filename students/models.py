import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Now
from simple_history.models import HistoricalRecords

from students.db import CurrentDate, RealField, range_check


class Student(models.Model):
    """A student of the district: who they are and their enrollment.

    `district_id` is the district's own identifier (the student information system's key) and the
    key every import names a student by. `gpa` and `attendance_rate` are the values the district
    reports; EduPulse's own computed figures live in `analytics.StudentFeatures`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district_id = models.CharField("district ID", max_length=50)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    # An addition to the schema document (docs/schema.md): dashboards filter and caseloads are
    # assigned by school.
    school = models.CharField(max_length=100, null=True, blank=True)
    grade_level = models.IntegerField(
        null=True, blank=True, help_text="0 is kindergarten, 1-12 the grades."
    )
    date_of_birth = models.DateField()
    gender = models.CharField(max_length=10, null=True, blank=True)
    ethnicity = models.CharField(max_length=100, null=True, blank=True)
    socioeconomic_status = models.CharField(max_length=50, null=True, blank=True)
    gpa = RealField("GPA", null=True, blank=True, help_text="0.0 to 4.0")
    attendance_rate = RealField(null=True, blank=True, help_text="0.0 to 1.0")
    parent_contact = models.CharField(max_length=200, null=True, blank=True)
    enrollment_date = models.DateField(null=True, blank=True, db_default=CurrentDate())
    student_metadata = models.JSONField(default=dict, blank=True, db_default={})
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    # auto_now covers ORM saves; a database trigger (migration 0002) covers set-based SQL updates.
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), editable=False)

    history = HistoricalRecords(table_name="students_history", excluded_fields=["updated_at"])

    class Meta:
        db_table = "students"
        ordering = ["last_name", "first_name", "district_id"]
        constraints = [
            models.UniqueConstraint(fields=["district_id"], name="students_district_id_key"),
            range_check("grade_level", 0, 12, "students"),
            range_check("gpa", 0, 4.0, "students"),
            range_check("attendance_rate", 0, 1.0, "students"),
        ]
        indexes = [
            models.Index(fields=["district_id"], name="idx_students_district_id"),
            models.Index(fields=["grade_level"], name="idx_students_grade_level"),
            models.Index(fields=["enrollment_date"], name="idx_students_enrollment_date"),
            models.Index(fields=["created_at"], name="idx_students_created_at"),
            models.Index(fields=["school", "grade_level"], name="idx_students_school_grade"),
        ]

    def __str__(self) -> str:
        # The admin shows names to staff; logs use `log_label` instead.
        return f"{self.last_name}, {self.first_name} ({self.district_id})"

    @property
    def log_label(self) -> str:
        """How logs refer to a student: the UUID only, never a name or contact."""
        return f"student {self.pk}"

    @property
    def grade_label(self) -> str:
        if self.grade_level is None:
            return "-"
        return "K" if self.grade_level == 0 else str(self.grade_level)


class Assignment(models.Model):
    """One line of a counselor's caseload or an educator's assigned students.

    Either one student, or a whole group: every student of `school` (in `grade_level` when given).
    A group follows enrollment: a student who joins the school and grade is on the caseload
    without a new row. Who may see whom is decided in one place, `students.access`.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    student = models.ForeignKey(
        Student,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        help_text="One student; or leave empty and give a school (and grade) for a group.",
    )
    school = models.CharField(
        max_length=100,
        null=True,
        blank=True,
        help_text="A whole group: every student of this school (in the grade, if given).",
    )
    grade_level = models.IntegerField(
        null=True, blank=True, help_text="0 is kindergarten; empty means every grade."
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "student_assignments"
        ordering = ["user", "school", "grade_level"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(student__isnull=False, school__isnull=True, grade_level__isnull=True)
                    | models.Q(student__isnull=True, school__isnull=False)
                ),
                name="student_assignments_student_or_group",
                violation_error_message=(
                    "Give either one student, or a school (and optionally a grade level)."
                ),
            ),
            range_check("grade_level", 0, 12, "student_assignments"),
            models.UniqueConstraint(
                fields=["user", "student"],
                condition=models.Q(student__isnull=False),
                name="student_assignments_user_student_key",
                violation_error_message="This student is already assigned to this user.",
            ),
            # A NULL grade (the whole school) counts as one value, as in attendance's key.
            models.UniqueConstraint(
                "user",
                "school",
                Coalesce("grade_level", -1),
                condition=models.Q(student__isnull=True),
                name="student_assignments_user_group_key",
                violation_error_message="This group is already assigned to this user.",
            ),
        ]
        indexes = [
            # students.access probes a user's rows: (user_id, ...) leads both unique indexes,
            # and this one serves the reverse lookup "who has this student".
            models.Index(fields=["student"], name="idx_assignments_student"),
        ]

    def __str__(self) -> str:
        if self.student_id:
            return f"student {self.student_id}"
        grade = "every grade" if self.grade_level is None else f"grade {self.grade_level}"
        return f"{self.school}, {grade}"
