import datetime as dt
import re

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.urls import reverse
from django.utils import formats, timezone
from rangefilter.filters import DateRangeFilterBuilder
from simple_history.admin import SimpleHistoryAdmin

from analytics.access_log import AccessLoggedAdmin
from analytics.models import AccessPage
from records.selectors import recent_records
from students.access import sees_everyone
from students.forms import GRADE_CHOICES, AssignmentForm
from students.models import Assignment, CaseNote, CheckIn, Intervention, InterventionType, Student

# The student's full record lists, as admin changelists filtered to that student.
RECORD_LISTS = [
    ("attendance", "admin:records_attendancerecord_changelist"),
    ("grades", "admin:records_grade_changelist"),
    ("incidents", "admin:records_disciplineincident_changelist"),
    ("outcomes", "admin:records_studentoutcome_changelist"),
    ("features", "admin:analytics_studentfeaturesrow_changelist"),
    ("predictions", "admin:mlmodels_prediction_changelist"),
]


# Control characters (C0/C1, line and paragraph separators, text-direction overrides) in a
# name: invisible on screen, and a name with U+202E reads backwards. The CSV import refuses the
# same characters (records/csv_format.py).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class GradeFilter(admin.SimpleListFilter):
    """The grade as the list shows it: K, then 1 to 12."""

    title = "grade"
    parameter_name = "grade_level"

    def lookups(self, request, model_admin):
        return [(value, label) for value, label in GRADE_CHOICES if value != ""]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(grade_level=int(value)) if value and value.isdigit() else queryset


class SchoolFilter(admin.SimpleListFilter):
    """The schools that have students (idx_students_school_grade), not a free-text field."""

    title = "school"
    parameter_name = "school"

    def lookups(self, request, model_admin):
        schools = (
            Student.objects.exclude(school__isnull=True)
            .exclude(school="")
            .order_by("school")
            .values_list("school", flat=True)
            .distinct()
        )
        return [(school, school) for school in schools]

    def queryset(self, request, queryset):
        return queryset.filter(school=self.value()) if self.value() else queryset


class StudentAdminForm(forms.ModelForm):
    """The student form: names without control characters; the school a hand-entered student
    belongs to (so that school caseloads reach them)."""

    class Meta:
        model = Student
        # The admin's fieldsets choose the fields shown; these are the editable ones.
        fields = (
            "district_id",
            "last_name",
            "first_name",
            "school",
            "grade_level",
            "date_of_birth",
            "gender",
            "ethnicity",
            "socioeconomic_status",
            "parent_contact",
            "enrollment_date",
            "gpa",
            "attendance_rate",
            "student_metadata",
        )

    def _clean_name(self, name: str) -> str:
        value = self.cleaned_data.get(name) or ""
        bad = _CONTROL.search(value)
        if bad:
            raise forms.ValidationError(
                f"Remove the invisible control character U+{ord(bad.group()):04X}: a name holds"
                " letters, spaces, hyphens and apostrophes."
            )
        return value

    def clean_first_name(self) -> str:
        return self._clean_name("first_name")

    def clean_last_name(self) -> str:
        return self._clean_name("last_name")


@admin.register(Student)
class StudentAdmin(AccessLoggedAdmin, SimpleHistoryAdmin):
    access_page = AccessPage.ADMIN_STUDENT
    form = StudentAdminForm
    list_display = (
        "district_id",
        "last_name",
        "first_name",
        "school",
        "grade",
        "enrollment_date",
        "gpa",
        "attendance_rate",
    )
    list_display_links = ("district_id", "last_name")
    list_filter = (
        SchoolFilter,
        GradeFilter,
        ("enrollment_date", DateRangeFilterBuilder(title="enrollment date")),
        "gender",
        "socioeconomic_status",
    )
    search_fields = ("=district_id", "^last_name", "^first_name")
    search_help_text = "District ID (exact), or the start of a last or first name."
    show_full_result_count = False
    readonly_fields = ("id", "created", "updated")
    fieldsets = (
        (
            None,
            {"fields": ("district_id", ("last_name", "first_name"), ("school", "grade_level"))},
        ),
        (
            "Personal",
            {"fields": ("date_of_birth", "gender", "ethnicity", "socioeconomic_status")},
        ),
        ("Contact", {"fields": ("parent_contact",)}),
        (
            "Enrollment and reported figures",
            {"fields": ("enrollment_date", "gpa", "attendance_rate")},
        ),
        ("Other", {"fields": ("student_metadata", "id", "created", "updated")}),
    )
    change_form_template = "admin/students/student/change_form.html"
    change_list_template = "admin/records/change_list_with_import.html"

    @admin.display(description="grade", ordering="grade_level")
    def grade(self, obj: Student) -> str:
        return obj.grade_label

    # created_at and updated_at are set by the database: before the first save the unsaved
    # object holds a DatabaseDefault expression, not a time.
    @admin.display(description="created at")
    def created(self, obj: Student) -> str:
        return _when(getattr(obj, "created_at", None))

    @admin.display(description="updated at")
    def updated(self, obj: Student) -> str:
        return _when(getattr(obj, "updated_at", None))

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
            if sees_everyone(request.user):
                extra_context["record_lists"].append(
                    (
                        "record of access",
                        f"{reverse('admin:analytics_accessentry_changelist')}"
                        f"?students__student__id__exact={obj.pk}",
                    )
                )
        return super().change_view(request, object_id, form_url, extra_context)


