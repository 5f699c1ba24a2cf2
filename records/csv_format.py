"""The district interchange format (docs/data-formats.md): its files, columns and cell rules.

One folder of UTF-8 CSV files with a header row. Each file's columns are declared once here, with
the rule that reads a cell; the importer, the exporter, the admin upload and the synthetic
district generator all use these declarations. No ORM here: this module only reads text.
"""

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from records.models import AttendanceStatus, ExitReason, OutcomeType


class CellError(ValueError):
    """A cell that breaks its column's rule; the message is the reason shown to the user."""


Reader = Callable[[str], object]


def _typed(sql_type: str):
    """Mark a cell reader with the SQL type of the values it returns (for staging tables)."""

    def mark(read: Reader) -> Reader:
        read.sql_type = sql_type  # type: ignore[attr-defined]
        return read

    return mark


def text(max_length: int) -> Reader:
    @_typed("text")
    def read(value: str) -> str:
        if len(value) > max_length:
            raise CellError(f"is {len(value)} characters long; at most {max_length} fit")
        return value

    return read


def integer(low: int | None = None, high: int | None = None) -> Reader:
    @_typed("integer")
    def read(value: str) -> int:
        stripped = value.strip()
        if not (stripped.lstrip("+-").isdigit() and stripped.isascii()):
            raise CellError("is not a whole number")
        number = int(stripped)
        _check_range(number, low, high)
        return number

    return read


def real(low: float, high: float) -> Reader:
    @_typed("real")
    def read(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise CellError("is not a number") from None
        if not math.isfinite(number):
            raise CellError("is not a finite number")
        _check_range(number, low, high)
        return number

    return read


def _check_range(number: float, low: float | None, high: float | None) -> None:
    if (low is not None and number < low) or (high is not None and number > high):
        raise CellError(f"is out of range: must be between {low:g} and {high:g}")


@_typed("date")
def date(value: str) -> str:
    """A YYYY-MM-DD date, returned as that text once checked (both databases take it as is)."""
    # Only YYYY-MM-DD: fromisoformat alone also takes 20250901 and week dates.
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise CellError("is not a date in the form YYYY-MM-DD")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise CellError("is not a real calendar date") from None
    return value


@_typed("text")
def school_year(value: str) -> str:
    """A school year as YYYY-YYYY, the second year the one after the first (2025-2026)."""
    first, dash, second = value.partition("-")
    if not (dash and len(first) == 4 and len(second) == 4 and (first + second).isdigit()):
        raise CellError("is not a school year in the form YYYY-YYYY (e.g. 2025-2026)")
    if int(second) != int(first) + 1:
        raise CellError("is not a school year: the second year must follow the first")
    return value


def choice(values: list[str]) -> Reader:
    allowed = frozenset(values)
    listed = ", ".join(values)

    @_typed("text")
    def read(value: str) -> str:
        if value not in allowed:
            raise CellError(f"is not one of: {listed}")
        return value

    return read


@dataclass(frozen=True)
class Column:
    """A column of a file. An empty cell is NULL; `required` columns refuse it."""

    name: str
    read: Reader
    required: bool = False

    @property
    def sql_type(self) -> str:
        return self.read.sql_type  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FileFormat:
    """One file of the format and the table it loads.

    `key` is the natural key within the file (in file column names): two rows with the same key
    are a duplicate, and a re-import updates the row with that key instead of adding one.
    `conflict` is the same key as the SQL of the table's unique index, for ON CONFLICT.
    """

    name: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    conflict: str
    # Columns that must be in the header, though each row may leave other columns out.
    header_required: tuple[str, ...] = field(default=())

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names_student(self) -> bool:
        """Whether rows name their student by district_id (every file but students.csv)."""
        return self.name != "students"


DISTRICT_ID = Column("district_id", text(50), required=True)

STUDENTS = FileFormat(
    name="students",
    table="students",
    columns=(
        DISTRICT_ID,
        Column("first_name", text(100), required=True),
        Column("last_name", text(100), required=True),
        Column("grade_level", integer(0, 12)),
        Column("date_of_birth", date, required=True),
        Column("gender", text(10)),
        Column("ethnicity", text(100)),
        Column("socioeconomic_status", text(50)),
        Column("gpa", real(0, 4.0)),
        Column("attendance_rate", real(0, 1.0)),
        Column("parent_contact", text(200)),
        Column("enrollment_date", date),
        Column("school", text(100)),
    ),
    key=("district_id",),
    conflict="(district_id)",
    header_required=("district_id", "first_name", "last_name", "date_of_birth"),
)

ENROLLMENTS = FileFormat(
    name="enrollments",
    table="enrollments",
    columns=(
        DISTRICT_ID,
        Column("school_year", school_year, required=True),
        Column("school", text(100), required=True),
        Column("grade_level", integer(0, 12)),
        Column("entry_date", date, required=True),
        Column("exit_date", date),
        Column("exit_reason", choice(ExitReason.values)),
    ),
    key=("district_id", "school_year", "school"),
    conflict="(student_id, school_year, school)",
    header_required=("district_id", "school_year", "school", "entry_date"),
)

ATTENDANCE = FileFormat(
    name="attendance",
    table="attendance_records",
    columns=(
        DISTRICT_ID,
        Column("date", date, required=True),
        Column("status", choice(AttendanceStatus.values), required=True),
        Column("period", integer(0, 99)),
    ),
    key=("district_id", "date", "period"),
    conflict="(student_id, date, (COALESCE(period, -1)))",
    header_required=("district_id", "date", "status"),
)

GRADES = FileFormat(
    name="grades",
    table="grades",
    columns=(
        DISTRICT_ID,
        Column("course_id", text(50), required=True),
        Column("course_name", text(200)),
        Column("grade_value", real(0, 100)),
        Column("grade_letter", text(2)),
        Column("submission_date", date, required=True),
        Column("assignment_type", text(50)),
    ),
    key=("district_id", "course_id", "submission_date", "assignment_type"),
    conflict="(student_id, course_id, submission_date, (COALESCE(assignment_type, '')))",
    header_required=("district_id", "course_id", "submission_date"),
)

DISCIPLINE = FileFormat(
    name="discipline",
    table="discipline_incidents",
    columns=(
        DISTRICT_ID,
        Column("incident_date", date, required=True),
        Column("severity_level", integer(1, 5)),
        Column("incident_type", text(100)),
        Column("description", text(100_000)),
        Column("resolution", text(200)),
    ),
    key=("district_id", "incident_date", "incident_type"),
    conflict="(student_id, incident_date, (COALESCE(incident_type, '')))",
    header_required=("district_id", "incident_date"),
)

OUTCOMES = FileFormat(
    name="outcomes",
    table="student_outcomes",
    columns=(
        DISTRICT_ID,
        Column("outcome_type", choice(OutcomeType.values), required=True),
        Column("outcome_date", date, required=True),
        Column("notes", text(100_000)),
    ),
    key=("district_id", "outcome_type", "outcome_date"),
    conflict="(student_id, outcome_type, outcome_date)",
    header_required=("district_id", "outcome_type", "outcome_date"),
)

# In load order: students first, so the records of new students find them.
FORMATS: tuple[FileFormat, ...] = (
    STUDENTS,
    ENROLLMENTS,
    ATTENDANCE,
    GRADES,
    DISCIPLINE,
    OUTCOMES,
)
BY_FILENAME = {f.filename: f for f in FORMATS}
