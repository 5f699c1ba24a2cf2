"""Computing and storing weekly feature rows: the bridge between the records and
analytics/features.py (pure pandas)."""

import contextlib
import datetime as dt
import hashlib
import io
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction
from django.utils import timezone

from analytics import features, selectors
from analytics.models import StudentFeatures, StudentFeaturesStage
from analytics.selectors import cohort_ids

CHUNK_SIZE = 5000
WORKERS = 2  # chunks computed at once by features_compute and the range (PostgreSQL)
# A Celery run's stage older than this belongs to a run that died (its chunks run on workers,
# so no one process holds it). In-process runs stage nothing.
ABANDONED = dt.timedelta(days=1)


@transaction.atomic
def features_compute_chunk(
    *,
    as_of: dt.date,
    student_ids: list[str],
    run: uuid.UUID,
    school_days: list[dt.date] | None = None,
    courses: pd.DataFrame | None = None,
) -> int:
    """Compute T's rows for these students into the run's stage; return the rows written.

    Steps: the district's school days of the year up to T and every course's marks up to T
    (unless given: they are the same for every chunk of T); these students' records summed per
    student in SQL (one statement per kind of record); the features from those sums
    (analytics/features.py); the rows staged under `run` in one transaction. Nothing is
    published: `features_publish` does that once every chunk of the run is staged.
    Leakage-free: nothing dated after T is read.
    """
    if not student_ids:
        return 0
    windows = features.Windows(as_of)
    if school_days is None:
        school_days = selectors.school_days(first=windows.year_start, last=as_of)
    records = selectors.chunk_records(
        windows=windows, student_ids=student_ids, school_days=school_days, courses=courses
    )
    rows = features.compute(windows, records)
    _insert(run, as_of, rows)
    return len(rows)


def _insert(run: uuid.UUID, as_of: dt.date, rows: pd.DataFrame) -> None:
    """Stage the rows: one COPY on PostgreSQL, batched INSERTs elsewhere."""
    if rows.empty:
        return
    if connection.vendor != "postgresql":
        _insert_rows(StudentFeaturesStage, as_of, rows, run=run)
        return
    table = StudentFeaturesStage._meta.db_table
    _copy_in(table, f"run, {_COLUMNS}", _copy_lines(as_of, rows, prefix=f"{run}\t"))


def _insert_rows(model, as_of: dt.date, rows: pd.DataFrame, **extra) -> None:
    """Insert the rows with one executemany (SQLite): the documents go in as the JSON text they
    already are, not decoded into objects for the ORM to encode again."""
    names = [*extra, *_COLUMNS.split(", ")]
    field = model._meta.get_field
    values = [field(name).get_db_prep_value(v, connection) for name, v in extra.items()]
    day = as_of.isoformat()
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
            f"VALUES ({', '.join(['%s'] * len(names))})",
            [
                (
                    *values,
                    row.student_id,
                    day,
                    row.attendance_rate,
                    row.gpa_current,
                    int(row.discipline_incidents),
                    row.feature_vector,
                )
                for row in rows.itertuples(index=False)
            ],
        )


def _copy_lines(as_of: dt.date, rows: pd.DataFrame, prefix: str = "") -> str:
    """The rows in COPY's text format (tab-separated, \\N for NULL; the JSON text needs only its
    backslashes doubled), in the order of _COLUMNS, each line after `prefix`: put together by
    Arrow's string kernels, column by column, not line by line."""
    ids = pa.array(rows["student_id"], pa.string())
    incidents = np.asarray(rows["discipline_incidents"], dtype=float).astype(np.int64)
    columns = [
        pc.binary_join_element_wise(prefix, ids, "") if prefix else ids,
        as_of.isoformat(),
        *(_copy_numbers(rows[name]) for name in ("attendance_rate", "gpa_current")),
        pc.cast(pa.array(incidents), pa.string()),
        pc.replace_substring(pa.array(rows["feature_vector"], pa.string()), "\\", "\\\\"),
    ]
    lines = pc.binary_join_element_wise(*columns, "\t")
    # Every line joined into one text by Arrow too: one list holding them all.
    every = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
    return pc.binary_join(every, "\n")[0].as_py() + "\n"


