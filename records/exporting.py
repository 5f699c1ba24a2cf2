"""Writing the database out in the interchange format (docs/data-formats.md).

Every file has every column of the format, in the format's order, and its rows in natural-key
order, so an export is a deterministic function of the data: export, import into an empty
database, export again, and the files are identical. For that round trip the cells keep their
exact values, even those a spreadsheet would run as a formula (=, +, -, @): `formula_cells`
counts them so that export_csv can warn.
"""

import csv
from collections.abc import Callable
from pathlib import Path

from django.db import connection, transaction

from records.csv_format import FORMATS, FORMULA_STARTS, FileFormat

Progress = Callable[[str, int], None]  # (file name, rows written so far)


def _select_sql(fmt: FileFormat) -> str:
    if not fmt.names_student:
        columns = ", ".join(f"s.{c}" for c in fmt.column_names)
        return f"SELECT {columns} FROM students s ORDER BY s.district_id"
    columns = ", ".join(
        "s.district_id" if c == "district_id" else f"r.{c}" for c in fmt.column_names
    )
    keys = fmt.key + ((fmt.source_id,) if fmt.source_id else ())
    order = ", ".join("s.district_id" if k == "district_id" else f"r.{k} NULLS FIRST" for k in keys)
    # The natural-key order, then the source system's id, is total (rows without that id are
    # unique by the key, rows with one by the id), so the output is deterministic.
    return (
        f"SELECT {columns} FROM {fmt.table} r JOIN students s ON s.id = r.student_id "
        f"ORDER BY {order}"
    )


class _LineCounter:
    """Counts the rows COPY writes, for progress."""

    def __init__(self, out, name: str, progress: Progress | None) -> None:
        self.out, self.name, self.progress, self.rows = out, name, progress, -1  # header

    def write(self, data: bytes) -> int:
        self.rows += data.count(b"\n")
        if self.progress:
            self.progress(self.name, self.rows)
        return self.out.write(data)


def district_export(*, folder: Path, progress: Progress | None = None) -> dict[str, int]:
    """Write one file per kind of record into `folder`; return the rows written per file.

    Reads in one transaction (a consistent snapshot on PostgreSQL). Streams: PostgreSQL's COPY
    writes the rows; on SQLite they are fetched in batches. Memory stays small either way.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost and connection.vendor == "postgresql":
            # One snapshot for all five files, even while imports run.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for fmt in FORMATS:
            path = folder / fmt.filename
            if connection.vendor == "postgresql":
                with path.open("wb") as out:
                    counter = _LineCounter(out, fmt.filename, progress)
                    cursor.cursor.copy_expert(
                        f"COPY ({_select_sql(fmt)}) TO STDOUT WITH (FORMAT csv, HEADER, "
                        "ENCODING 'UTF8')",
                        counter,
                    )
                    written[fmt.filename] = counter.rows
            else:
                with path.open("w", encoding="utf-8", newline="") as out:
                    written[fmt.filename] = _write_rows(cursor, fmt, out, progress)
    return written


def _write_rows(cursor, fmt: FileFormat, out, progress: Progress | None) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fmt.column_names)
    cursor.execute(_select_sql(fmt))
    rows = 0
    while batch := cursor.fetchmany(10_000):
        writer.writerows(batch)
        rows += len(batch)
        if progress:
            progress(fmt.filename, rows)
    return rows


def formula_cells() -> dict[str, int]:
    """Per file, how many text cells an export writes that start like a spreadsheet formula.

    One query per file; `substr` reads the first character on both databases.
    """
    starts = ", ".join(["%s"] * len(FORMULA_STARTS))
    found = {}
    with connection.cursor() as cursor:
        for fmt in FORMATS:
            columns = [
                "s.district_id" if c.name == "district_id" else f"r.{c.name}"
                for c in fmt.columns
                if c.sql_type == "text"
            ]
            if not fmt.names_student:
                columns = [c.replace("r.", "s.", 1) for c in columns]
            source = (
                f"{fmt.table} r JOIN students s ON s.id = r.student_id"
                if fmt.names_student
                else "students s"
            )
            cells = " + ".join(
                f"CASE WHEN substr({c}, 1, 1) IN ({starts}) THEN 1 ELSE 0 END" for c in columns
            )
            cursor.execute(
                f"SELECT COALESCE(SUM({cells}), 0) FROM {source}",
                list(FORMULA_STARTS) * len(columns),
            )
            count = int(cursor.fetchone()[0])
            if count:
                found[fmt.filename] = count
    return found
