"""The weekly attendance summary (`AttendanceWeek`): its refresh, and what keeps it exact.

The attendance trends page reads these rows, never attendance_records. Each refresh is set-based:
for a range of whole weeks (and, when given, some (school, grade) groups) one DELETE of the
summary rows and one INSERT ... SELECT ... GROUP BY over attendance_records joined to students,
in one transaction, on SQLite and PostgreSQL alike. Refreshing a range twice leaves the same rows.

Who refreshes what:
- an import that changed students or attendance (`records.ImportRun` saved, inside the import's
  transaction): every week that has records (a student's school or grade may have changed);
- an attendance record saved or deleted one by one (the admin): its week, for its student's
  school and grade (and the week and group it had before an edit);
- a student whose school or grade changes (the admin): the weeks of their records, for the old
  and the new group; a deleted student: the weeks of their records, for their group;
- the retention purge, after its deletes: every week before its cut-off;
- `manage.py refresh_attendance_weeks --from --to`: any range, e.g. after writing records with
  raw SQL.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Max, Min
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from analytics import page_cache
from analytics.models import AttendanceWeek
from records.models import AttendanceRecord, AttendanceStatus, ImportRun
from students.models import Student

Group = tuple[str | None, int | None]  # (school, grade level)

# The Monday of a record's week. SQLite: 'weekday 0' moves to the Sunday ending the week (a
# Sunday stays), six days back is its Monday. PostgreSQL: date_trunc's weeks start on Monday.
_WEEK = {
    "sqlite": "date(a.date, 'weekday 0', '-6 days')",
    "postgresql": "CAST(date_trunc('week', a.date) AS date)",
}
_LOCK = 0x61747765656B73  # "atweeks": one advisory lock serialises refreshes on PostgreSQL


def week_start(day: dt.date) -> dt.date:
    """The Monday that starts `day`'s Monday-to-Sunday week."""
    return day - dt.timedelta(days=day.weekday())


def _group_condition(groups: Iterable[Group], school: str, grade: str) -> tuple[str, list]:
    """SQL for "(school, grade) is one of `groups`" (NULL matching NULL), and its parameters."""
    terms, params = [], []
    for group_school, group_grade in groups:
        parts = []
        for column, value in ((school, group_school), (grade, group_grade)):
            if value is None:
                parts.append(f"{column} IS NULL")
            else:
                parts.append(f"{column} = %s")
                params.append(value)
        terms.append("(" + " AND ".join(parts) + ")")
    return "(" + " OR ".join(terms) + ")", params


def attendance_weeks_refresh(
    *, first: dt.date, last: dt.date, groups: Iterable[Group] | None = None
) -> int:
    """Recompute the summary rows of the whole weeks from `first`'s to `last`'s, of `groups`
    only when given (else of every school and grade). Returns the number of rows written.

    Steps, in one transaction: DELETE the range's rows; INSERT ... SELECT the range's records
    (read through idx_attendance_date_status), joined to their student, grouped by school,
    grade and week. Idempotent; atomic; on PostgreSQL serialised by an advisory lock, so two
    refreshes of overlapping ranges cannot both insert a week.
    """
    if groups is not None:
        groups = sorted(set(groups), key=repr)
        if not groups:
            return 0
    low, high = week_start(first), week_start(last) + dt.timedelta(days=6)
    where_rows, where_records, params = "", "", []
    if groups is not None:
        where_rows, params = _group_condition(groups, "school", "grade_level")
        where_rows = " AND " + where_rows
        where_records = " AND " + _group_condition(groups, "s.school", "s.grade_level")[0]
    week = _WEEK[connection.vendor]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        cursor.execute(
            f"DELETE FROM attendance_weeks WHERE week >= %s AND week <= %s{where_rows}",
            [low, high, *params],
        )
        cursor.execute(
            "INSERT INTO attendance_weeks (school, grade_level, week, records, present) "
            f"SELECT s.school, s.grade_level, {week}, COUNT(*), "
            "SUM(CASE WHEN a.status = %s THEN 1 ELSE 0 END) "
            "FROM attendance_records a JOIN students s ON s.id = a.student_id "
            f"WHERE a.date >= %s AND a.date <= %s{where_records} "
            f"GROUP BY s.school, s.grade_level, {week}",
            [AttendanceStatus.PRESENT.value, low, high, *params],
        )
        return cursor.rowcount


def attendance_weeks_rebuild(*, first: dt.date | None = None, last: dt.date | None = None) -> int:
    """Refresh every week from `first`'s to `last`'s. A missing bound is the widest of the
    records' and the summary's own (so weeks whose records are all gone lose their rows): by
    default the whole summary. Atomic, idempotent; returns rows written."""
    with transaction.atomic():
        if first is None or last is None:
            records = AttendanceRecord.objects.aggregate(first=Min("date"), last=Max("date"))
            summary = AttendanceWeek.objects.aggregate(first=Min("week"), last=Max("week"))
            firsts = [d for d in (records["first"], summary["first"]) if d is not None]
            lasts = [d for d in (records["last"], summary["last"]) if d is not None]
            if not firsts:  # no records and no summary: nothing to do
                return 0
            first, last = first or min(firsts), last or max(lasts)
        return attendance_weeks_refresh(first=first, last=last)