def _copy_numbers(values: pd.Series) -> pa.StringArray:
    """The (already rounded) numbers as COPY text: as json writes them, \\N for None."""
    texts = features.json_texts(np.asarray(values, dtype=float))
    return pc.if_else(pc.equal(texts, "null"), "\\N", texts)


def _copy_in(table: str, columns: str, text: str) -> None:
    with connection.cursor() as cursor:
        # In 1 MB reads (psycopg2 reads 8 kB at a time by default).
        cursor.cursor.copy_expert(
            f"COPY {table} ({columns}) FROM STDIN", io.StringIO(text), size=1 << 20
        )


_COLUMNS = ", ".join(
    ("student_id", "feature_date", "attendance_rate", "gpa_current", "discipline_incidents",
     "feature_vector")
)  # fmt: skip


def _lock_key(*parts: object) -> int:
    """A signed 64-bit advisory-lock key for these values (a hash: the same on every server)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def features_sweep() -> int:
    """Empty the stage of Celery runs that died (started more than ABANDONED ago: their chunks
    run on workers, so no one process holds them); return how many runs were swept. In-process
    runs stage nothing: they write inside their own transaction."""
    cutoff = timezone.now() - ABANDONED
    dead = StudentFeaturesStage.objects.filter(created_at__lt=cutoff)
    swept = dead.values("run").distinct().count()
    if swept:
        dead.delete()
    return swept


def features_publish(*, as_of: dt.date, run: uuid.UUID) -> int:
    """Make the run's staged rows T's rows, all at once; return how many.

    One transaction: T's published rows are deleted (so a student who has left T's cohort since
    loses that date's row), the run's staged rows take their place (a student deleted meanwhile
    is passed over), and the run's stage is emptied. Before it commits, readers see T's old
    rows; after, the new ones; never a mixture.
    Publishing is serialised per date: on PostgreSQL the transaction first takes T's advisory
    lock (as in-process runs do), so a second run publishing T waits for the first to commit,
    then replaces its rows (without the lock it would insert next to them and fail on the
    primary key). If publishing fails, the run's stage is emptied all the same.
    """
    try:
        return _publish(as_of, run)
    except BaseException:
        with contextlib.suppress(Exception):
            features_discard(run=run)
        raise


def _publish(as_of: dt.date, run: uuid.UUID) -> int:
    staged = StudentFeaturesStage._meta.db_table
    run_value = StudentFeaturesStage._meta.get_field("run").get_db_prep_value(run, connection)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [_lock_key("features-publish", as_of)]
            )
        cursor.execute("DELETE FROM student_features WHERE feature_date = %s", [as_of])
        cursor.execute(
            f"INSERT INTO student_features ({_COLUMNS}) SELECT {_COLUMNS} FROM {staged} "
            "WHERE run = %s AND feature_date = %s AND student_id IN (SELECT id FROM students)",
            [run_value, as_of],
        )
        published = cursor.rowcount
        features_discard(run=run)
    return published


def features_discard(*, run: uuid.UUID) -> None:
    """Empty one run's stage."""
    StudentFeaturesStage.objects.filter(run=run).delete()


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

    Steps: find the cohort (one query), the year's school days and the courses' marks; for
    each chunk of students, sum their records per student with one query per kind and compute
    the rows (pandas); one transaction replaces T's rows with them (`_replace_and_write`): it
    takes T's publishing lock, deletes T's rows and writes each chunk's rows straight into
    student_features as the chunk hands them over. Readers see T's old rows until it commits,
    so a run that fails, or whose process is killed, leaves them as they were; nothing is
    staged, so nothing is left behind. On PostgreSQL `workers` chunks are computed at once, each
    in its own thread and connection (reads only), while this thread writes. Idempotent. Two
    runs of one date at once are safe: the second waits for the first to commit, then replaces
    its rows. The Celery task analytics.tasks.compute_weekly_features runs the same chunks on
    workers, staging them (`features_compute_chunk`) and publishing at the end.
    """
    workers = _usable_workers(workers)  # before this function's own transaction begins
    features_sweep()  # a Celery run's stage left by a run that died
    ids = cohort_ids(as_of=as_of)
    windows = features.Windows(as_of)
    days = selectors.school_days(first=windows.year_start, last=as_of)
    courses = selectors.course_marks(windows)
    postgres = connection.vendor == "postgresql"

    def compute_chunk(chunk: list[str]) -> Iterator[tuple[dt.date | None, object, int]]:
        records = selectors.chunk_records(
            windows=windows, student_ids=chunk, school_days=days, courses=courses
        )
        rows = features.compute(windows, records)
        yield as_of, (_copy_lines(as_of, rows) if postgres and len(rows) else rows), len(rows)
        yield None, None, len(chunk)  # the chunk is done

    written = _replace_and_write([as_of], compute_chunk, ids, chunk_size, workers, progress)
    return written[as_of]


def features_compute_range(
    *,
    dates: list[dt.date],
    chunk_size: int = CHUNK_SIZE,
    workers: int = WORKERS,
    progress: Callable[[int, int], None] | None = None,
) -> dict[dt.date, int]:
    """Compute and store the feature rows of many as-of dates (a backfill), each chunk of
    students' records read once for all of them; return the rows written per date.

    Steps: each date's cohort and school days (two small queries per date), every course's
    marks per day (one query); the students of any of the cohorts in chunks; per chunk, their
    records summed per student and day over the whole range (one statement per kind of record,
    `selectors.chunk_daily`) turned into running totals (`features.RunningTotals`): each date's
    window sums are then differences of two totals, the same integers as `features_compute`
    reads per date, and the chunk's students in the date's cohort are computed from them.
    One transaction for the whole range (`_replace_and_write`, as `features_compute`): every
    date's rows replaced at once, each row written once. Readers see the old rows until it
    commits; a failure leaves every date's rows as they were. The rows are identical to
    computing each date alone (tests/analytics/test_features_range.py). Idempotent. On
    PostgreSQL `workers` chunks are computed at once, each in its own thread and connection
    (reads only), while this thread writes what they hand over through a short queue: memory
    holds a few chunk-dates of rows, not the range.
    """
    dates = sorted(set(dates))
    if not dates:
        return {}
    workers = _usable_workers(workers)  # before this function's own transaction begins
    features_sweep()  # a Celery run's stage left by a run that died
    cohorts = {d: set(cohort_ids(as_of=d)) for d in dates}
    school_days = range_school_days(dates)
    courses = range_courses(dates)
    everyone = sorted(set().union(*cohorts.values()))
    postgres = connection.vendor == "postgresql"

    def compute_chunk(chunk: list[str]) -> Iterator[tuple[dt.date | None, object, int]]:
        for day, rows in _range_rows(chunk, dates, cohorts, school_days, courses):
            # COPY's text is made here, in the chunk's thread; the writer only sends it.
            yield day, (_copy_lines(day, rows) if postgres and len(rows) else rows), len(rows)
        yield None, None, len(chunk)  # the chunk is done

    return _replace_and_write(dates, compute_chunk, everyone, chunk_size, workers, progress)


def _replace_and_write(dates, compute_chunk, ids, chunk_size, workers, progress):
    """In one transaction: take the dates' publishing locks and delete their rows
    (`_replace_dates`), then write the rows each chunk hands over (`compute_chunk(chunk)`
    yields (date, rows, count) for each date, then (None, None, the chunk's size)) straight
    into student_features; return the rows written per date."""
    written = dict.fromkeys(dates, 0)
    done = 0
    with transaction.atomic():
        _replace_dates(dates)
        for day, rows, count in _stream(compute_chunk, chunks(ids, chunk_size), workers):
            if day is None:
                done += count
                if progress:
                    progress(done, len(ids))
            elif count:
                _write_published(day, rows)
                written[day] += count
    return written


def features_stage_range_chunk(
    *,
    dates: list[dt.date],
    student_ids: list[str],
    runs: dict[dt.date, uuid.UUID],
    courses: dict[dt.date, pd.DataFrame] | None = None,
) -> int:
    """Stage one chunk's rows of every date of a range, each date under its own run, its records
    read once for all dates (as `features_compute_range`); return the rows staged. Nothing is
    published: the Celery fan-out (analytics.tasks.compute_features_range) publishes each date
    once every chunk is staged. `courses`: each date's course marks (`range_courses`), read
    here unless given."""
    dates = sorted(dates)
    cohorts = selectors.chunk_cohorts(dates=dates, student_ids=student_ids)
    school_days = range_school_days(dates)
    courses = range_courses(dates) if courses is None else courses
    staged = 0
    for day, rows in _range_rows(student_ids, dates, cohorts, school_days, courses):
        with transaction.atomic():
            _insert(runs[day], day, rows)
        staged += len(rows)
    return staged


def range_school_days(dates: list[dt.date]) -> dict[dt.date, list[dt.date]]:
    """Each date's school days of its school year up to it (two small queries per date)."""
    return {d: selectors.school_days(first=features.school_year_start(d), last=d) for d in dates}


def range_courses(dates: list[dt.date]) -> dict[dt.date, pd.DataFrame]:
    """Each date's course marks (`features.course_marks`), from one read of every course's marks
    per day over the range."""
    windows = {d: features.Windows(d) for d in dates}
    course_days = selectors.course_days(
        first=min(w.year_start for w in windows.values()), last=max(dates)
    )
    return {d: features.course_marks(course_days, windows[d]) for d in dates}


def _range_rows(
    chunk: list[str], dates: list[dt.date], cohorts: dict, school_days: dict, courses: dict
) -> Iterator[tuple[dt.date, pd.DataFrame]]:
    """Each date's rows of the chunk's students in its cohort, from one read of their records
    over the range (`selectors.chunk_daily`) turned into running totals, and one of who they
    were on each date (`selectors.chunk_students_range`)."""
    totals = features.RunningTotals(
        selectors.chunk_daily(student_ids=chunk, dates=dates), school_days
    )
    chunk_students = selectors.chunk_students_range(dates=dates, student_ids=chunk)
    for day in dates:
        students = chunk_students[day]
        cohort = cohorts[day]  # a set: a lookup per student (Series.isin converts it each time)
        students = students[[i in cohort for i in students["student_id"]]].reset_index(drop=True)
        if students.empty:
            continue
        windows = features.Windows(day)
        records = totals.records(windows, students, school_days[day], courses[day])
        yield day, features.compute(windows, records)


def _replace_dates(dates: list[dt.date]) -> None:
    """In the caller's transaction: take the dates' publishing locks (in order: two ranges never
    wait for each other in a circle) and delete their rows."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for day in dates:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s)", [_lock_key("features-publish", day)]
                )
        cursor.execute(
            "DELETE FROM student_features WHERE feature_date IN "
            f"({', '.join(['%s'] * len(dates))})",
            dates,
        )


def _write_published(as_of: dt.date, rows) -> None:
    """Write rows straight into student_features: COPY text on PostgreSQL, else a frame."""
    if isinstance(rows, str):
        _copy_in(StudentFeatures._meta.db_table, _COLUMNS, rows)
    else:
        _insert_rows(StudentFeatures, as_of, rows)


def _usable_workers(workers: int) -> int:
    """How many chunks may run at once: threads have their own connections, so only on
    PostgreSQL and outside a transaction (whose rows other connections cannot see)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return workers


def _stream(produce: Callable[[list], Iterator], items: list, workers: int) -> Iterator:
    """Everything produce(item) yields, for each item: in `workers` threads (each with its own
    connection) feeding a short queue that this thread empties, or one by one in this thread.
    A failure in a thread is raised here, and the other threads stop at their next value."""
    if workers < 2:
        for item in items:
            yield from produce(item)
        return
    handed = queue.Queue(maxsize=2 * workers)
    todo = queue.SimpleQueue()
    for item in items:
        todo.put(item)
    stop = threading.Event()
    finished = object()

    def work() -> None:
        try:
            while not stop.is_set():
                try:
                    item = todo.get_nowait()
                except queue.Empty:
                    break
                for value in produce(item):
                    if stop.is_set():
                        return
                    handed.put(value)
        except BaseException as error:  # raised again in the consuming thread
            handed.put(_Failed(error))
        finally:
            connection.close()  # the thread's own connection
            handed.put(finished)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            value = handed.get()
            if value is finished:
                running -= 1
            elif isinstance(value, _Failed):
                raise value.error
            else:
                yield value
    finally:
        stop.set()
        while any(thread.is_alive() for thread in threads):  # unblock a thread waiting to hand over
            with contextlib.suppress(queue.Empty):
                handed.get(timeout=0.1)
        for thread in threads:
            thread.join()


@dataclass(frozen=True)
class _Failed:
    error: BaseException
