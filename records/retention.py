"""Data retention: deleting the students whose enrollment ended long ago, with everything of
theirs, and pruning old entries of the record of access.

"Enrollment ended" is read from the enrollment history (`records.Enrollment`) where the student
has one: every enrollment of theirs has ended (an exit date), the latest before the cut-off.
For a student without any enrollment row, from their latest leaving outcome
(`StudentOutcome.TERMINAL`: dropped out, withdrawn, transferred, graduated) dated before the
cut-off; such a student with no leaving outcome is taken as still enrolled and never purged.
Either way, a student with anything dated on or after the cut-off (attendance, grade, incident,
outcome) came back and is kept.

`retention_purge` deletes, in one transaction, the students and every row that hangs off them
through a CASCADE foreign key (records, features, predictions, feedback, assignments, the
record of access, and any table added later with such a key), and the django-simple-history
rows of each (the audit trail would otherwise keep the names). Model versions and their
metrics are untouched: a model trained on purged students keeps its numbers. It writes one
entry in the record of access with the counts, never a name or an id.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from analytics import access_log, attendance_weeks
from analytics.models import AccessEntry, AccessPage
from records.models import AttendanceRecord, DisciplineIncident, Enrollment, Grade, StudentOutcome
from students.models import Student

CHUNK = 1000  # students per round of deletes: bounds the IN lists

# Each kind of record and its date: a record on or after the cut-off means the student is back.
DATED = (
    (AttendanceRecord, "date"),
    (Grade, "submission_date"),
    (DisciplineIncident, "incident_date"),
    (StudentOutcome, "outcome_date"),
)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def expired_students(*, cutoff: dt.date) -> QuerySet[Student]:
    """Students whose enrollment ended before `cutoff` (see the module's rule). Each EXISTS is
    a probe of a (student_id, date) index: idx_outcomes_student_date, idx_attendance_student_date,
    idx_grades_student_course's student_id prefix, idx_discipline_student_date."""
    left = StudentOutcome.objects.filter(
        student=OuterRef("pk"), outcome_type__in=StudentOutcome.TERMINAL, outcome_date__lt=cutoff
    )
    # idx_enrollments_student_entry leads with student_id.
    history = Enrollment.objects.filter(student=OuterRef("pk"))
    still = history.filter(Q(exit_date__isnull=True) | Q(exit_date__gte=cutoff))
    students = Student.objects.filter(
        (Exists(history) & ~Exists(still)) | (~Exists(history) & Exists(left))
    )
    for model, date in DATED:
        later = model.objects.filter(student=OuterRef("pk"), **{f"{date}__gte": cutoff})
        students = students.exclude(Exists(later))
    return students


@dataclass
class Purge:
    cutoff: dt.date
    students: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # table: rows deleted (or to delete)
    access_log_cutoff: dt.date | None = None
    access_entries: int = 0

    def add(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + count

    def as_json(self) -> dict:
        return {
            "cutoff": self.cutoff.isoformat(),
            "students": self.students,
            "rows": dict(sorted(self.rows.items())),
            "access_log_cutoff": (
                self.access_log_cutoff.isoformat() if self.access_log_cutoff else None
            ),
            "access_entries": self.access_entries,
        }


def _dependants(model) -> Iterator[tuple[type[models.Model], str]]:
    """(model, lookup to the student) of every table hanging off `model` through CASCADE
    foreign keys, deepest first; history models are handled with their live model."""
    for candidate in apps.get_models():
        if hasattr(candidate, "instance_type") or not candidate._meta.managed:
            continue  # a django-simple-history model, or a view
        for fk in candidate._meta.concrete_fields:
            if (
                fk.many_to_one
                and fk.related_model is model
                and fk.remote_field.on_delete is models.CASCADE
            ):
                for deeper, lookup in _dependants(candidate):
                    yield deeper, f"{lookup}__{fk.name}"
                yield candidate, fk.name


def _history(model):
    history = getattr(model, "history", None)
    return history.model if history is not None else None


def _delete(model, column: str, subquery: QuerySet) -> int:
    """DELETE FROM model's table WHERE column IN (subquery): one statement, no ORM collection
    (which would load every row and write a history row per deleted record, names included)."""
    sql, params = subquery.query.sql_with_params()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(model._meta.db_table)} WHERE {quote(column)} IN ({sql})", params
        )
        return cursor.rowcount


def _purge_chunk(ids: list, purge: Purge, dry_run: bool) -> None:
    chunk = Student.objects.filter(pk__in=ids).values("pk")
    for model, lookup in [*_dependants(Student), (Student, "pk")]:
        live = model.objects.filter(**{f"{lookup}__in": ids})
        history = _history(model)
        if history is not None:
            # The history rows of these rows (by the original row's id): first, as they are
            # found through the live rows.
            old = history.objects.filter(id__in=live.values("pk"))
            purge.add(
                history._meta.db_table,
                old.count() if dry_run else _delete(history, "history_id", old.values("pk")),
            )
        if dry_run:
            count = live.count()
        elif "__" in lookup:  # deeper: by primary key, through the joins
            count = _delete(model, model._meta.pk.column, live.values("pk"))
        else:  # the student's own key or foreign key (composite primary keys included)
            field = model._meta.pk if lookup == "pk" else model._meta.get_field(lookup)
            count = _delete(model, field.column, chunk)
        purge.add(model._meta.db_table, count)


def retention_purge(
    *,
    older_than_years: int,
    access_log_years: int | None = None,
    today: dt.date,
    dry_run: bool = False,
) -> Purge:
    """Delete the students whose enrollment ended more than `older_than_years` before `today`,
    with everything of theirs, and the record-of-access entries older than `access_log_years`.

    Steps: find the expired students; in one transaction, per 1,000 students, delete the history
    rows and then the rows of every dependent table, deepest first, then the students; refresh
    the weekly attendance summary's weeks before the cut-off; prune the record of access; write
    one entry with the counts. A dry run counts the same rows and
    writes nothing. Running it twice deletes nothing the second time.
    """
    purge = Purge(cutoff=years_before(today, older_than_years))
    with transaction.atomic():
        ids = list(expired_students(cutoff=purge.cutoff).values_list("pk", flat=True))
        purge.students = len(ids)
        for start in range(0, len(ids), CHUNK):
            _purge_chunk(ids[start : start + CHUNK], purge, dry_run)
        if access_log_years is not None:
            purge.access_log_cutoff = years_before(today, access_log_years)
            old = AccessEntry.objects.filter(at__date__lt=purge.access_log_cutoff)
            # Django deletes an entry's students with one statement (no signals, no history).
            purge.access_entries = (
                old.count() if dry_run else old.delete()[1].get(AccessEntry._meta.label, 0)
            )
        if not dry_run and purge.students:
            # The purged students' weeks, all before the cut-off, lose their records.
            attendance_weeks.attendance_weeks_rebuild(last=purge.cutoff)
        if not dry_run:
            access_log.write(
                [
                    access_log.entry(
                        page=AccessPage.RETENTION_PURGE,
                        filters={"older_than_years": older_than_years, **purge.as_json()},
                        student_count=purge.students,
                    )
                ]
            )
    return purge
