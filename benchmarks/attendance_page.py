"""The attendance trends page, uncached, on the demo's SQLite district: read from the records
(before the weekly summary) and from the weekly summary (now), in one run.

Usage: make bench-attendance
   or: .venv/bin/python benchmarks/attendance_page.py [--repeat 5]
   DATABASE_URL picks the database (default: the SQLite file var/bench/attendance-page.sqlite3;
   a PostgreSQL URL works too).

Steps:
  1. migrate; generate and load the demo's district when the database has no students (not
     timed: `make demo`'s three school years, 2,000 students in the first, --seed 2025; about
     2 min); the import fills the weekly summary, a database loaded before it existed is filled
     by refresh_attendance_weeks --if-empty;
  2. time a full rebuild of the summary (what an import that changed attendance costs);
  3. time the page (Django's test client, the whole view and template, DEBUG off, no cache) for
     8 and 52 weeks, as an administrator (every student) and as a counselor (one school),
     `--repeat` times each, once with the view reading attendance_records as before and once
     reading the summary; the two must show the same figures.
Prints the median and the fastest of each.
"""

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time

from _common import ROOT

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edupulse.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault(
    "DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench' / 'attendance-page.sqlite3'}"
)
(ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from analytics import dashboards  # noqa: E402
from analytics.attendance_weeks import attendance_weeks_rebuild  # noqa: E402
from records.models import AttendanceRecord, AttendanceStatus  # noqa: E402
from students.models import Assignment, Student  # noqa: E402
from students.roles import COUNSELOR  # noqa: E402
from students.services import roles_sync  # noqa: E402

DEMO = [
    "--students=2000",
    "--years=3",
    "--start=2024-08-19",
    "--through=2026-11-29",
    "--seed=2025",
]


def attendance_trends_from_records(
    students, everyone, groups, singles, scope_key, weeks, today, school=None
):
    """The page's figures as they were computed before the weekly summary: one GROUP BY over
    the window's attendance_records (by day, folded into weeks in Python), uncached."""
    latest = dashboards.latest_attendance_date()
    if latest is None:
        return None, None, []
    end = min(latest, today)
    start = dashboards.trends_window(end, weeks)
    records = AttendanceRecord.objects.filter(date__gte=start, date__lte=end)
    records = dashboards.for_students(records, students, everyone)
    if school:
        records = records.filter(student__school=school)
    days = (
        records.order_by()
        .values("student__grade_level", "date")
        .annotate(
            total_records=Count("pk"),
            present_count=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)),
        )
    )
    sums: dict = {}
    for day in days:
        week = day["date"] - dt.timedelta(days=day["date"].weekday())
        cell = sums.setdefault((week, dashboards.grade_band(day["student__grade_level"])), [0, 0])
        cell[0] += day["total_records"]
        cell[1] += day["present_count"]
    rows = [
        {
            "band": band,
            "week": week,
            "total_records": total,
            "present_count": present,
            "attendance_rate": present / total,
        }
        for (week, band), (total, present) in sorted(sums.items())
    ]
    return start, end, rows


def _users():
    roles_sync()
    users = get_user_model().objects
    admin = users.filter(username="bench-attendance-admin").first()
    if admin is None:
        admin = users.create_superuser("bench-attendance-admin", "a@example.org", None)
    counselor = users.filter(username="bench-attendance-counselor").first()
    if counselor is None:
        counselor = users.create_user("bench-attendance-counselor")
        counselor.groups.add(Group.objects.get(name=COUNSELOR))
        school = Student.objects.exclude(school=None).order_by("school").first().school
        Assignment.objects.create(user=counselor, school=school)
    return {"administrator": admin, "counselor (one school)": counselor}


def _time_page(client, weeks: int, repeat: int) -> tuple[list[float], list]:
    times, rows = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(reverse("attendance_trends"), {"weeks": weeks})
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        rows = [
            (r["week"], r["band"], r["total_records"], r["present_count"])
            for r in response.context["rows"]
        ]
    return times, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "--verbosity=0"], cwd=ROOT, check=True)
    if not Student.objects.exists():
        print("Generating and loading the demo's district (not timed; about 2 min)...", flush=True)
        command = [*manage, "generate_district", "--load", "--if-empty", *DEMO]
        subprocess.run(command, cwd=ROOT, check=True)
    subprocess.run([*manage, "refresh_attendance_weeks", "--if-empty"], cwd=ROOT, check=True)

    records = AttendanceRecord.objects.count()
    print(
        f"District: {Student.objects.count():,} students, {records:,} attendance records; "
        f"database {django.db.connection.vendor}"
    )
    started = time.perf_counter()
    rows = attendance_weeks_rebuild()
    seconds = time.perf_counter() - started
    print(f"Full rebuild of the weekly summary: {rows:,} rows in {seconds:.1f} s")

    summary_reader = dashboards.attendance_trends
    setup_test_environment()  # responses carry their template context (the figures compared)
    print(f"\nThe page, uncached, {args.repeat} requests each: median s (fastest s)")
    print(f"{'':38} {'from the records':>18} {'from the summary':>18}")
    with override_settings(
        ALLOWED_HOSTS=["*"],
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
    ):
        for who, user in _users().items():
            client = Client()
            client.force_login(user)
            for weeks in (8, 52):
                dashboards.attendance_trends = attendance_trends_from_records
                try:
                    before, raw = _time_page(client, weeks, args.repeat)
                finally:
                    dashboards.attendance_trends = summary_reader
                after, summed = _time_page(client, weeks, args.repeat)
                assert raw == summed, f"{who}, {weeks} weeks: the figures differ"
                print(
                    f"{who + f', {weeks} weeks':38} "
                    f"{statistics.median(before):>9.3f} ({min(before):.3f})"
                    f" {statistics.median(after):>9.3f} ({min(after):.3f})"
                )
    print("Both readers showed the same figures for every page.")


if __name__ == "__main__":
    main()
