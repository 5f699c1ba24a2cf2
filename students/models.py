import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Now
from simple_history.models import HistoricalRecords

from students.db import CurrentDate, RealField, choices_check, range_check
from students.demographics import Ethnicity, Gender, SocioeconomicStatus


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
    # Controlled values (students/demographics.py): the fairness audit groups by them.
    gender = models.CharField(max_length=10, choices=Gender.choices, null=True, blank=True)
    ethnicity = models.CharField(max_length=100, choices=Ethnicity.choices, null=True, blank=True)
    socioeconomic_status = models.CharField(
        max_length=50, choices=SocioeconomicStatus.choices, null=True, blank=True
    )
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


# --- Support: interventions (MTSS), check-ins, case notes ---------------------------------------


class Domain(models.TextChoices):
    """What an intervention works on: the three early-warning domains (the ABC of attendance,
    behavior and course performance)."""

    ATTENDANCE = "attendance", "Attendance"
    BEHAVIOR = "behavior", "Behavior"
    COURSE_PERFORMANCE = "course_performance", "Course performance"


class Tier(models.IntegerChoices):
    """MTSS tiers: 1 universal, 2 targeted (small group), 3 intensive (individual)."""

    UNIVERSAL = 1, "Tier 1 (universal)"
    TARGETED = 2, "Tier 2 (targeted)"
    INTENSIVE = 3, "Tier 3 (intensive)"


class InterventionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    DISCONTINUED = "discontinued", "Discontinued"


# Statuses of an intervention still under way (the dashboards' "active intervention").
OPEN_STATUSES = (InterventionStatus.PLANNED, InterventionStatus.ACTIVE)
CLOSED_STATUSES = (InterventionStatus.COMPLETED, InterventionStatus.DISCONTINUED)


class InterventionType(models.Model):
    """The district's catalogue of interventions, edited in the admin (seeded by migration 0005).

    A type no longer offered is made inactive rather than deleted: interventions keep it.
    """

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=100)
    domain = models.CharField(
        max_length=20,
        choices=Domain.choices,
        help_text="The domain it usually serves (offered first for a factor of that domain).",
    )
    description = models.TextField(blank=True, default="")
    is_active = models.BooleanField("offered", default=True)

    history = HistoricalRecords(table_name="intervention_types_history")

    class Meta:
        db_table = "intervention_types"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="intervention_types_name_key"),
            choices_check("domain", Domain, "intervention_types"),
        ]

    def __str__(self) -> str:
        return self.name


