"""The record of access: who opened which students' records, when, and from which page.

A view notes an access with `note(request, ...)` once it has decided the user may see the
students; `AccessLogMiddleware` writes every entry a request noted in one `bulk_create` per
table when the response is ready (two INSERTs however many entries), so a page pays about a
millisecond for its record. A server error (5xx) writes nothing: the page was not shown. (A
view notes an access only once it has decided the user may see the students, so a 403 or 404
has nothing noted; a rejected form re-shows the page with status 400, which is recorded.)
A streamed export, whose rows are read after the view returns, calls `write` itself once its
last row is out. Processes (commands) call `write` directly.

Entries hold ids only: a student is named by UUID, a path holds ids, filters hold what the
query string held (never a search term, which stays in the session).
"""

import json
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from analytics.models import AccessedStudent, AccessEntry, AccessPage

REQUEST_ATTRIBUTE = "_edupulse_access_entries"
BATCH = 5000


def entry(
    *,
    page: AccessPage,
    user=None,
    path: str = "",
    students: Iterable = (),
    filters: dict | None = None,
    student_count: int | None = None,
) -> tuple[AccessEntry, list]:
    """An unsaved entry and the ids of its students."""
    ids = list(dict.fromkeys(students))
    authenticated = user is not None and user.is_authenticated
    return (
        AccessEntry(
            user=user if authenticated else None,
            username=user.get_username() if authenticated else "",
            page=page,
            path=path[:300],
            filters=filters or {},
            student_count=len(ids) if student_count is None else student_count,
        ),
        ids,
    )


def note(request, *, page: AccessPage, students: Iterable, filters: dict | None = None) -> None:
    """Note that this request shows `students` (ids); written when the response is ready."""
    made = entry(
        page=page, user=request.user, path=request.path, students=students, filters=filters
    )
    entries = getattr(request, REQUEST_ATTRIBUTE, None)
    if entries is None:
        entries = []
        setattr(request, REQUEST_ATTRIBUTE, entries)
    # A view may look its object up twice (the admin's change page does): one entry.
    if any(_same(made, other) for other in entries):
        return
    entries.append(made)


def _same(one: tuple[AccessEntry, list], other: tuple[AccessEntry, list]) -> bool:
    return (one[0].page, one[0].path, one[0].filters, one[1]) == (
        other[0].page,
        other[0].path,
        other[0].filters,
        other[1],
    )


def write(entries: list[tuple[AccessEntry, list]]) -> None:
    """Insert entries and their students atomically: one INSERT per table (per 5,000 students);
    on PostgreSQL outside a transaction, one round trip (`_write_in_one_round_trip`)."""
    if not entries:
        return
    students = sum(len(ids) for _, ids in entries)
    if connection.vendor == "postgresql" and not connection.in_atomic_block and students <= BATCH:
        _write_in_one_round_trip(entries)
        return
    with transaction.atomic():
        AccessEntry.objects.bulk_create([e for e, _ in entries])
        AccessedStudent.objects.bulk_create(
            [AccessedStudent(entry_id=e.pk, student_id=s) for e, ids in entries for s in ids],
            batch_size=BATCH,
        )


def _write_in_one_round_trip(entries: list[tuple[AccessEntry, list]]) -> None:
    """A page's entries as one string sent once: its own transaction, committed asynchronously
    (`synchronous_commit = off` for it alone), both INSERTs in one statement.

    Each round trip to the database costs a page the most on a busy machine (the two processes
    wait for a core in turn): the ORM's way (BEGIN, two INSERTs, COMMIT) took 3.2 ms a page
    on the benchmark. Asynchronous commit: the page does not wait for the write-ahead log to
    reach the disk; a crash of the database server can lose the entries of its last moments
    (at most 3 x wal_writer_delay, 0.6 s by default), never corrupt them or anything else.
    """
    now = timezone.now()
    entry_rows, entry_params, student_rows, student_params = [], [], [], []
    for made, ids in entries:
        entry_rows.append("(%s::uuid, %s, %s, %s, %s, %s, %s::jsonb, %s)")
        entry_params += [
            str(made.pk),
            made.at or now,
            made.user_id,
            made.username,
            made.page,
            made.path,
            json.dumps(made.filters),
            made.student_count,
        ]
        for student in ids:
            student_rows.append("(%s::uuid, %s::uuid)")
            student_params += [str(made.pk), str(student)]
    insert_entries = (
        "INSERT INTO access_log (id, at, user_id, username, page, path, filters, student_count) "
        f"VALUES {', '.join(entry_rows)}"
    )
    if student_rows:
        # The foreign key of each student row is checked at the end of the statement, when
        # the entries of the WITH are in.
        statement = (
            f"WITH entries AS ({insert_entries}) "
            "INSERT INTO access_log_students (entry_id, student_id) "
            f"VALUES {', '.join(student_rows)}"
        )
    else:
        statement = insert_entries
    with connection.cursor() as cursor:
        try:
            cursor.execute(
                f"BEGIN; SET LOCAL synchronous_commit TO OFF; {statement}; COMMIT",
                [*entry_params, *student_params],
            )
        except Exception:
            # The string stops at the failing statement, inside its BEGIN: end that
            # transaction so the connection is usable, then fail as the ORM would.
            cursor.execute("ROLLBACK")
            raise


class AccessLogMiddleware:
    """Writes the entries a request noted, once the view has answered (not with a 5xx)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        entries = getattr(request, REQUEST_ATTRIBUTE, None)
        if entries and response.status_code < 500:
            write(entries)
        return response


class AccessLoggedAdmin:
    """Admin mixin: opening the change (or history) page of a student, or of one of their
    records, notes an access to that student."""

    access_page = AccessPage.ADMIN_RECORD

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "GET":
            student = obj.pk if self.access_page == AccessPage.ADMIN_STUDENT else obj.student_id
            if student is not None:
                note(
                    request,
                    page=self.access_page,
                    students=[student],
                    filters={"model": self.opts.label_lower},
                )
        return obj
