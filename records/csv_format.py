"""The district interchange format (docs/data-formats.md): its files, columns and cell rules.

One folder of UTF-8 CSV files with a header row. Each file's columns are declared once here, with
the rule that reads a cell; the importer, the exporter, the admin upload and the synthetic
district generator all use these declarations. No ORM here: this module only reads text.
"""

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from records.models import AttendanceStatus, ExitReason, OutcomeType
from students.demographics import CHOICES, canonical


class CellError(ValueError):
    """A cell that breaks its column's rule; the message is the reason shown to the user."""


Reader = Callable[[str], object]


def _typed(sql_type: str):
    """Mark a cell reader with the SQL type of the values it returns (for staging tables)."""

    def mark(read: Reader) -> Reader:
        read.sql_type = sql_type  # type: ignore[attr-defined]
        return read

    return mark


# Characters no cell may hold: C0/C1 controls (NUL, ESC, BEL, ...), the Unicode line and
# paragraph separators, and the bidirectional embedding, override and isolate controls (U+202E
# turns "gpj.exe" into "exe.jpg" on screen). Multi-line text columns accept tab, LF and CR.
_UNICODE_CONTROLS = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_FORBIDDEN_ONE_LINE = re.compile(f"[\x00-\x1f{_UNICODE_CONTROLS}]")
_FORBIDDEN_MULTI_LINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_UNICODE_CONTROLS}]")


def _forbidden_reason(char: str) -> str:
    if char in "\r\n\u2028\u2029":
        return "holds a line break, which this column does not take"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return f"holds the invisible text-direction control U+{ord(char):04X}"
    return f"holds the control character U+{ord(char):04X}"


def text(max_length: int, *, multiline: bool = False) -> Reader:
    """Text of at most `max_length` characters, without control characters; line breaks and
    tabs only where `multiline` (free-text notes)."""
    forbidden = _FORBIDDEN_MULTI_LINE if multiline else _FORBIDDEN_ONE_LINE

    @_typed("text")
    def read(value: str) -> str:
        if len(value) > max_length:
            raise CellError(f"is {len(value)} characters long; at most {max_length} fit")
        bad = forbidden.search(value)
        if bad:
            raise CellError(_forbidden_reason(bad.group()))
        return value

    return read


# Numbers are ASCII decimal digits only: no digit grouping (5_0), no other scripts' digits,
# no inf or nan. Whole numbers have at most nine digits; decimals may carry an exponent (the
# export writes 1e-05 for a tiny value) but not one a 4-byte real cannot hold (1e-400).
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")
_REAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_REAL_MAX_LENGTH = 32
_REAL_SMALLEST = 1e-30


def integer(low: int | None = None, high: int | None = None) -> Reader:
    @_typed("integer")
    def read(value: str) -> int:
        if not _INTEGER.fullmatch(value):
            raise CellError("is not a whole number (digits 0-9 and an optional sign)")
        number = int(value)
        _check_range(number, low, high)
        return number

    return read


def real(low: float, high: float) -> Reader:
    @_typed("real")
    def read(value: str) -> float:
        if len(value) > _REAL_MAX_LENGTH or not _REAL.fullmatch(value):
            raise CellError("is not a decimal number (digits 0-9, a sign and a point)")
        number = float(value)
        if not math.isfinite(number):
            raise CellError("is out of range")
        # A 4-byte real (the schema's REAL) holds nothing nearer 0 than about 1e-38.
        nonzero = any(c in "123456789" for c in value.lower().partition("e")[0])
        if nonzero and abs(number) < _REAL_SMALLEST:
            raise CellError("is too close to 0 to store; write 0")
        _check_range(number, low, high)
        return number

    return read


def _check_range(number: float, low: float | None, high: float | None) -> None:
    if (low is not None and number < low) or (high is not None and number > high):
        raise CellError(f"is out of range: must be between {low:g} and {high:g}")


