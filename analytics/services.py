"""Computing and storing weekly feature rows: the bridge between the records and
analytics/features.py (pure pandas)."""

import csv
import datetime as dt
import io
import json
from collections.abc import Callable

import pandas as pd
from django.db import connection, transaction

from analytics import features
from analytics.models import StudentFeatures
from analytics.selectors import COHORT_CONDITION, cohort_ids, cohort_params

CHUNK_SIZE = 5000

# One query per kind of record and chunk of students; each probes the (student_id, date) index
# of its table: idx_attendance_student_date, idx_grades_student_course,
# idx_discipline_student_date. Attendance arrives already summed per student and day.
_DAYS_SQL = """
SELECT student_id, date, COUNT(*) AS records,
       SUM(CASE WHEN status IN ('present', 'tardy') THEN 1 ELSE 0 END) AS attended,
       SUM(CASE WHEN status = 'absent' THEN 1 ELSE 0 END) AS absent,
       SUM(CASE WHEN status = 'excused' THEN 1 ELSE 0 END) AS excused,
       SUM(CASE WHEN status = 'tardy' THEN 1 ELSE 0 END) AS tardy
FROM attendance_records
WHERE student_id IN ({ids}) AND date >= %s AND date <= %s
GROUP BY student_id, date
"""
_GRADES_SQL = """
SELECT student_id, course_id, submission_date, grade_value FROM grades
WHERE student_id IN ({ids}) AND submission_date >= %s AND submission_date <= %s
"""
_INCIDENTS_SQL = """
SELECT student_id, incident_date, severity_level FROM discipline_incidents
WHERE student_id IN ({ids}) AND incident_date >= %s AND incident_date <= %s
"""
_STUDENTS_SQL = """
SELECT id AS student_id, date_of_birth, grade_level, enrollment_date FROM students
WHERE id IN ({ids})
"""


def _frame(sql: str, params: list) -> pd.DataFrame:
    """Run a query into a DataFrame: through COPY on PostgreSQL (several times faster than
    fetching rows), through the cursor on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            query = cursor.cursor.mogrify(sql, params).decode()
            buffer = io.StringIO()
            cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)", buffer)
            buffer.seek(0)
            return pd.read_csv(buffer, dtype={"student_id": str, "course_id": str})
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns)


def _read_chunk(as_of: dt.date, student_ids: list[str], year_start: dt.date) -> features.Records:
    ids = ", ".join(["%s"] * len(student_ids))
    first_day = year_start - dt.timedelta(days=7 * features.WEEKS)
    first_incident = as_of - dt.timedelta(days=features.LOOKBACK_INCIDENTS - 1)
    return features.Records(
        students=_frame(_STUDENTS_SQL.format(ids=ids), student_ids),
        days=_frame(_DAYS_SQL.format(ids=ids), [*student_ids, first_day, as_of]),
        grades=_frame(_GRADES_SQL.format(ids=ids), [*student_ids, year_start, as_of]),
        incidents=_frame(_INCIDENTS_SQL.format(ids=ids), [*student_ids, first_incident, as_of]),
    )


@transaction.atomic
def features_compute_chunk(*, as_of: dt.date, student_ids: list[str]) -> int:
    """Compute T's rows for these students and replace theirs; return the rows written.

    Atomic: a chunk's rows for T are replaced all at once or not at all. Idempotent: running it
    again writes the same rows. Leakage-free: nothing dated after T is read.
    """
    if not student_ids:
        return 0
    year_start = features.school_year_start(as_of)
    rows = features.compute(as_of, _read_chunk(as_of, student_ids, year_start), year_start)
    StudentFeatures.objects.filter(feature_date=as_of, student_id__in=student_ids).delete()
    _insert(as_of, rows)
    return len(rows)


def _insert(as_of: dt.date, rows: pd.DataFrame) -> None:
    """Bulk-insert the rows: one COPY on PostgreSQL, batched INSERTs elsewhere."""
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
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    day = as_of.isoformat()
    for row in rows.itertuples(index=False):
        writer.writerow(
            (
                row.student_id,
                day,
                row.attendance_rate,
                row.gpa_current,
                int(row.discipline_incidents),
                json.dumps(row.feature_vector, separators=(",", ":")),
            )
        )
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            "COPY student_features (student_id, feature_date, attendance_rate, gpa_current, "
            "discipline_incidents, feature_vector) FROM STDIN WITH (FORMAT csv)",
            buffer,
        )


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
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Compute and store the feature rows of T's whole cohort, in-process, chunk by chunk.

    Steps: find the cohort (one query); for each chunk of students, read their records with one
    query per kind, compute (pandas), replace their rows for T (one transaction per chunk);
    finally delete T's rows of students who are not in the cohort. The Celery task
    analytics.tasks.compute_weekly_features runs the same chunks in parallel on workers.
    Idempotent; a failure leaves every other date's rows untouched and can simply be rerun.
    """
    ids = cohort_ids(as_of=as_of)
    written = 0
    for chunk in chunks(ids, chunk_size):
        written += features_compute_chunk(as_of=as_of, student_ids=chunk)
        if progress:
            progress(written, len(ids))
    features_prune(as_of=as_of)
    return written
