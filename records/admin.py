from django.contrib import admin
from django.db.models import Q
from django.urls import path
from rangefilter.filters import DateRangeFilterBuilder

from analytics.access_log import AccessLoggedAdmin
from records.admin_upload import template_view, upload_view
from records.models import (
    AttendanceRecord,
    DisciplineIncident,
    Enrollment,
    Grade,
    ImportRun,
    StudentOutcome,
)
from students.admin import GradeFilter
from students.admin_base import LargeTableAdmin, ReadOnlyAdminMixin, StudentColumnsMixin
from students.models import Student


class StudentGradeFilter(GradeFilter):
    """The student's grade, K then 1 to 12, as the student list shows it."""

    title = "student's grade"
    parameter_name = "student__grade_level"

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(student__grade_level=int(value))
        return queryset


class StudentRecordAdmin(AccessLoggedAdmin, StudentColumnsMixin, LargeTableAdmin):
    # The list page has an "Import CSV" button leading to the upload page for this file.
    change_list_template = "admin/records/change_list_with_import.html"
    import_file = ""  # the interchange file of this model
    autocomplete_fields = ("student",)
    readonly_fields = ("id", "created_at")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "import_file": self.import_file}
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        """The student search as `student_id IN (the matching students)`: the students are found
        through idx_students_district_id or a name prefix, then their rows through the index
        that leads with student_id. Django's own search joins every record to its student
        (seconds on millions of attendance rows, most of all when nothing matches)."""
        words = search_term.split()
        if not words:
            return queryset, False
        students = Student.objects.all()
        for word in words:
            students = students.filter(
                Q(district_id__iexact=word)
                | Q(last_name__istartswith=word)
                | Q(first_name__istartswith=word)
            )
        matches = Q(student__in=students.values("pk"))
        if "=course_id" in self.search_fields and len(words) == 1:
            matches |= Q(course_id__iexact=words[0])
        return queryset.filter(matches), False


@admin.register(Enrollment)
class EnrollmentAdmin(StudentRecordAdmin):
    import_file = "enrollments"
    list_display = (
        "school_year",
        "district_id",
        "student",
        "school",
        "grade_level",
        "entry_date",
        "exit_date",
        "exit_reason",
    )
    list_filter = ("school_year", "exit_reason", "school", GradeFilter)
    date_hierarchy = "entry_date"
    fields = (
        "student",
        ("school_year", "school", "grade_level"),
        ("entry_date", "exit_date", "exit_reason"),
        "id",
        "created_at",
    )


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(StudentRecordAdmin):
    import_file = "attendance"
    list_display = ("date", "district_id", "student", "period", "status")
    list_filter = (
        "status",
        ("date", DateRangeFilterBuilder(title="date")),
        StudentGradeFilter,
    )
    date_hierarchy = "date"
    fields = ("student", "date", "period", "status", "id", "created_at")


@admin.register(Grade)
class GradeAdmin(StudentRecordAdmin):
    import_file = "grades"
    list_display = (
        "submission_date",
        "district_id",
        "student",
        "course_id",
        "course_name",
        "assignment_type",
        "assignment_id",
        "grade_value",
        "grade_letter",
    )
    list_filter = (
        "assignment_type",
        ("submission_date", DateRangeFilterBuilder(title="submission date")),
        StudentGradeFilter,
    )
    search_fields = (*StudentColumnsMixin.search_fields, "=course_id")
    search_help_text = "Student district ID or course ID (exact), or the start of a student's name."
    date_hierarchy = "submission_date"
    fields = (
        "student",
        ("course_id", "course_name"),
        "submission_date",
        ("assignment_type", "assignment_id"),
        ("grade_value", "grade_letter"),
        "id",
        "created_at",
    )


@admin.register(DisciplineIncident)
class DisciplineIncidentAdmin(StudentRecordAdmin):
    import_file = "discipline"
    list_display = (
        "incident_date",
        "district_id",
        "student",
        "severity_level",
        "incident_type",
        "incident_id",
        "resolution",
    )
    list_filter = (
        "severity_level",
        ("incident_date", DateRangeFilterBuilder(title="incident date")),
        "incident_type",
        StudentGradeFilter,
    )
    date_hierarchy = "incident_date"
    fields = (
        "student",
        "incident_date",
        "severity_level",
        ("incident_type", "incident_id"),
        "description",
        "resolution",
        "id",
        "created_at",
    )


@admin.register(StudentOutcome)
class StudentOutcomeAdmin(StudentRecordAdmin):
    import_file = "outcomes"
    list_display = ("outcome_date", "district_id", "student", "outcome_type")
    list_filter = (
        "outcome_type",
        ("outcome_date", DateRangeFilterBuilder(title="outcome date")),
        StudentGradeFilter,
    )
    date_hierarchy = "outcome_date"
    fields = ("student", "outcome_type", "outcome_date", "notes", "id", "created_at")


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each successful bulk import: the audit trail of rows written by set-based SQL."""

    list_display = ("started_at", "finished_at", "user", "source", "files_summary")
    list_filter = ("source", ("started_at", DateRangeFilterBuilder(title="started")))
    readonly_fields = ("id", "started_at", "finished_at", "user", "source", "files")
    change_list_template = "admin/records/change_list_with_import.html"

    def get_urls(self):
        upload = self.admin_site.admin_view(lambda request: upload_view(self, request))
        template = self.admin_site.admin_view(
            lambda request, name: template_view(self, request, name)
        )
        return [
            path("upload/", upload, name="records_importrun_upload"),
            path("upload/template/<str:name>.csv", template, name="records_importrun_template"),
            *super().get_urls(),
        ]

    @admin.display(description="files")
    def files_summary(self, obj: ImportRun) -> str:
        return "; ".join(
            f"{name}: +{c['inserted']} ~{c['updated']}" for name, c in (obj.files or {}).items()
        )
