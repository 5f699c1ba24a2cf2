from django.contrib import admin
from django.core.exceptions import ValidationError
from rangefilter.filters import DateRangeFilterBuilder

from analytics.models import StudentFeaturesRow
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
