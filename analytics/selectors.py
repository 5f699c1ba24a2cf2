"""Reads for the weekly features: who is in the cohort on a date, the district's school days,
and each chunk's records summed per student over T's windows (analytics.features.Windows)."""

import datetime as dt
import io

import pandas as pd
from django.db import connection

from analytics import features
from records.models import StudentOutcome

_TERMINAL = tuple(sorted(str(t) for t in StudentOutcome.TERMINAL))

# A student is in the cohort of T when an enrollment of theirs covers T (entry_date <= T <
# exit_date, or no exit date yet: records.Enrollment). A student without any enrollment history
# falls back to the current values: enrolled on T (no enrollment date counts as enrolled) and no
# terminal outcome (dropped out, withdrawn, transferred, graduated) on or before T.
# The EXISTS probe idx_enrollments_student_entry; the outcomes probe idx_outcomes_student_date.
ENROLLED_ON = (
    "e.student_id = s.id AND e.entry_date <= %s AND (e.exit_date IS NULL OR e.exit_date > %s)"
)
COHORT_CONDITION = (
    f"(EXISTS (SELECT 1 FROM enrollments e WHERE {ENROLLED_ON}) OR ("
    " NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.student_id = s.id)"
    " AND (s.enrollment_date IS NULL OR s.enrollment_date <= %s) AND NOT EXISTS ("
    " SELECT 1 FROM student_outcomes o WHERE o.student_id = s.id AND o.outcome_date <= %s"
    f" AND o.outcome_type IN ({', '.join(['%s'] * len(_TERMINAL))}))))"
)


def cohort_params(as_of: dt.date) -> list:
    return [as_of, as_of, as_of, as_of, *_TERMINAL]


