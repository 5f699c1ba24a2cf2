from django.contrib import admin
from django.urls import reverse
from rangefilter.filters import DateRangeFilterBuilder
from simple_history.admin import SimpleHistoryAdmin

from records.selectors import recent_records
from students.models import Student

# The student's full record lists, as admin changelists filtered to that student.
RECORD_LISTS = [
    ("attendance", "admin:records_attendancerecord_changelist"),
    ("grades", "admin:records_grade_changelist"),
    ("incidents", "admin:records_disciplineincident_changelist"),
    ("outcomes", "admin:records_studentoutcome_changelist"),
    ("features", "admin:analytics_studentfeaturesrow_changelist"),
    ("predictions", "admin:mlmodels_prediction_changelist"),
]


@admin.register(Student)
class StudentAdmin(SimpleHistoryAdmin):
    list_display = (
        "district_id",
        "last_name",
        "first_name",
        "grade",
        "enrollment_date",
        "gpa",
        "attendance_rate",
    )
    list_display_links = ("district_id", "last_name")
    list_filter = (
        "grade_level",
        ("enrollment_date", DateRangeFilterBuilder(title="enrollment date")),
        "gender",
        "socioeconomic_status",
    )
    search_fields = ("=district_id", "^last_name", "^first_name")
    search_help_text = "District ID (exact), or the start of a last or first name."
    show_full_result_count = False
    readonly_fields = ("id", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("district_id", ("last_name", "first_name"), "grade_level")}),
        (
            "Personal",
            {"fields": ("date_of_birth", "gender", "ethnicity", "socioeconomic_status")},
        ),
        ("Contact", {"fields": ("parent_contact",)}),
        (
            "Enrollment and reported figures",
            {"fields": ("enrollment_date", "gpa", "attendance_rate")},
        ),
        ("Other", {"fields": ("student_metadata", "id", "created_at", "updated_at")}),
    )
    change_form_template = "admin/students/student/change_form.html"
    change_list_template = "admin/records/change_list_with_import.html"

    @admin.display(description="grade", ordering="grade_level")
    def grade(self, obj: Student) -> str:
        return obj.grade_label

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "import_file": "students"}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context["recent"] = recent_records(student_id=obj.pk)
            extra_context["record_lists"] = [
                (label, f"{reverse(url)}?student__id__exact={obj.pk}")
                for label, url in RECORD_LISTS
            ]
        return super().change_view(request, object_id, form_url, extra_context)
