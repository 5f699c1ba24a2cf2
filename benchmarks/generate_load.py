"""Time to generate a district and load it into PostgreSQL (the 100,000-student target).

Usage: make bench-generate [STUDENTS=100000] [YEARS=3]
   or: DATABASE_URL=postgres://... python benchmarks/generate_load.py --students 100000 --years 3

Generates the district's CSV files (vectorised numpy), then loads them with the normal import
(every row checked) into an empty database; prints the time of each step and the row counts.
"""

import argparse
import datetime as dt
import shutil
import tempfile
from pathlib import Path

from _common import bar_chart, peak_rss_mb, setup_django, timed
from tqdm import tqdm

setup_django()

from records.importing import district_import  # noqa: E402
from records.synthetic import DistrictSpec, generate_district  # noqa: E402
from students.models import Student  # noqa: E402


def _progress():
    bars: dict[str, tqdm] = {}

    def update(name: str, done: int, size: int) -> None:
        bar = bars.setdefault(
            name, tqdm(total=size, desc=f"loading {name}", unit="B", unit_scale=True)
        )
        bar.update(done - bar.n)

    return update


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=3, help="school years (default 3)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edupulse-bench-"))
    seconds: dict[str, float] = {}
    try:
        Student.objects.all().delete()
        with (
            timed(seconds, "generate CSV files"),
            tqdm(total=args.students, desc="generating") as bar,
        ):
            summary = generate_district(
                # Every year over before today: the import refuses records dated after it.
                DistrictSpec(
                    students=args.students,
                    years=args.years,
                    start=DistrictSpec.start - dt.timedelta(weeks=52 * (args.years - 1)),
                ),
                work,
                work / "truth" / "true_risk.csv",
                progress=lambda done, total: bar.update(done - bar.n),
            )
        with timed(seconds, "load into PostgreSQL"):
            result = district_import(folder=work, progress=_progress())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = sum(summary.rows.values())
    print(
        f"{args.students:,} students a year over {args.years} school year(s) "
        f"({summary.students:,} students in all), {rows:,} rows:"
    )
    for name, count in summary.rows.items():
        print(f"  {name}.csv: {count:,} rows")
    assert sum(c.inserted for c in result.files.values()) == rows
    print()
    for name, s in seconds.items():
        print(f"{name:<22} {s:>8.1f} s  ({rows / s:,.0f} rows/s)")
    total = sum(seconds.values())
    print(f"{'total':<22} {total:>8.1f} s  ({total / 60:.1f} minutes)")
    print(f"peak memory of this process: {peak_rss_mb():,.0f} MB")
    print()
    print(bar_chart("Seconds per step", seconds, "s"))


if __name__ == "__main__":
    main()