def _when(value) -> str:
    if isinstance(value, dt.datetime):
        return formats.localize(timezone.localtime(value))
    return "— (set when saved)"


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Caseloads: a counselor's or educator's students, one by one or by school and grade."""

    form = AssignmentForm
    list_display = ("user", "district_id", "school", "grade", "created_at")
    list_filter = ("user", "school", "grade_level")
    list_select_related = ("user", "student")
    autocomplete_fields = ("student",)
    search_fields = ("user__username", "=student__district_id", "school")
    search_help_text = "Username, student district ID (exact) or school."
    fields = ("user", "student", "school", "grade_level")

    @admin.display(description="student (district ID)", ordering="student__district_id")
    def district_id(self, obj: Assignment) -> str:
        return obj.student.district_id if obj.student_id else "—"

    @admin.display(description="grade", ordering="grade_level")
    def grade(self, obj: Assignment) -> str:
        if obj.student_id:
            return ""
        if obj.grade_level is None:
            return "every grade"
        return "K" if obj.grade_level == 0 else str(obj.grade_level)


class AssignmentInline(admin.TabularInline):
    model = Assignment
    form = AssignmentForm
    fk_name = "user"
    extra = 1
    autocomplete_fields = ("student",)
    fields = ("student", "school", "grade_level")
    verbose_name = "assigned student or group"
    verbose_name_plural = "caseload (assigned students and groups; counselors and educators)"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserWithCaseloadAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, AssignmentInline]


# --- Support: the intervention catalogue, interventions, case notes (all audited) ---------------


@admin.register(InterventionType)
class InterventionTypeAdmin(SimpleHistoryAdmin):
    """The district's catalogue: what counselors choose from when they start an intervention."""

    list_display = ("name", "domain", "is_active")
    list_filter = ("domain", "is_active")
    search_fields = ("name",)
    fields = ("name", "domain", "description", "is_active")


class CheckInInline(admin.TabularInline):
    model = CheckIn
    extra = 0
    fields = ("date", "author", "progress", "note")
    raw_id_fields = ("author",)


@admin.register(Intervention)
class InterventionAdmin(SimpleHistoryAdmin):
    list_display = ("student", "intervention_type", "tier", "status", "owner", "start_date")
    list_filter = ("status", "tier", "domain", "intervention_type")
    list_select_related = ("student", "intervention_type", "owner")
    search_fields = ("=student__district_id",)
    search_help_text = "Student district ID (exact)."
    autocomplete_fields = ("student",)
    raw_id_fields = ("owner", "prediction", "created_by")
    readonly_fields = ("last_check_in", "created_at", "updated_at")
    inlines = [CheckInInline]


@admin.register(CaseNote)
class CaseNoteAdmin(SimpleHistoryAdmin):
    """Case notes are education records: each change and deletion here is in the History too."""

    list_display = ("student", "date", "author", "visibility")
    list_filter = ("visibility", ("date", DateRangeFilterBuilder(title="date")))
    list_select_related = ("student", "author")
    search_fields = ("=student__district_id",)
    search_help_text = "Student district ID (exact)."
    autocomplete_fields = ("student",)
    raw_id_fields = ("author",)
    readonly_fields = ("created_at", "updated_at")
