"""Reads for the weekly features: who is in the cohort on a date."""

import datetime as dt

from django.db import connection

from records.models import StudentOutcome

_TERMINAL = tuple(sorted(str(t) for t in StudentOutcome.TERMINAL))

# A student is in the cohort of T when enrolled on T (no enrollment date counts as enrolled)
# and no terminal outcome (dropped out, withdrawn, transferred, graduated) happened on or before T.
# The NOT EXISTS probes idx_outcomes_student_date.
COHORT_CONDITION = (
    "(s.enrollment_date IS NULL OR s.enrollment_date <= %s) AND NOT EXISTS ("
    " SELECT 1 FROM student_outcomes o WHERE o.student_id = s.id AND o.outcome_date <= %s"
    f" AND o.outcome_type IN ({', '.join(['%s'] * len(_TERMINAL))}))"
)


def cohort_params(as_of: dt.date) -> list:
    return [as_of, as_of, *_TERMINAL]


def cohort_ids(*, as_of: dt.date) -> list[str]:
    """The ids of the students in the cohort of `as_of`, ordered (as the database stores them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.id FROM students s WHERE {COHORT_CONDITION} ORDER BY s.id",
            cohort_params(as_of),
        )
        return [str(row[0]) for row in cursor.fetchall()]


def last_completed_week(today: dt.date) -> dt.date:
    """The Sunday that ends the last completed school week: today if it is Sunday."""
    return today - dt.timedelta(days=(today.weekday() + 1) % 7)
