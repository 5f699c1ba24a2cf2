"""Weekly features for a whole district, next to PostgreSQL's own floor for the same rows.

Usage: make bench-features [STUDENTS=100000]
   or: DATABASE_URL=postgres://... python benchmarks/features_speed.py --students 100000

Steps (the district is generated and loaded first, in a separate process, if the database does
not hold it yet):
  1. the floor: PostgreSQL scans the same attendance, grade and incident rows once, with a plain
     GROUP BY per student;
  2. compute_features for one as-of date, in this process (peak memory measured);
  3. the same through Celery with 1, then 2 worker processes (a real Redis);
  4. the --weeks weekly as-of dates ending on that date (36 by default: a school year) in one
     pass (`features_compute_range`, as compute_features --from/--to and the backfills run);
  5. the same weeks through Celery (`compute_features_range`) with 1, then 2 worker processes.
(`--celery-workers` names other Celery runs; with no number, steps 3 and 5 are left out.)
Prints the seconds of each, the ratio to the floor, the range's ratio to one date (target: at
most 5), and the peak memory.
"""

import argparse
import datetime as dt
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from _common import ROOT, bar_chart, ensure_district, peak_rss_mb, setup_django, timed

setup_django()
sys.path.insert(0, str(ROOT))

from django.db import connection  # noqa: E402

from analytics import features  # noqa: E402
from analytics.models import StudentFeatures  # noqa: E402
from analytics.services import features_compute, features_compute_range  # noqa: E402
from analytics.tasks import compute_features_range, compute_weekly_features  # noqa: E402
from tests.celery_workers import broker_for_this_process, celery_workers, redis_server  # noqa: E402

AS_OF = dt.date(2026, 5, 24)  # the last full week of the generated year: the most data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=36)
    parser.add_argument(
        "--celery-workers",
        type=int,
        nargs="*",
        default=[1, 2],
        help="the Celery runs to time (worker processes each; none: in-process only)",
    )
    args = parser.parse_args()
    ensure_district(args.students)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have, so both sides plan alike

    seconds: dict[str, float] = {}
    with timed(seconds, "PostgreSQL GROUP BY (floor)"):
        scanned = floor_scan()
    print(f"floor scanned {scanned:,} rows", flush=True)

    StudentFeatures.objects.filter(feature_date=AS_OF).delete()
    with timed(seconds, "compute_features, in-process"):
        written = features_compute(as_of=AS_OF)
    memory = peak_rss_mb()
    print(f"in-process: {written:,} rows, peak memory {memory:,.0f} MB", flush=True)

    for workers in args.celery_workers:
        StudentFeatures.objects.filter(feature_date=AS_OF).delete()
        with celery(workers), timed(seconds, f"Celery, {_workers(workers)}"):
            count = compute_weekly_features.delay(AS_OF.isoformat()).get(timeout=3600)
        assert count == written, (count, written)

    weeks = [AS_OF - dt.timedelta(weeks=k) for k in reversed(range(args.weeks))]
    StudentFeatures.objects.filter(feature_date__in=weeks).delete()
    with timed(seconds, f"{args.weeks} weeks in one pass"):
        published = features_compute_range(dates=weeks)
    range_memory = peak_rss_mb()
    print(f"{args.weeks} weeks: {sum(published.values()):,} rows", flush=True)

    for workers in args.celery_workers:
        StudentFeatures.objects.filter(feature_date__in=weeks).delete()
        with celery(workers), timed(seconds, f"{args.weeks} weeks, Celery, {_workers(workers)}"):
            task = compute_features_range.delay(weeks[0].isoformat(), weeks[-1].isoformat())
            counts = task.get(timeout=7200)
        assert sum(counts.values()) == sum(published.values()), (counts, published)

    floor = seconds["PostgreSQL GROUP BY (floor)"]
    print()
    print(f"{written:,} students as of {AS_OF}")
    print(f"{'step':<30} {'seconds':>8} {'÷ floor':>8}")
    for name, s in seconds.items():
        print(f"{name:<30} {s:>8.1f} {s / floor:>8.2f}")
    print(f"peak memory of the in-process computation: {memory:,.0f} MB (target < 2,048)")
    ratio = seconds["compute_features, in-process"] / floor
    print(
        f"ratio in-process / floor: {ratio:.2f} (target <= 3): {'met' if ratio <= 3 else 'MISSED'}"
    )
    one = seconds["compute_features, in-process"]
    weeks_ratio = seconds[f"{args.weeks} weeks in one pass"] / one
    print(
        f"{args.weeks} weeks in one pass / one date: {weeks_ratio:.2f} (target <= 5): "
        f"{'met' if weeks_ratio <= 5 else 'MISSED'}; peak memory then {range_memory:,.0f} MB"
    )
    print()
    print(bar_chart("Seconds for one as-of date, and for a year of weeks", seconds, "s"))


@contextmanager
def celery(workers: int):
    """A real Redis and `workers` Celery worker processes for the tasks sent meanwhile."""
    with (
        tempfile.TemporaryDirectory() as work,
        redis_server(Path(work)) as broker,
        broker_for_this_process(broker),
        celery_workers(workers, broker, Path(work)),
    ):
        yield


def _workers(n: int) -> str:
    return f"{n} worker{'s' if n > 1 else ''}"


def floor_scan() -> int:
    """The same rows the computation reads, scanned once with a GROUP BY per student."""
    year_start = features.school_year_start(AS_OF)
    first_day = year_start - dt.timedelta(days=7 * features.WEEKS)
    first_incident = AS_OF - dt.timedelta(days=features.LOOKBACK_INCIDENTS - 1)
    attended = "SUM(CASE WHEN status IN ('present', 'tardy') THEN 1 ELSE 0 END)"
    queries = [
        (
            f"SELECT student_id, COUNT(*), {attended} FROM attendance_records "
            "WHERE date BETWEEN %s AND %s GROUP BY student_id",
            [first_day, AS_OF],
        ),
        (
            "SELECT student_id, COUNT(*), AVG(grade_value) FROM grades "
            "WHERE submission_date BETWEEN %s AND %s GROUP BY student_id",
            [year_start, AS_OF],
        ),
        (
            "SELECT student_id, COUNT(*), MAX(severity_level) FROM discipline_incidents "
            "WHERE incident_date BETWEEN %s AND %s GROUP BY student_id",
            [first_incident, AS_OF],
        ),
    ]
    rows = 0
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            rows += sum(row[1] for row in cursor.fetchall())
    return rows


if __name__ == "__main__":
    main()