def cohort_ids(*, as_of: dt.date) -> list[str]:
    """The ids of the students in the cohort of `as_of`, ordered (as the database stores them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            # As text in SQL: no UUID object per student (a backfill reads a cohort per week).
            f"SELECT CAST(s.id AS TEXT) FROM students s WHERE {COHORT_CONDITION} ORDER BY s.id",
            cohort_params(as_of),
        )
        return [row[0] for row in cursor.fetchall()]


def chunk_cohorts(*, dates: list[dt.date], student_ids: list[str]) -> dict[dt.date, set[str]]:
    """For each date, which of these students are in its cohort (one query per date, over the
    chunk only), with the ids written as `cohort_ids` writes them."""
    params = [*student_ids]
    ids = ", ".join(["%s"] * len(student_ids))
    cohorts = {}
    with connection.cursor() as cursor:
        for day in dates:
            cursor.execute(
                f"SELECT CAST(s.id AS TEXT) FROM students s WHERE s.id IN ({ids}) "
                f"AND {COHORT_CONDITION}",
                [*params, *cohort_params(day)],
            )
            cohorts[day] = {row[0] for row in cursor.fetchall()}
    return cohorts


def last_completed_week(today: dt.date) -> dt.date:
    """The Sunday that ends the last completed school week: today if it is Sunday."""
    return today - dt.timedelta(days=(today.weekday() + 1) % 7)


def as_of_dates(
    *, as_of: dt.date | None, first: dt.date | None, last: dt.date | None, today: dt.date
) -> list[dt.date]:
    """The as-of dates a command names: one (default: the last completed week's Sunday), or
    every 7 days from `first` to `last`. ValueError says what does not fit."""
    if as_of and (first or last):
        raise ValueError("give --as-of, or --from and --to, not both")
    if bool(first) != bool(last):
        raise ValueError("--from and --to go together")
    if first and last < first:
        raise ValueError("--to is before --from")
    if first:
        return [first + dt.timedelta(days=7 * k) for k in range((last - first).days // 7 + 1)]
    return [as_of or last_completed_week(today)]


# The distinct dates from first to last, one index probe each (idx_attendance_date_status, which
# leads with the date): a loose index scan, milliseconds where a DISTINCT would read every row.
_SCHOOL_DAYS_SQL = """
WITH RECURSIVE school_days(day) AS (
    SELECT MIN(date) FROM attendance_records WHERE date >= %(first)s AND date <= %(last)s
    UNION ALL
    SELECT (SELECT MIN(date) FROM attendance_records WHERE date > day AND date <= %(last)s)
    FROM school_days WHERE day IS NOT NULL
)
SELECT day FROM school_days WHERE day IS NOT NULL
"""


def school_days(*, first: dt.date, last: dt.date) -> list[dt.date]:
    """The district's school days from `first` to `last`: the days on which any student has an
    attendance record (holidays and weekends have none)."""
    with connection.cursor() as cursor:
        cursor.execute(_SCHOOL_DAYS_SQL, {"first": first, "last": last})
        return [_date(row[0]) for row in cursor.fetchall()]


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


# --- a chunk's records, summed per student over T's windows ---------------------------------------
# One statement per kind of record and chunk. Each reads its table through the index that leads
# with student_id (idx_attendance_student_date, idx_grades_student_course,
# idx_discipline_student_date), as a range scan from the chunk's first to its last id (the
# chunks of `cohort_ids` are ranges of it): the rows come out ordered by student, so PostgreSQL
# sums them as they stream, without sorting. The IN list keeps exactly the chunk's students.
# Every date is a parameter (analytics.features.Windows); CASE WHEN rather than FILTER, and only
# the day number differs between PostgreSQL and SQLite.

# Monday-to-Sunday weeks, numbered from Monday 2000-01-03; and a text aggregate of dates.
_DIALECT = {
    "postgresql": {
        "week": "(date - DATE '2000-01-03') / 7",
        "dates": "string_agg(CAST({date} AS TEXT), ' ')",
    },
    "sqlite": {
        "week": "CAST((julianday(date) - julianday('2000-01-03')) / 7 AS INTEGER)",
        "dates": "group_concat({date}, ' ')",
    },
}

# Attendance, summed per student and day (`days`), then per student over each window; the
# year's missed days come as text (dates separated by spaces; a few % of days) for the streaks.
# A status is one of four (a CHECK constraint): attended = present + tardy = all but absent and
# excused.
_ATTENDANCE_DAYS = """
    SELECT student_id, date, COUNT(*) AS records,
           SUM(CASE WHEN status = 'absent' THEN 1 ELSE 0 END) AS absent,
           SUM(CASE WHEN status = 'excused' THEN 1 ELSE 0 END) AS excused,
           MAX(CASE WHEN status = 'tardy' THEN 1 ELSE 0 END) AS tardy
    FROM attendance_records
    WHERE student_id >= %(first_id)s AND student_id <= %(last_id)s AND student_id IN ({ids})
      AND date >= %(first_day)s AND date <= %(as_of)s
    GROUP BY student_id, date
"""
_ATTENDANCE_SQL = (
    """
WITH days AS ("""
    + _ATTENDANCE_DAYS
    + """), marked AS (
    SELECT student_id, date, records, records - absent - excused AS attended, tardy,
           {week} AS week,
           CASE WHEN (absent + excused) * 2 >= records THEN 1 ELSE 0 END AS missed,
           CASE WHEN (absent + excused) * 2 >= records AND excused >= absent
                THEN 1 ELSE 0 END AS missed_excused
    FROM days
)
SELECT student_id,
       SUM(CASE WHEN date >= %(year_start)s THEN records ELSE 0 END) AS records_ytd,
       SUM(CASE WHEN date >= %(year_start)s THEN attended ELSE 0 END) AS attended_ytd,
       SUM(CASE WHEN date >= %(last_30)s THEN records ELSE 0 END) AS records_30d,
       SUM(CASE WHEN date >= %(last_30)s THEN attended ELSE 0 END) AS attended_30d,
       SUM(CASE WHEN date >= %(last_30)s THEN missed ELSE 0 END) AS absences_30d,
       SUM(CASE WHEN date >= %(last_30)s THEN missed_excused ELSE 0 END)
           AS excused_absences_30d,
       SUM(CASE WHEN date >= %(last_30)s THEN tardy ELSE 0 END) AS tardies_30d,{weeks},
       SUM(CASE WHEN date >= %(year_start)s THEN 1 ELSE 0 END) AS days_ytd,
       COUNT(DISTINCT CASE WHEN date >= %(year_start)s THEN week END) AS weeks_of_data,
       {missed_days} AS missed_days
FROM marked
GROUP BY student_id
"""
)
_ATTENDANCE_WEEK = """
           SUM(CASE WHEN date BETWEEN %(w{k}_first)s AND %(w{k}_last)s THEN records ELSE 0 END)
               AS records_w{k},
           SUM(CASE WHEN date BETWEEN %(w{k}_first)s AND %(w{k}_last)s THEN attended ELSE 0 END)
               AS attended_w{k}"""

# Grades: per student and course, the sum (in whole GRADE_UNITS, exact) and count of the year's
# grades up to each GPA cut-off day. NULL grades are neither summed nor counted.
_GRADES_SQL = """
SELECT student_id, course_id, {cutoffs},
       SUM(CASE WHEN submission_date >= %(last_30)s AND grade_value = 0 THEN 1 ELSE 0 END)
           AS zeros_30d
FROM (
    SELECT student_id, course_id, submission_date, grade_value,
           CAST(ROUND(CAST(grade_value AS DOUBLE PRECISION) * {units}) AS BIGINT) AS units
    FROM grades
    WHERE student_id >= %(first_id)s AND student_id <= %(last_id)s AND student_id IN ({ids})
      AND submission_date >= %(year_start)s
      AND submission_date <= %(as_of)s AND grade_value IS NOT NULL
) graded
GROUP BY student_id, course_id
"""
_GRADES_CUTOFF = """
       SUM(CASE WHEN submission_date <= %(gpa_{key})s THEN units ELSE 0 END) AS value_{key},
       SUM(CASE WHEN submission_date <= %(gpa_{key})s THEN 1 ELSE 0 END) AS graded_{key}"""
_GRADES_ALL = """
       SUM(units) AS value_{key}, COUNT(*) AS graded_{key}"""  # a cut-off on or after T

_INCIDENTS_SQL = """
SELECT student_id,{severities},{weeks},
       SUM(CASE WHEN incident_date >= %(year_start)s THEN 1 ELSE 0 END) AS incidents_ytd,
       MAX(incident_date) AS last_incident
FROM discipline_incidents
WHERE student_id >= %(first_id)s AND student_id <= %(last_id)s AND student_id IN ({ids})
  AND incident_date >= %(incidents_from)s
  AND incident_date <= %(as_of)s
GROUP BY student_id
"""
_INCIDENTS_SEVERITY = """
       SUM(CASE WHEN incident_date >= %(last_90)s AND severity_level = {level} THEN 1 ELSE 0 END)
           AS severity_{level}_90d"""
_INCIDENTS_WEEK = """
       SUM(CASE WHEN incident_date BETWEEN %(w{k}_first)s AND %(w{k}_last)s THEN 1 ELSE 0 END)
           AS incidents_w{k}"""


def chunk_records(
    *,
    windows: features.Windows,
    student_ids: list[str],
    school_days: list[dt.date],
    courses: pd.DataFrame | None = None,
) -> features.Records:
    """These students' records summed per student (per student and course for grades) over the
    windows of T: one statement per kind of record, nothing dated after T read. `courses` (the
    courses' marks as of T, `course_marks`) is read here unless given."""
    params: dict = {f"id{i}": student_id for i, student_id in enumerate(student_ids)}
    ids = ", ".join(f"%({name})s" for name in params)
    params |= {
        "first_id": min(student_ids),
        "last_id": max(student_ids),
        "as_of": windows.as_of,
        "year_start": windows.year_start,
        "first_day": windows.first_day,
        "last_30": windows.last_30,
        "last_90": windows.last_90,
        "incidents_from": windows.incidents_from,
    }
    for k, (first, last) in enumerate(windows.weeks, start=1):
        params |= {f"w{k}_first": first, f"w{k}_last": last}
    for key, day in windows.gpa_cutoffs.items():
        params[f"gpa_{key}"] = day
    weeks = range(1, len(windows.weeks) + 1)
    dialect = _DIALECT[connection.vendor]

    attendance = _ATTENDANCE_SQL.format(
        ids=ids,
        week=dialect["week"],
        missed_days=dialect["dates"].format(
            date="CASE WHEN date >= %(year_start)s AND missed = 1 THEN date END"
        ),
        weeks=",".join(_ATTENDANCE_WEEK.format(k=k) for k in weeks),
    )
    grades = _GRADES_SQL.format(
        ids=ids,
        units=features.GRADE_UNITS,
        cutoffs=",".join(
            (_GRADES_ALL if day >= windows.as_of else _GRADES_CUTOFF).format(key=key)
            for key, day in windows.gpa_cutoffs.items()
        ),
    )
    incidents = _INCIDENTS_SQL.format(
        ids=ids,
        severities=",".join(_INCIDENTS_SEVERITY.format(level=level) for level in range(1, 6)),
        weeks=",".join(_INCIDENTS_WEEK.format(k=k) for k in weeks),
    )
    return features.Records(
        students=chunk_students(as_of=windows.as_of, student_ids=student_ids),
        attendance=query_frame(attendance, params),
        grades=query_frame(grades, params),
        incidents=query_frame(incidents, params),
        school_days=school_days,
        courses=course_marks(windows) if courses is None else courses,
    )


def query_frame(sql: str, params, text_columns=("student_id", "course_id")) -> pd.DataFrame:
    """Run a query into a DataFrame: through COPY on PostgreSQL (faster than fetching rows),
    through the cursor on SQLite. `text_columns` stay strings; only an empty field (NULL) is
    missing, never a text such as "NA"."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            query = cursor.cursor.mogrify(sql, params).decode()
            buffer = io.StringIO()
            cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)", buffer)
            buffer.seek(0)
            return pd.read_csv(
                buffer,
                dtype=dict.fromkeys(text_columns, str),
                keep_default_na=False,
                na_values=[""],
            )
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns)


# --- a chunk's records day by day, for many as-of dates at once ---------------------------------
# The same sums as above, but per student and day (per student, course and day for grades) over a
# whole range: analytics.features.RunningTotals then gives each as-of date's per-student sums
# from them, so a backfill of many weeks reads each record once. The grade units are rounded per
# row exactly as in _GRADES_SQL, so the sums are the same integers.
_DAILY_ATTENDANCE_SQL = _ATTENDANCE_DAYS  # from first_day (the earliest) to as_of (the latest)
_DAILY_GRADES_SQL = """
SELECT student_id, course_id, submission_date AS date,
       SUM(CAST(ROUND(CAST(grade_value AS DOUBLE PRECISION) * {units}) AS BIGINT)) AS units,
       COUNT(*) AS graded, SUM(CASE WHEN grade_value = 0 THEN 1 ELSE 0 END) AS zeros
FROM grades
WHERE student_id >= %(first_id)s AND student_id <= %(last_id)s AND student_id IN ({ids})
  AND submission_date >= %(first_grades)s AND submission_date <= %(last)s
  AND grade_value IS NOT NULL
GROUP BY student_id, course_id, submission_date
"""
_DAILY_INCIDENTS_SQL = """
SELECT student_id, incident_date AS date, severity_level
FROM discipline_incidents
WHERE student_id >= %(first_id)s AND student_id <= %(last_id)s AND student_id IN ({ids})
  AND incident_date >= %(first_incidents)s AND incident_date <= %(last)s
"""


def chunk_daily(*, student_ids: list[str], dates: list[dt.date]) -> features.Daily:
    """These students' records that any of the as-of `dates` reads (each kind from the earliest
    first day of its windows to the latest date), summed per student and day: one statement per
    kind of record (the same indexes as chunk_records)."""
    windows = [features.Windows(d) for d in dates]
    params: dict = {f"id{i}": student_id for i, student_id in enumerate(student_ids)}
    ids = ", ".join(f"%({name})s" for name in params)
    params |= {
        "first_id": min(student_ids),
        "last_id": max(student_ids),
        "first_day": min(w.first_day for w in windows),
        "as_of": max(dates),
        "first_grades": min(w.year_start for w in windows),
        "first_incidents": min(w.incidents_from for w in windows),
        "last": max(dates),
    }
    return features.Daily(
        attendance=query_frame(_DAILY_ATTENDANCE_SQL.format(ids=ids), params),
        grades=query_frame(_DAILY_GRADES_SQL.format(ids=ids, units=features.GRADE_UNITS), params),
        incidents=query_frame(_DAILY_INCIDENTS_SQL.format(ids=ids), params),
    )


# Every course's marks per day, over all students: the mean and spread a course average is placed
# against (features.course_marks). Exact integer sums, as above; idx_grades_submission_date.
_COURSE_DAYS_SQL = """
SELECT course_id, submission_date AS date, SUM(units) AS units,
       SUM(hundredths * hundredths) AS squares, COUNT(*) AS graded
FROM (
    SELECT course_id, submission_date,
           CAST(ROUND(CAST(grade_value AS DOUBLE PRECISION) * {units}) AS BIGINT) AS units,
           CAST(ROUND(CAST(grade_value AS DOUBLE PRECISION) * {square_units}) AS BIGINT)
               AS hundredths
    FROM grades
    WHERE submission_date >= %(first)s AND submission_date <= %(last)s
      AND grade_value IS NOT NULL
) graded
GROUP BY course_id, submission_date
"""


def course_days(*, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Every course's marks summed per day from `first` to `last` (course_id, date, units,
    squares, graded): one statement for the whole district, read once per feature run."""
    sql = _COURSE_DAYS_SQL.format(units=features.GRADE_UNITS, square_units=features.SQUARE_UNITS)
    return query_frame(sql, {"first": first, "last": last}, ("course_id",))


def course_marks(windows: features.Windows) -> pd.DataFrame:
    """Each course's mean mark and spread this school year up to T (features.course_marks)."""
    return features.course_marks(course_days(first=windows.year_start, last=windows.as_of), windows)


# These students' date of birth, and grade, school and entry date on each as-of date: from the
# enrollment covering the date (idx_enrollments_student_entry), else the student's own columns
# (a student without history); each date's rows led by the date.
_STUDENTS_RANGE_SQL = """
WITH d(as_of) AS (VALUES {dates})
SELECT CAST(d.as_of AS TEXT) AS as_of, s.id AS student_id, s.date_of_birth,
       CASE WHEN e.id IS NULL THEN s.grade_level ELSE e.grade_level END AS grade_level,
       CASE WHEN e.id IS NULL THEN s.school ELSE e.school END AS school,
       CASE WHEN e.id IS NULL THEN s.enrollment_date ELSE e.entry_date END AS enrollment_date
FROM d CROSS JOIN students s LEFT JOIN enrollments e
  ON e.student_id = s.id AND e.entry_date <= d.as_of
     AND (e.exit_date IS NULL OR e.exit_date > d.as_of)
WHERE s.id IN ({ids})
ORDER BY d.as_of, s.id, e.entry_date
"""


def chunk_students_range(
    *, dates: list[dt.date], student_ids: list[str]
) -> dict[dt.date, pd.DataFrame]:
    """For each date, these students' date of birth, and grade, school and entry date on it
    (`features.Records.students`), in one statement for all dates. Two enrollments covering a
    date (a move between schools on that day): the later entry."""
    params: dict = {f"id{i}": student_id for i, student_id in enumerate(student_ids)}
    ids = ", ".join(f"%({name})s" for name in params)
    days = {f"d{i}": day for i, day in enumerate(dates)}
    params |= days
    values = ", ".join(f"(%({name})s)" for name in days)
    frame = query_frame(
        _STUDENTS_RANGE_SQL.format(dates=values, ids=ids), params, ("as_of", "student_id", "school")
    )
    by_date = {day: group for day, group in frame.groupby("as_of", sort=False)}
    empty = frame.iloc[:0]
    return {
        day: by_date.get(day.isoformat(), empty)
        .drop(columns="as_of")
        .drop_duplicates("student_id", keep="last")
        .reset_index(drop=True)
        for day in dates
    }


def chunk_students(*, as_of: dt.date, student_ids: list[str]) -> pd.DataFrame:
    """These students' date of birth, and grade, school and entry date on T (as chunk_records)."""
    return chunk_students_range(dates=[as_of], student_ids=student_ids)[as_of]
