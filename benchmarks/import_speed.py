"""How fast import_csv loads attendance into PostgreSQL, next to a bare COPY of the same file.

Usage: make bench-import [STUDENTS=5000]   (starts a throwaway PostgreSQL; see the Makefile)
   or: DATABASE_URL=postgres://... python benchmarks/import_speed.py --students 5000

Steps: generate a district; load its students; then, timed in this one process and run:
  1. import_csv of attendance.csv into the empty attendance table (the first load, including
     the weekly attendance summary it rebuilds);
  2. import_csv of the same file again (every row checked and compared, none changed): right
     after the load, then after a VACUUM (ANALYZE) of the table, as the next day's import finds
     it (the target is judged on this one); then the nightly full extract: the same file with
     one new day for every student;
  3. the ceiling: a bare COPY of the same file into an empty table with no index or key.
Prints rows per second for each, the ratios to the ceiling, where the first load's time goes
(keys and indexes, the weekly summary, the rest), and the peak memory of the process
(the district is generated in a child process, so the peak is the import's own), against the
targets of issue 17: first load >= 50% of the ceiling's rows/s, re-import >= 40%, peak < 1 GB.
"""

import argparse
import datetime as dt
import multiprocessing
import shutil
import tempfile
from pathlib import Path

from _common import bar_chart, peak_rss_mb, setup_django, timed

setup_django()

from django.db import connection, transaction  # noqa: E402

from analytics.attendance_weeks import attendance_weeks_rebuild  # noqa: E402
from records.importing import _drop_keys_and_indexes, district_import  # noqa: E402
from records.models import AttendanceRecord  # noqa: E402
from records.synthetic import DistrictSpec, generate_district  # noqa: E402
from students.models import Student  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=5000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edupulse-bench-"))
    try:
        run(args.students, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(students: int, work: Path) -> None:
    print(f"Generating a district of {students} students...", flush=True)
    # In a child process: the generator's arrays are not the import's memory.
    child = multiprocessing.get_context("fork").Process(
        target=generate_district,
        args=(DistrictSpec(students=students), work / "all", work / "truth.csv"),
    )
    child.start()
    child.join()
    assert child.exitcode == 0, "generating the district failed"
    (work / "students").mkdir()
    (work / "attendance").mkdir()
    shutil.move(work / "all" / "students.csv", work / "students" / "students.csv")
    shutil.move(work / "all" / "attendance.csv", work / "attendance" / "attendance.csv")
    AttendanceRecord.objects.all().delete()
    Student.objects.all().delete()
    district_import(folder=work / "students")
    path = work / "attendance" / "attendance.csv"
    rows = sum(1 for _ in path.open()) - 1
    size_mb = path.stat().st_size / 1e6
    print(f"attendance.csv: {rows:,} rows, {size_mb:,.0f} MB", flush=True)

    seconds: dict[str, float] = {}
    rebuild: dict[str, float] = {}
    with timed(seconds, "import_csv, first load"):
        result = district_import(folder=work / "attendance")
    assert result.files["attendance.csv"].inserted == rows
    with timed(seconds, "same file, right after the load"):
        again = district_import(folder=work / "attendance")
    assert again.files["attendance.csv"].unchanged == rows
    # The first read of freshly committed rows sets their hint bits (PostgreSQL writes every
    # page once more) while autovacuum visits the table: a one-off cost of whichever query
    # comes first. A district's next import finds the table vacuumed, as here.
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {AttendanceRecord._meta.db_table}")
    with timed(seconds, "import_csv, same file again"):
        again = district_import(folder=work / "attendance")
    assert again.files["attendance.csv"].unchanged == rows
    # The nightly full extract: the same file with a new day for every student.
    nightly = _with_a_new_day(path, work / "nightly")
    with timed(seconds, "same file + a new day each"):
        again = district_import(folder=nightly.parent)
    added = again.files["attendance.csv"].inserted
    assert (added, again.files["attendance.csv"].unchanged) == (Student.objects.count(), rows)
    # How much of the first load is PostgreSQL re-creating the table's keys and indexes (the
    # ceiling builds none): measured on the loaded table, then rolled back.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        restore = _drop_keys_and_indexes(cursor, AttendanceRecord._meta.db_table)
        with timed(rebuild, "keys and indexes"):
            for sql in restore:
                cursor.execute(sql)
        transaction.set_rollback(True)
    # The weekly attendance summary an import that changed attendance rebuilds in its
    # transaction (analytics/attendance_weeks.py): part of the first load, not of reading.
    with transaction.atomic():
        with timed(rebuild, "weekly summary"):
            attendance_weeks_rebuild()
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_ceiling (district_id text, date date, status text, period int)"
        )
        with timed(seconds, "bare COPY (ceiling)"), path.open() as f:
            cursor.cursor.copy_expert("COPY bench_ceiling FROM STDIN WITH (FORMAT csv, HEADER)", f)
        cursor.execute("DROP TABLE bench_ceiling")

    counted = {"same file + a new day each": rows + added}
    rates = {name: counted.get(name, rows) / s for name, s in seconds.items()}
    ceiling = rates["bare COPY (ceiling)"]
    print()
    print(f"{'step':<32} {'seconds':>8} {'rows/s':>12} {'of ceiling':>11}")
    for name, s in seconds.items():
        print(f"{name:<32} {s:>8.2f} {rates[name]:>12,.0f} {rates[name] / ceiling:>10.0%}")
    print(f"ratio ceiling / first load: {ceiling / rates['import_csv, first load']:.2f}")
    keys, weeks = rebuild["keys and indexes"], rebuild["weekly summary"]
    rest = seconds["import_csv, first load"] - keys - weeks
    print(
        f"of the first load, re-creating the primary key, the natural key, 3 indexes and the "
        f"foreign key: {keys:.2f} s; rebuilding the weekly attendance summary: {weeks:.2f} s; "
        f"the rest (read, check, COPY): {rest:.2f} s, {rows / rest:,.0f} rows/s, "
        f"{rows / rest / ceiling:.0%} of the ceiling"
    )
    print(f"peak memory of this process: {peak_rss_mb():,.0f} MB")
    print()
    print(bar_chart("Attendance rows per second into PostgreSQL", rates, "rows/s"))
    peak = peak_rss_mb()
    first, again = rates["import_csv, first load"], rates["import_csv, same file again"]
    checks = [
        ("first load >= 50% of the bare COPY's rows/s", first / ceiling, 0.5),
        ("re-import >= 40% of the bare COPY's rows/s", again / ceiling, 0.4),
    ]
    print()
    for name, ratio, target in checks:
        print(f"Target {name}: {ratio:.0%}, {'met' if ratio >= target else 'MISSED'}.")
    print(f"Target peak memory < 1,024 MB: {peak:,.0f} MB, {'met' if peak < 1024 else 'MISSED'}.")


def _with_a_new_day(path: Path, folder: Path) -> Path:
    """A copy of the attendance file with one more row for every student: present on the day
    after the last one in the table."""
    folder.mkdir()
    copy = folder / path.name
    shutil.copyfile(path, copy)
    day = AttendanceRecord.objects.latest("date").date + dt.timedelta(days=1)
    header = path.open().readline().strip().split(",")
    values = {"date": day.isoformat(), "status": "present"}
    with copy.open("a") as out:
        for district_id in Student.objects.values_list("district_id", flat=True).iterator():
            cells = {**values, "district_id": district_id}
            out.write(",".join(cells.get(name, "") for name in header) + "\n")
    return copy


if __name__ == "__main__":
    main()