def refresh_record_weeks(changes: Iterable[tuple[dt.date, Group]]) -> None:
    """Refresh the weeks of some (date, group) pairs: one refresh per distinct week."""
    by_week: dict[dt.date, set[Group]] = {}
    for day, group in changes:
        by_week.setdefault(week_start(day), set()).add(group)
    for monday, groups in sorted(by_week.items()):
        attendance_weeks_refresh(first=monday, last=monday, groups=groups)


def refresh_student_weeks(student_id, groups: Iterable[Group]) -> None:
    """Refresh `groups` over the weeks of one student's records (idx_attendance_student_date
    gives their first and last date)."""
    span = AttendanceRecord.objects.filter(student_id=student_id).aggregate(
        first=Min("date"), last=Max("date")
    )
    if span["first"] is not None:
        attendance_weeks_refresh(first=span["first"], last=span["last"], groups=groups)


# --- What keeps the summary exact: the writes that bypass an import -----------------------------


def _day(value) -> dt.date:
    # A record built with a date string (a fixture, a shell) holds the string until reloaded.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _group_of(student_id) -> Group | None:
    return Student.objects.filter(pk=student_id).values_list("school", "grade_level").first()


def _record_before(sender, instance, raw=False, **_):
    """Before an edit: the record's date and its student's group as stored (its old week)."""
    instance._attendance_week_before = None
    if not raw and not instance._state.adding:
        before = (
            AttendanceRecord.objects.filter(pk=instance.pk)
            .values_list("date", "student__school", "student__grade_level")
            .first()
        )
        if before is not None:
            instance._attendance_week_before = (before[0], (before[1], before[2]))


def _record_saved(sender, instance, raw=False, **_):
    if raw:
        return
    changes = [(_day(instance.date), _group_of(instance.student_id))]
    before = getattr(instance, "_attendance_week_before", None)
    if before is not None:
        changes.append(before)
    refresh_record_weeks(changes)
    page_cache.changed_on_commit()


def _record_deleted(sender, instance, origin=None, **_):
    # A student's deletion takes their records with it: the student's own receivers refresh
    # their weeks once, instead of once per record here.
    if isinstance(origin, Student) or getattr(origin, "model", None) is Student:
        return
    group = _group_of(instance.student_id)
    if group is not None:
        refresh_record_weeks([(_day(instance.date), group)])
    page_cache.changed_on_commit()


def _student_before(sender, instance, raw=False, update_fields=None, **_):
    """Before a student is edited: their group as stored (their weeks move if it changes)."""
    instance._attendance_group_before = None
    if update_fields is not None and not {"school", "grade_level"} & set(update_fields):
        return  # a save of other columns cannot move the student's weeks
    if not raw and not instance._state.adding:
        instance._attendance_group_before = _group_of(instance.pk)


def _student_saved(sender, instance, raw=False, created=False, **_):
    before = getattr(instance, "_attendance_group_before", None)
    if raw or created or before is None:
        return
    after = (instance.school, instance.grade_level)
    if before != after:
        refresh_student_weeks(instance.pk, [before, after])


def _student_deleting(sender, instance, **_):
    """Before a student is deleted: the span of their records and their group."""
    span = AttendanceRecord.objects.filter(student_id=instance.pk).aggregate(
        first=Min("date"), last=Max("date")
    )
    instance._attendance_span = (span["first"], span["last"], _group_of(instance.pk))


def _student_deleted(sender, instance, **_):
    first, last, group = getattr(instance, "_attendance_span", (None, None, None))
    if first is not None and group is not None:
        attendance_weeks_refresh(first=first, last=last, groups=[group])


def _imported(sender, instance, created=False, raw=False, **_):
    """An import that changed attendance, or students (a school or grade), rebuilds the summary
    inside the import's transaction: the import and its weeks commit together."""
    if raw or not created:
        return
    files = instance.files or {}
    attendance = files.get("attendance.csv") or {}
    students = files.get("students.csv") or {}
    if attendance.get("inserted") or attendance.get("updated") or students.get("updated"):
        attendance_weeks_rebuild()


def connect() -> None:
    """Connect the receivers above (called by AnalyticsConfig.ready)."""
    uid = "attendance-weeks-"
    pre_save.connect(_record_before, sender=AttendanceRecord, dispatch_uid=uid + "record-pre")
    post_save.connect(_record_saved, sender=AttendanceRecord, dispatch_uid=uid + "record")
    post_delete.connect(_record_deleted, sender=AttendanceRecord, dispatch_uid=uid + "record-del")
    pre_save.connect(_student_before, sender=Student, dispatch_uid=uid + "student-pre")
    post_save.connect(_student_saved, sender=Student, dispatch_uid=uid + "student")
    pre_delete.connect(_student_deleting, sender=Student, dispatch_uid=uid + "student-pre-del")
    post_delete.connect(_student_deleted, sender=Student, dispatch_uid=uid + "student-del")
    post_save.connect(_imported, sender=ImportRun, dispatch_uid=uid + "import")
