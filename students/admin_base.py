"""Admin building blocks for tables of millions of rows (attendance, grades, predictions...)."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from simple_history.admin import SimpleHistoryAdmin


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered large table from an estimate.

    An exact COUNT(*) over tens of millions of attendance rows takes seconds on every page of
    the admin list. For an unfiltered list an estimate is enough to paginate: on PostgreSQL the
    planner's statistics (pg_class.reltuples, kept current by autovacuum), on SQLite the largest
    rowid (one probe; the number of rows ever inserted, exact until rows are deleted). A
    filtered list is counted exactly.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is None or query.where or query.distinct:
            return super().count
        connection = connections[queryset.db]
        table = queryset.model._meta.db_table
        if connection.vendor == "postgresql":
            sql, params = "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table]
        elif connection.vendor == "sqlite" and queryset.model._meta.managed:
            sql, params = f"SELECT MAX(rowid) FROM {connection.ops.quote_name(table)}", []
        else:
            return super().count
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        estimate = row[0] if row and row[0] is not None else -1
        # -1 means never analysed; small tables are cheap to count exactly.
        if estimate < 100_000:
            return super().count
        return estimate


class LargeTableAdmin(SimpleHistoryAdmin):
    """A history-aware admin that stays fast on large tables."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    change_list_template = "admin/large_change_list.html"


class ReadOnlyAdminMixin:
    """For rows the system writes (feature rows, import runs): shown in the admin, never edited."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class StudentColumnsMixin:
    """For rows that belong to a student: the district ID column and the student search."""

    list_select_related = ("student",)
    search_fields = ("=student__district_id", "^student__last_name", "^student__first_name")
    search_help_text = "Student district ID (exact), or the start of a last or first name."

    @admin.display(description="district ID", ordering="student__district_id")
    def district_id(self, obj) -> str:
        return obj.student.district_id