class Intervention(models.Model):
    """A student's support plan: what, in which domain and tier, who owns it, until when.

    `last_check_in` is the date of the newest check-in (kept by `students.interventions`), so
    "check-in due" is a plain comparison the dashboards can filter on in SQL
    (idx_interventions_student_status, then the row).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, db_index=False, related_name="interventions"
    )
    intervention_type = models.ForeignKey(
        InterventionType,
        on_delete=models.PROTECT,
        related_name="interventions",
        verbose_name="type",
    )
    domain = models.CharField(max_length=20, choices=Domain.choices)
    tier = models.IntegerField(choices=Tier.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="owned_interventions",
        help_text="A counselor, educator or administrator who can see the student.",
    )
    goal = models.TextField(help_text="What should change, in words, and how it will be seen.")
    start_date = models.DateField()
    planned_end = models.DateField()
    status = models.CharField(
        max_length=20, choices=InterventionStatus.choices, default=InterventionStatus.ACTIVE
    )
    outcome = models.TextField(blank=True, default="", help_text="How it went, when closed.")
    ended_on = models.DateField(null=True, blank=True)
    # The prediction that prompted it, when there is one. SET NULL (in the database too): the
    # weekly scoring deletes a leaver's predictions with plain SQL.
    prediction = models.ForeignKey(
        "mlmodels.Prediction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interventions",
    )
    last_check_in = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), editable=False)

    history = HistoricalRecords(table_name="interventions_history", excluded_fields=["updated_at"])

    class Meta:
        db_table = "interventions"
        ordering = ["-start_date", "-created_at"]
        constraints = [
            choices_check("domain", Domain, "interventions"),
            choices_check("status", InterventionStatus, "interventions"),
            range_check("tier", 1, 3, "interventions"),
            models.CheckConstraint(
                condition=models.Q(planned_end__gte=models.F("start_date")),
                name="interventions_planned_end_check",
                violation_error_message="The planned end cannot be before the start.",
            ),
        ]
        indexes = [
            # A student's plans (the student page, the dashboard's filters and column).
            models.Index(fields=["student", "status"], name="idx_interventions_student_stat"),
            # A user's work list: their open plans, due first.
            models.Index(fields=["owner", "status"], name="idx_interventions_owner_status"),
            models.Index(fields=["start_date"], name="idx_interventions_start_date"),
        ]

    def __str__(self) -> str:
        return f"{self.intervention_type} (tier {self.tier}) for student {self.student_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def last_contact(self) -> dt.date:
        """The newest check-in, or the start when there is none yet."""
        return max(filter(None, (self.last_check_in, self.start_date)))

    def is_due(self, today: dt.date, every_days: int) -> bool:
        """An open intervention whose last check-in (or start) is more than `every_days` ago."""
        return self.is_open and self.last_contact < today - dt.timedelta(days=every_days)


class Progress(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    SOME = "some_progress", "Some progress"
    NONE = "no_progress", "No progress"


class CheckIn(models.Model):
    """A follow-up of an intervention: when, by whom, how it is going."""

    id = models.BigAutoField(primary_key=True)
    intervention = models.ForeignKey(
        Intervention, on_delete=models.CASCADE, db_index=False, related_name="check_ins"
    )
    date = models.DateField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    progress = models.CharField(max_length=20, choices=Progress.choices)
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    history = HistoricalRecords(table_name="intervention_check_ins_history")

    class Meta:
        db_table = "intervention_check_ins"
        ordering = ["-date", "-created_at"]
        constraints = [choices_check("progress", Progress, "intervention_check_ins")]
        indexes = [
            models.Index(fields=["intervention", "date"], name="idx_check_ins_intervention"),
        ]

    def __str__(self) -> str:
        return f"{self.get_progress_display()} on {self.date}"


class NoteVisibility(models.TextChoices):
    EVERYONE = "everyone", "Everyone who can see the student"
    COUNSELORS = "counselors", "Counselors and administrators only"


class CaseNote(models.Model):
    """A note on a student: an education record. Every create, change and delete is in the
    audit trail (`case_notes_history`, django-simple-history, with the user who made it)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, db_index=False, related_name="case_notes"
    )
    date = models.DateField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    visibility = models.CharField(
        max_length=20, choices=NoteVisibility.choices, default=NoteVisibility.EVERYONE
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), editable=False)

    history = HistoricalRecords(table_name="case_notes_history", excluded_fields=["updated_at"])

    class Meta:
        db_table = "case_notes"
        ordering = ["-date", "-created_at"]
        constraints = [choices_check("visibility", NoteVisibility, "case_notes")]
        indexes = [models.Index(fields=["student", "date"], name="idx_case_notes_student_date")]

    def __str__(self) -> str:
        return f"note of {self.date} on student {self.student_id}"


# --- Weekly digests -------------------------------------------------------------------------------


class StaffProfile(models.Model):
    """A user's own settings (their profile page). No row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    weekly_digest = models.BooleanField(
        "weekly digest email",
        default=True,
        help_text="After the weekly scoring: your students newly high or critical, and your "
        "interventions with a check-in due.",
    )

    class Meta:
        db_table = "staff_profiles"

    def __str__(self) -> str:
        return f"profile of user {self.user_id}"


class DigestAnnouncement(models.Model):
    """The throttle: the highest category a user has been told about for a student.

    A student is announced again only when their category rises above it; the row goes when
    the student is no longer high or critical, so a later return is news again.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    risk_category = models.CharField(max_length=20)
    as_of = models.DateField()

    class Meta:
        db_table = "digest_announcements"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "student"], name="digest_announcements_user_student_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.risk_category} as of {self.as_of}"


class DigestDelivery(models.Model):
    """One digest sent to one user for one scoring week: a second run of the week sends none."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField()
    sent_at = models.DateTimeField(db_default=Now())
    students = models.IntegerField(default=0)
    due_interventions = models.IntegerField(default=0)

    class Meta:
        db_table = "digest_deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "as_of"], name="digest_deliveries_user_as_of_key"
            )
        ]

    def __str__(self) -> str:
        return f"digest as of {self.as_of} to user {self.user_id}"
