"""The research export: the interchange files without direct identifiers (k-anonymous).

`research_export(folder=..., secret=..., k=...)` writes students.csv, attendance.csv,
grades.csv, discipline.csv and outcomes.csv, plus anonymisation.json (what was done):
- every student is named by a pseudonym, `R` + the first 20 hex digits of HMAC-SHA256(district
  secret, district ID): the same secret gives the same pseudonym in every export, and without
  the secret nobody can link one back to a student (or to another export made with another);
- names, parent contact, the district ID and the exact birth date are gone; the age in whole
  years at the school year's start replaces the birth date; the enrollment date becomes a year;
- free text is dropped: incident descriptions and resolutions, outcome notes;
- the quasi-identifiers (school, grade level, gender, ethnicity, socioeconomic status, age,
  enrollment year) are
  generalised, one attribute a step at a time over the whole file (full-domain generalisation,
  the Datafly heuristic: the attribute with the most distinct values first), until at most
  `max_suppressed` of the students are in a combination shared by fewer than k students; those
  students are then suppressed (left out of every file). Every combination in the output covers
  at least k students.
Reads in one transaction; writes nothing to the database but one entry in the record of access
(counts only).
"""

import csv
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from django.db import connection, transaction

from analytics import access_log
from analytics.models import AccessPage

SUPPRESSED = "*"


def _grade_band(grade) -> str:
    if pd.isna(grade):
        return ""
    grade = int(grade)
    return "K-2" if grade <= 2 else "3-5" if grade <= 5 else "6-8" if grade <= 8 else "9-12"


def _age_band(age) -> str:
    if pd.isna(age):
        return ""
    low = int(age) // 3 * 3
    return f"{low}-{low + 2}"


# Each quasi-identifier's steps, from the exact value to suppressed: (name shown, function).
HIERARCHIES: dict[str, tuple[tuple[str, object], ...]] = {
    "school": (("exact", None), ("suppressed", None)),
    "grade_level": (
        ("exact", None),
        ("bands K-2, 3-5, 6-8, 9-12", _grade_band),
        ("suppressed", None),
    ),
    "gender": (("exact", None), ("suppressed", None)),
    "ethnicity": (("exact", None), ("suppressed", None)),
    "socioeconomic_status": (("exact", None), ("suppressed", None)),
    "age": (("exact", None), ("3-year bands", _age_band), ("suppressed", None)),
    # The year a student enrolled singles out the few who joined in an unusual year.
    "enrollment_year": (("exact", None), ("suppressed", None)),
}
QUASI_IDENTIFIERS = tuple(HIERARCHIES)

STUDENT_COLUMNS = (
    "student",
    *QUASI_IDENTIFIERS,
    "gpa",
    "attendance_rate",
)
# file: (table, its columns kept, in order; sort key after the pseudonym)
RECORD_FILES = {
    "attendance.csv": ("attendance_records", ("date", "status", "period")),
    "grades.csv": (
        "grades",
        (
            "course_id",
            "course_name",
            "grade_value",
            "grade_letter",
            "submission_date",
            "assignment_type",
        ),
    ),
    # description and resolution are free text: dropped.
    "discipline.csv": (
        "discipline_incidents",
        ("incident_date", "severity_level", "incident_type"),
    ),
    # notes are free text: dropped.
    "outcomes.csv": ("student_outcomes", ("outcome_type", "outcome_date")),
}


class ResearchExportError(ValueError):
    pass


def pseudonym(secret: str, district_id: str) -> str:
    digest = hmac.new(secret.encode(), district_id.encode(), hashlib.sha256).hexdigest()
    return f"R{digest[:20]}"


def school_year_start(today: dt.date) -> dt.date:
    """1 August of the school year `today` is in."""
    year = today.year if today.month >= 8 else today.year - 1
    return dt.date(year, 8, 1)


def _age(born: pd.Series, on: dt.date) -> pd.Series:
    born = pd.to_datetime(born)
    before_birthday = (born.dt.month > on.month) | (
        (born.dt.month == on.month) & (born.dt.day > on.day)
    )
    return (on.year - born.dt.year - before_birthday.astype(int)).astype("Int64")


def _generalised(values: pd.Series, column: str, level: int) -> pd.Series:
    name, step = HIERARCHIES[column][level]
    if name == "exact":
        return values.map(lambda v: "" if pd.isna(v) else str(v))
    if name == "suppressed":
        return pd.Series(SUPPRESSED, index=values.index)
    return values.map(step)


@dataclass
class Anonymisation:
    k: int
    levels: dict[str, int]
    suppressed: int
    students: int  # students written

    def describe(self) -> list[str]:
        lines = [
            f"{column}: {HIERARCHIES[column][level][0]}"
            for column, level in self.levels.items()
            if level
        ]
        return lines or ["nothing generalised"]