# The dates a district's records can hold: earlier or later ones are typing slips (0001-01-01,
# 9999-12-31) that would break every age and every weekly window computed from them.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@_typed("date")
def date(value: str) -> str:
    """A YYYY-MM-DD date from 1900-01-01 to 2099-12-31, returned as that text once checked
    (both databases take it as is)."""
    # Only YYYY-MM-DD in ASCII digits: fromisoformat alone also takes 20250901 and week dates.
    if not _DATE.fullmatch(value):
        raise CellError("is not a date in the form YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CellError("is not a real calendar date") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CellError(f"is out of range: dates run from {EARLIEST_DATE} to {LATEST_DATE}")
    return value


# A cell a spreadsheet may run as a formula starts with one of these (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """`value` as a cell of a CSV meant for people: text that a spreadsheet would run as a
    formula gets a leading apostrophe, which spreadsheets show as text. Not for the interchange
    files, which keep exact values (docs/data-formats.md)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
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


def controlled(field: str) -> Reader:
    """One of a demographic field's controlled values (students/demographics.py), in any of its
    common spellings, case-insensitively; a "not known" spelling reads as empty."""
    listed = ", ".join(CHOICES[field].values)

    @_typed("text")
    def read(value: str) -> str | None:
        try:
            return canonical(field, value)
        except KeyError:
            raise CellError(
                f"is not one of: {listed} (or a common spelling of one, docs/data-formats.md)"
            ) from None

    return read


@dataclass(frozen=True)
class Column:
    """A column of a file. An empty cell is NULL; `required` columns refuse it."""

    name: str
    read: Reader
    required: bool = False
    # Personal data (names, birth date, contact): a problem report names the column and the
    # reason but never repeats the value, on the terminal or the page.
    personal: bool = False
    # A date that cannot lie after the day of the import (a record of what happened).
    not_future: bool = False

    @property
    def sql_type(self) -> str:
        return self.read.sql_type  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FileFormat:
    """One file of the format and the table it loads.

    `key` is the natural key within the file (in file column names): two rows with the same key
    are a duplicate, and a re-import updates the row with that key instead of adding one.
    `conflict` is the same key as the SQL of the table's unique index, for ON CONFLICT.
    `source_id` names the optional column holding the row's id in the district's system
    (grades' assignment_id, discipline's incident_id): a row with one is keyed by
    (district_id, source_id) instead, and `key` covers only the rows without one.
    """

    name: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    conflict: str
    # Columns that must be in the header, though each row may leave other columns out.
    header_required: tuple[str, ...] = field(default=())
    source_id: str | None = None

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

    def keys(self) -> list["Key"]:
        """The file's keys: one per kind of row (without and with the source system's id)."""
        if self.source_id is None:
            return [Key(self.key, self.conflict)]
        return [
            Key(
                self.key,
                f"{self.conflict} WHERE {self.source_id} IS NULL",
                f"{self.source_id} IS NULL",
            ),
            Key(
                ("district_id", self.source_id),
                f"(student_id, {self.source_id}) WHERE {self.source_id} IS NOT NULL",
                f"{self.source_id} IS NOT NULL",
            ),
        ]


@dataclass(frozen=True)
class Key:
    """A natural key of a file: its columns (file names), the ON CONFLICT target of its unique
    index, and the rows it covers (an SQL condition; empty for every row)."""

    columns: tuple[str, ...]
    conflict: str
    rows: str = ""


DISTRICT_ID = Column("district_id", text(50), required=True)

STUDENTS = FileFormat(
    name="students",
    table="students",
    columns=(
        DISTRICT_ID,
        Column("first_name", text(100), required=True, personal=True),
        Column("last_name", text(100), required=True, personal=True),
        Column("grade_level", integer(0, 12)),
        Column("date_of_birth", date, required=True, personal=True, not_future=True),
        Column("gender", controlled("gender")),
        Column("ethnicity", controlled("ethnicity")),
        Column("socioeconomic_status", controlled("socioeconomic_status")),
        Column("gpa", real(0, 4.0)),
        Column("attendance_rate", real(0, 1.0)),
        Column("parent_contact", text(200), personal=True),
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
        Column("date", date, required=True, not_future=True),
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
        Column("submission_date", date, required=True, not_future=True),
        Column("assignment_type", text(50)),
        Column("assignment_id", text(100)),
    ),
    key=("district_id", "course_id", "submission_date", "assignment_type"),
    conflict="(student_id, course_id, submission_date, (COALESCE(assignment_type, '')))",
    header_required=("district_id", "course_id", "submission_date"),
    source_id="assignment_id",
)

DISCIPLINE = FileFormat(
    name="discipline",
    table="discipline_incidents",
    columns=(
        DISTRICT_ID,
        Column("incident_date", date, required=True, not_future=True),
        Column("severity_level", integer(1, 5)),
        Column("incident_type", text(100)),
        Column("description", text(100_000, multiline=True)),
        Column("resolution", text(200)),
        Column("incident_id", text(100)),
    ),
    key=("district_id", "incident_date", "incident_type"),
    conflict="(student_id, incident_date, (COALESCE(incident_type, '')))",
    header_required=("district_id", "incident_date"),
    source_id="incident_id",
)

OUTCOMES = FileFormat(
    name="outcomes",
    table="student_outcomes",
    columns=(
        DISTRICT_ID,
        Column("outcome_type", choice(OutcomeType.values), required=True),
        Column("outcome_date", date, required=True, not_future=True),
        Column("notes", text(100_000, multiline=True)),
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
