from django.contrib import admin
from django.core.exceptions import ValidationError
from rangefilter.filters import DateRangeFilterBuilder

from analytics.models import AccessEntry, DistrictSettings, StudentFeaturesRow
from students.access import sees_everyone
from students.admin_base import EstimatedCountPaginator, ReadOnlyAdminMixin, StudentColumnsMixin


@admin.register(StudentFeaturesRow)
class StudentFeaturesAdmin(ReadOnlyAdminMixin, StudentColumnsMixin, admin.ModelAdmin):
    """Feature rows are computed by the weekly job: the admin shows them and changes nothing."""

    list_display = (
        "feature_date",
        "district_id",
        "student",
        "attendance_rate",
        "gpa_current",
        "discipline_incidents",
    )
    list_filter = (
        ("feature_date", DateRangeFilterBuilder(title="feature date")),
        "student__grade_level",
    )
    date_hierarchy = "feature_date"
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    change_list_template = "admin/large_change_list.html"

    def get_object(self, request, object_id, from_field=None):
        # Look the row up by its two real columns (the primary key's index), not by the view's
        # computed id, which no index covers.
        student_id, _, feature_date = str(object_id).rpartition(":")
        try:
            return self.get_queryset(request).get(student_id=student_id, feature_date=feature_date)
        except (StudentFeaturesRow.DoesNotExist, ValidationError, ValueError):
            return None


@admin.register(AccessEntry)
class AccessEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The record of access: district administrators and superusers read it; nobody edits or
    deletes an entry in the app (`purge_retention` prunes old ones)."""

    list_display = ("at", "username", "page", "student_count", "path")
    list_filter = (
        ("at", DateRangeFilterBuilder(title="date")),
        "page",
        ("user", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("=students__student__district_id", "=username")
    search_help_text = "A student's district ID, or a username (exact)."
    date_hierarchy = "at"
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    change_list_template = "admin/large_change_list.html"
    fields = ("at", "username", "user", "page", "path", "filters", "student_count", "shown")
    readonly_fields = fields
    SHOWN = 100

    def has_module_permission(self, request) -> bool:
        return request.user.is_staff and sees_everyone(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # The link from a student's admin page: that student's entries.
        return lookup == STUDENT_LOOKUP or super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if STUDENT_LOOKUP in request.GET:
            # The join to the entry's students repeats an entry per matching row.
            queryset = queryset.distinct()
        return queryset

    @admin.display(description=f"students (district IDs, the first {SHOWN})")
    def shown(self, obj: AccessEntry) -> str:
        ids = list(
            obj.students.order_by("student__district_id").values_list(
                "student__district_id", flat=True
            )[: self.SHOWN + 1]
        )
        more = f" and {obj.student_count - self.SHOWN:,} more" if len(ids) > self.SHOWN else ""
        return ", ".join(ids[: self.SHOWN]) + more or "-"


STUDENT_LOOKUP = "students__student__id__exact"


@admin.register(DistrictSettings)
class DistrictSettingsAdmin(admin.ModelAdmin):
    """The district's rules, one row (docs/district-settings.md): add it once, then change it."""

    fieldsets = (
        ("School year", {"fields": ("school_year_start_month", "school_year_start_day")}),
        ("Grading scale", {"fields": ("pass_mark", "grade_bands")}),
        (
            "Early-warning indicators",
            {
                "fields": (
                    "chronic_absence_share",
                    "abc_incidents_at_least",
                    "abc_severity_at_least",
                    "abc_gpa_below",
                )
            },
        ),
    )

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not DistrictSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
