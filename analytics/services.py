"""Computing and storing weekly feature rows: the bridge between the records and
analytics/features.py (pure pandas)."""

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed

import pandas as pd
from django.db import connection, transaction

from analytics import features, selectors
from analytics.models import StudentFeatures
from analytics.selectors import COHORT_CONDITION, cohort_ids, cohort_params

CHUNK_SIZE = 5000
WORKERS = 2  # chunks computed at once by features_compute (PostgreSQL)
_JSON = json.JSONEncoder(separators=(",", ":"))


@transaction.atomic
def features_compute_chunk(
    *, as_of: dt.date, student_ids: list[str], school_days: list[dt.date] | None = None
) -> int:
    """Compute T's rows for these students and replace theirs; return the rows written.

    Steps: the district's school days of the year up to T (unless given: they are the same for
    every chunk of T); these students' records summed per student in SQL (one statement per kind
    of record); the features from those sums (analytics/features.py); the chunk's rows for T
    replaced. Atomic: a chunk's rows for T are replaced all at once or not at all. Idempotent:
    running it again writes the same rows. Leakage-free: nothing dated after T is read.
    """
    if not student_ids:
        return 0
    windows = features.Windows(as_of)
    if school_days is None:
        school_days = selectors.school_days(first=windows.year_start, last=as_of)
    records = selectors.chunk_records(
        windows=windows, student_ids=student_ids, school_days=school_days
    )
    rows = features.compute(windows, records)
    StudentFeatures.objects.filter(feature_date=as_of, student_id__in=student_ids).delete()
    _insert(as_of, rows)
    return len(rows)


def _insert(as_of: dt.date, rows: pd.DataFrame) -> None:
    """Bulk-insert the rows: one COPY on PostgreSQL, batched INSERTs elsewhere."""
    if rows.empty:
        return
    if connection.vendor != "postgresql":
        StudentFeatures.objects.bulk_create(
            [
                StudentFeatures(
                    student_id=row.student_id,
                    feature_date=as_of,
                    attendance_rate=row.attendance_rate,
                    gpa_current=row.gpa_current,
                    discipline_incidents=int(row.discipline_incidents),
                    feature_vector=row.feature_vector,
                )
                for row in rows.itertuples(index=False)
            ],
            batch_size=2000,
        )
        return
    # COPY's text format: tab-separated, \N for NULL; JSON needs only its backslashes doubled.
    day = as_of.isoformat()
    lines = [
        "\t".join(
            (
                row.student_id,
                day,
                _copy_text(row.attendance_rate),
                _copy_text(row.gpa_current),
                str(int(row.discipline_incidents)),
                _JSON.encode(row.feature_vector).replace("\\", "\\\\"),
            )
        )
        for row in rows.itertuples(index=False)
    ]
    buffer = io.StringIO("\n".join(lines) + "\n")
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            "COPY student_features (student_id, feature_date, attendance_rate, gpa_current, "
            "discipline_incidents, feature_vector) FROM STDIN",
            buffer,
        )


def _copy_text(value: float | None) -> str:
    return "\\N" if value is None else repr(value)


def features_prune(*, as_of: dt.date) -> int:
    """Delete T's rows of students no longer in T's cohort (left, or enrolled later)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM student_features WHERE feature_date = %s AND student_id NOT IN ("
            f" SELECT s.id FROM students s WHERE {COHORT_CONDITION})",
            [as_of, *cohort_params(as_of)],
        )
        return cursor.rowcount


def chunks(ids: list[str], size: int = CHUNK_SIZE) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def features_compute(
    *,
    as_of: dt.date,
    chunk_size: int = CHUNK_SIZE,
    workers: int = WORKERS,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Compute and store the feature rows of T's whole cohort, in-process, chunk by chunk.

    Steps: find the cohort (one query) and the year's school days (one query); for each chunk of
    students, sum their records per student with one query per kind, compute (pandas), replace
    their rows for T (one transaction per chunk); finally delete T's rows of students who are
    not in the cohort. On PostgreSQL `workers` chunks run at once, each in its own thread and
    connection: while the database sums one chunk, Python computes and writes another. On SQLite,
    or inside the caller's transaction (whose rows other connections cannot see), chunks run one
    at a time in this thread. The Celery task analytics.tasks.compute_weekly_features runs the
    same chunks on workers. Idempotent; a failure leaves every other date's rows untouched and
    can simply be rerun.
    """
    ids = cohort_ids(as_of=as_of)
    days = selectors.school_days(first=features.school_year_start(as_of), last=as_of)

    def compute_chunk(chunk: list[str]) -> int:
        return features_compute_chunk(as_of=as_of, student_ids=chunk, school_days=days)

    written = 0
    for count in _each(compute_chunk, chunks(ids, chunk_size), workers):
        written += count
        if progress:
            progress(written, len(ids))
    features_prune(as_of=as_of)
    return written


def _each(function: Callable, items: list, workers: int) -> Iterator:
    """function(item) for each item, yielded as they finish: in `workers` threads where the
    database allows it (PostgreSQL, outside a transaction), else one by one in this thread."""
    if workers < 2 or connection.vendor != "postgresql" or connection.in_atomic_block:
        yield from map(function, items)
        return

    def run(item):
        try:
            return function(item)
        finally:
            connection.close()  # the thread's own connection (Django's are per thread)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, item) for item in items]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:  # after a failure, start no other chunk
                future.cancel()
