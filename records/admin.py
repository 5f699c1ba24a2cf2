from django.contrib import admin
from rangefilter.filters import DateRangeFilterBuilder

from records.models import AttendanceRecord, DisciplineIncident, Grade, StudentOutcome
from students.admin_base import LargeTableAdmin

# Records name their student by district ID (exact) or the start of the student's names.
STUDENT_SEARCH = ("=student__district_id", "^student__last_name", "^student__first_name")


class StudentRecordAdmin(LargeTableAdmin):
    autocomplete_fields = ("student",)
    list_select_related = ("student",)
    search_fields = STUDENT_SEARCH
    search_help_text = "Student district ID (exact), or the start of a last or first name."
    readonly_fields = ("id", "created_at")

    @admin.display(description="district ID", ordering="student__district_id")
    def district_id(self, obj) -> str:
        return obj.student.district_id


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(StudentRecordAdmin):
    list_display = ("date", "district_id", "student", "period", "status")
    list_filter = (
        "status",
        ("date", DateRangeFilterBuilder(title="date")),
        "student__grade_level",
    )
    date_hierarchy = "date"
    fields = ("student", "date", "period", "status", "id", "created_at")


@admin.register(Grade)
class GradeAdmin(StudentRecordAdmin):
    list_display = (
        "submission_date",
        "district_id",
        "student",
        "course_id",
        "course_name",
        "assignment_type",
        "grade_value",
        "grade_letter",
    )
    list_filter = (
        "assignment_type",
        ("submission_date", DateRangeFilterBuilder(title="submission date")),
        "student__grade_level",
    )
    search_fields = (*STUDENT_SEARCH, "=course_id")
    search_help_text = "Student district ID or course ID (exact), or the start of a student's name."
    date_hierarchy = "submission_date"
    fields = (
        "student",
        ("course_id", "course_name"),
        "submission_date",
        "assignment_type",
        ("grade_value", "grade_letter"),
        "id",
        "created_at",
    )


@admin.register(DisciplineIncident)
class DisciplineIncidentAdmin(StudentRecordAdmin):
    list_display = (
        "incident_date",
        "district_id",
        "student",
        "severity_level",
        "incident_type",
        "resolution",
    )
    list_filter = (
        "severity_level",
        ("incident_date", DateRangeFilterBuilder(title="incident date")),
        "incident_type",
        "student__grade_level",
    )
    date_hierarchy = "incident_date"
    fields = (
        "student",
        "incident_date",
        "severity_level",
        "incident_type",
        "description",
        "resolution",
        "id",
        "created_at",
    )


@admin.register(StudentOutcome)
class StudentOutcomeAdmin(StudentRecordAdmin):
    list_display = ("outcome_date", "district_id", "student", "outcome_type")
    list_filter = (
        "outcome_type",
        ("outcome_date", DateRangeFilterBuilder(title="outcome date")),
        "student__grade_level",
    )
    date_hierarchy = "outcome_date"
    fields = ("student", "outcome_type", "outcome_date", "notes", "id", "created_at")