def k_anonymise(students: pd.DataFrame, *, k: int, max_suppressed: float):
    """(generalised rows kept, Anonymisation): every combination of the quasi-identifiers of
    the rows kept covers at least k rows."""
    levels = dict.fromkeys(QUASI_IDENTIFIERS, 0)
    budget = int(max_suppressed * len(students))
    while True:
        shown = pd.DataFrame(
            {c: _generalised(students[c], c, levels[c]) for c in QUASI_IDENTIFIERS}
        )
        sizes = shown.groupby(list(QUASI_IDENTIFIERS), dropna=False)[QUASI_IDENTIFIERS[0]]
        small = sizes.transform("size") < k
        can_generalise = [c for c in QUASI_IDENTIFIERS if levels[c] < len(HIERARCHIES[c]) - 1]
        if small.sum() <= budget or not can_generalise:
            break
        # Datafly: generalise the attribute with the most distinct values.
        widest = max(
            can_generalise, key=lambda c: (shown[c].nunique(), -QUASI_IDENTIFIERS.index(c))
        )
        levels[widest] += 1
    kept = students.loc[~small].copy()
    for column in QUASI_IDENTIFIERS:
        kept[column] = shown.loc[~small, column]
    return kept, Anonymisation(k=k, levels=levels, suppressed=int(small.sum()), students=len(kept))


def research_export(
    *,
    folder: Path,
    secret: str,
    k: int,
    max_suppressed: float = 0.02,
    year_start: dt.date,
) -> Anonymisation:
    """Write the de-identified files into `folder` (steps in the module's docstring)."""
    if not secret:
        raise ResearchExportError(
            "Set EDUPULSE_RESEARCH_SECRET (a long random string kept by the district): "
            "pseudonyms are keyed with it."
        )
    if k < 2:
        raise ResearchExportError("k must be at least 2.")
    folder.mkdir(parents=True, exist_ok=True)
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost and connection.vendor == "postgresql":
            # One snapshot for every file, even while an import runs.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute(
            "SELECT id, district_id, school, grade_level, gender, ethnicity, "
            "socioeconomic_status, date_of_birth, gpa, attendance_rate, enrollment_date "
            "FROM students"
        )
        names = [c[0] for c in cursor.description]
        students = pd.DataFrame(cursor.fetchall(), columns=names)
        students["age"] = _age(students["date_of_birth"], year_start) if len(students) else []
        students["enrollment_year"] = pd.to_datetime(students["enrollment_date"]).dt.year
        students["student"] = [pseudonym(secret, d) for d in students["district_id"]]
        kept, report = k_anonymise(students, k=k, max_suppressed=max_suppressed)
        kept["gpa"] = kept["gpa"].round(2)
        kept = kept.sort_values("student")
        kept.loc[:, list(STUDENT_COLUMNS)].to_csv(folder / "students.csv", index=False)
        by_id = dict(zip(_ids(kept["id"]), kept["student"], strict=True))
        written = {"students.csv": len(kept)}
        for filename, (table, columns) in RECORD_FILES.items():
            # A server-side cursor on PostgreSQL: a year of attendance never sits in memory.
            with connection.chunked_cursor() as rows:
                written[filename] = _write_records(rows, folder / filename, table, columns, by_id)
    summary = {
        "k": k,
        "quasi_identifiers": list(QUASI_IDENTIFIERS),
        "generalised": report.describe(),
        "students_suppressed": report.suppressed,
        "students_written": report.students,
        "age": f"whole years on {year_start.isoformat()}",
        "rows": written,
        "pseudonym": "R + the first 20 hex digits of HMAC-SHA256(district secret, district ID)",
        "removed": "names, parent contact, district ID, birth date, enrollment date (year kept), "
        "incident descriptions and resolutions, outcome notes",
    }
    (folder / "anonymisation.json").write_text(json.dumps(summary, indent=2) + "\n")
    access_log.write(
        [
            access_log.entry(
                page=AccessPage.RESEARCH_EXPORT,
                filters={"k": k, "generalised": report.describe(), "rows": written},
                student_count=report.students,
            )
        ]
    )
    return report


def _ids(values) -> list[str]:
    """Student ids as the cursor gives them (a UUID on PostgreSQL, 32 hex digits on SQLite),
    in one form."""
    return [str(v).replace("-", "") for v in values]


def _write_records(cursor, path: Path, table: str, columns: tuple, by_id: dict) -> int:
    """Stream one table's rows, the student's pseudonym first; suppressed students' rows are
    left out. Ordered by the student's row id and the record's columns (the (student_id, ...)
    index of each table), so exports of the same data are identical; memory stays small."""
    select = ", ".join(columns)
    cursor.execute(f"SELECT student_id, {select} FROM {table} ORDER BY student_id, {select}")
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("student", *columns))
        while batch := cursor.fetchmany(10_000):
            for student_id, *values in batch:
                name = by_id.get(str(student_id).replace("-", ""))
                if name is not None:
                    writer.writerow((name, *("" if v is None else v for v in values)))
                    rows += 1
    return rows
