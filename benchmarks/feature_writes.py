"""What PostgreSQL spends per feature row written, and on what: the floor under a backfill.

Usage: make bench-feature-writes [STUDENTS=5000]   (starts a throwaway PostgreSQL)
   or: DATABASE_URL=postgres://... python benchmarks/feature_writes.py --students 5000

Computes one as-of date's feature rows for a generated district, then COPYs the same rows again
for 20 other dates (about 1 kB of JSON each) into copies of student_features, each in its own
rolled-back transaction, twice over:
  - as the schema document defines the table (primary key, the redundant unique key, two
    indexes, the foreign key to students, feature_vector jsonb): what every backfill pays;
  - without the foreign key; without it and with the primary key only; with no key or index;
  - with no key or index and the document as text, or with the primary key and json.
Prints microseconds per row for each (the best of the two rounds) and a chart. A backfill of 36
weeks at 100,000 students writes about 3.4 million rows through one connection (one
transaction, so every date is replaced at once): rows x microseconds is the least it can take.
"""

import argparse
import datetime as dt
import io
import time

from _common import bar_chart, ensure_district, setup_django

setup_django()

from django.db import connection, transaction  # noqa: E402

from analytics.services import features_compute  # noqa: E402

AS_OF = dt.date(2026, 5, 24)
COLUMNS = (
    "student_id, feature_date, attendance_rate, gpa_current, discipline_incidents, feature_vector"
)
PLAIN = (
    "CREATE TABLE bench_features (LIKE student_features INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
)
TABLES = {
    "as the schema defines it": (
        "CREATE TABLE bench_features (LIKE student_features INCLUDING ALL)",
        "ALTER TABLE bench_features ADD FOREIGN KEY (student_id) REFERENCES students (id)",
    ),
    "without the foreign key": (
        "CREATE TABLE bench_features (LIKE student_features INCLUDING ALL)",
    ),
    "primary key only": (
        PLAIN,
        "ALTER TABLE bench_features ADD PRIMARY KEY (student_id, feature_date)",
    ),
    "no key or index": (PLAIN,),
    "no key or index, text": (PLAIN, "ALTER TABLE bench_features ALTER feature_vector TYPE text"),
    "primary key only, json": (
        PLAIN,
        "ALTER TABLE bench_features ADD PRIMARY KEY (student_id, feature_date)",
        "ALTER TABLE bench_features ALTER feature_vector TYPE json",
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--dates", type=int, default=20)
    args = parser.parse_args()
    ensure_district(args.students)
    features_compute(as_of=AS_OF)
    with connection.cursor() as cursor:
        buffer = io.StringIO()
        cursor.cursor.copy_expert(
            f"COPY (SELECT {COLUMNS} FROM student_features WHERE feature_date = '{AS_OF}') "
            "TO STDOUT",
            buffer,
        )
    one_date = buffer.getvalue()
    per_date = one_date.count("\n")
    text = "".join(
        one_date.replace(f"\t{AS_OF.isoformat()}\t", f"\t{AS_OF - dt.timedelta(weeks=k)}\t")
        for k in range(1, args.dates + 1)
    )
    rows = per_date * args.dates
    size = len(one_date) // per_date
    print(f"{rows:,} rows ({args.dates} dates of {per_date:,}), {size} bytes each")

    micros: dict[str, float] = {}
    for round_ in (1, 2):
        for name, statements in TABLES.items():
            with transaction.atomic(), connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                start = time.perf_counter()
                cursor.cursor.copy_expert(
                    f"COPY bench_features ({COLUMNS}) FROM STDIN", io.StringIO(text)
                )
                seconds = time.perf_counter() - start
                transaction.set_rollback(True)
            per_row = seconds / rows * 1e6
            micros[name] = min(micros.get(name, per_row), per_row)
            print(f"round {round_}: {name:<26} {seconds:6.2f} s {per_row:6.1f} us/row", flush=True)
    print()
    print(bar_chart("PostgreSQL's cost per feature row written (best of 2)", micros, "us/row"))
    full = micros["as the schema defines it"]
    print(
        f"\nAt {full:.1f} us a row, 3.4 million rows (36 weeks of 95,000 students) take at least "
        f"{3.4e6 * full / 1e6:,.0f} s to write through one connection."
    )


if __name__ == "__main__":
    main()
