"""import_csv and export_csv on either database: all or nothing, idempotent, exact round trip."""

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from records.exporting import district_export
from records.importing import ImportRejected, district_import
from records.models import AttendanceRecord, DisciplineIncident, Grade, ImportRun, StudentOutcome
from students.models import Student
from tests.records.factories import AttendanceRecordFactory, GradeFactory
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db

MODELS = (Student, AttendanceRecord, Grade, DisciplineIncident, StudentOutcome)


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))
    return folder


def _snapshot():
    """Every row of every district table, with ids and timestamps: what 'unchanged' means."""
    return {m.__name__: sorted(map(repr, m.objects.values_list())) for m in MODELS}


def _rejected(folder: Path) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        district_import(folder=folder)
    return caught.value


STUDENTS = "district_id,first_name,last_name,grade_level,date_of_birth\n"


def test_it_imports_a_generated_district(small_district):
    result = district_import(folder=small_district)

    assert Student.objects.count() == 40
    assert AttendanceRecord.objects.count() == result.files["attendance.csv"].inserted > 1000
    assert Grade.objects.count() == result.files["grades.csv"].rows
    assert StudentOutcome.objects.count() == 40
    assert result.run.source == "command"


def test_export_import_into_an_empty_database_and_export_again_is_identical(
    small_district, tmp_path
):
    district_import(folder=small_district)
    district_export(folder=tmp_path / "first")
    Student.objects.all().delete()
    assert AttendanceRecord.objects.count() == 0

    district_import(folder=tmp_path / "first")
    district_export(folder=tmp_path / "second")

    for name in ("students.csv", "attendance.csv", "grades.csv", "discipline.csv", "outcomes.csv"):
        first = (tmp_path / "first" / name).read_bytes()
        assert first == (tmp_path / "second" / name).read_bytes(), name
        assert first.count(b"\n") > 1, name


def test_the_export_holds_what_was_imported(small_district, tmp_path):
    district_import(folder=small_district)
    district_export(folder=tmp_path)
    imported = sorted((small_district / "students.csv").read_text().splitlines()[1:])
    exported = sorted((tmp_path / "students.csv").read_text().splitlines()[1:])
    assert len(imported) == len(exported) == 40
    assert [line.split(",")[:5] for line in imported] == [line.split(",")[:5] for line in exported]


def test_importing_the_same_folder_twice_changes_nothing(small_district):
    district_import(folder=small_district)
    before = _snapshot()
    runs = ImportRun.objects.count()

    again = district_import(folder=small_district)

    assert _snapshot() == before
    assert ImportRun.objects.count() == runs
    assert again.run is None
    assert all(c.inserted == c.updated == 0 for c in again.files.values())


def test_a_changed_student_row_updates_that_student(tmp_path):
    _write(
        tmp_path, "students.csv", STUDENTS + "S1,Ann,Lee,9,2010-01-02\nS2,Bob,Ray,9,2010-03-04\n"
    )
    district_import(folder=tmp_path)
    bob = Student.objects.get(district_id="S2")
    _write(
        tmp_path, "students.csv", STUDENTS + "S1,Ann,Lee,10,2010-01-02\nS2,Bob,Ray,9,2010-03-04\n"
    )

    result = district_import(folder=tmp_path)

    counts = result.files["students.csv"]
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, 1)
    ann = Student.objects.get(district_id="S1")
    assert ann.grade_level == 10
    assert ann.updated_at > ann.created_at
    assert Student.objects.get(district_id="S2").updated_at == bob.updated_at


def test_a_changed_grade_updates_the_row_with_the_same_natural_key(tmp_path):
    student = StudentFactory(district_id="S1")
    header = "district_id,course_id,grade_value,submission_date,assignment_type\n"
    _write(
        tmp_path,
        "grades.csv",
        header + "S1,MATH-9,71,2025-09-12,quiz\nS1,MATH-9,80,2025-09-12,test\n",
    )
    district_import(folder=tmp_path)
    _write(
        tmp_path,
        "grades.csv",
        header + "S1,MATH-9,75,2025-09-12,quiz\nS1,MATH-9,80,2025-09-12,test\n",
    )

    district_import(folder=tmp_path)

    assert sorted(student.grades.values_list("assignment_type", "grade_value")) == [
        ("quiz", 75.0),
        ("test", 80.0),
    ]


def test_records_of_students_in_the_same_folder_are_loaded_with_them(tmp_path):
    _write(tmp_path, "students.csv", STUDENTS + "N1,New,Kid,3,2016-05-05\n")
    _write(tmp_path, "attendance.csv", "date,status,district_id\n2025-09-02,absent,N1\n")
    district_import(folder=tmp_path)
    assert AttendanceRecord.objects.get().student.district_id == "N1"


def test_a_byte_order_mark_is_accepted(tmp_path):
    _write(tmp_path, "students.csv", "\ufeff" + STUDENTS + "S1,Ann,Lee,9,2010-01-02\n")
    district_import(folder=tmp_path)
    assert Student.objects.get().district_id == "S1"


def test_empty_cells_are_null(tmp_path):
    _write(tmp_path, "students.csv", STUDENTS.strip() + ",gpa\nS1,Ann,Lee,,2010-01-02,\n")
    district_import(folder=tmp_path)
    student = Student.objects.get()
    assert (student.grade_level, student.gpa) == (None, None)


@pytest.fixture
def existing():
    """Data already in the database, which a refused import must leave exactly as it is."""
    student = StudentFactory(district_id="S1")
    AttendanceRecordFactory(student=student, date="2025-09-01", period=1)
    GradeFactory(student=student)
    return _snapshot()


BAD_INPUTS = {
    "bad date": (
        "attendance.csv",
        "district_id,date,status,period\nS1,2025-02-30,present,1\n",
        ("attendance.csv", 2, "date", "2025-02-30", "is not a real calendar date"),
    ),
    "badly written date": (
        "attendance.csv",
        "district_id,date,status,period\nS1,09/02/2025,present,1\n",
        ("attendance.csv", 2, "date", "09/02/2025", "is not a date in the form YYYY-MM-DD"),
    ),
    "out-of-range value": (
        "grades.csv",
        "district_id,course_id,grade_value,submission_date\nS1,MATH,101,2025-09-02\n",
        ("grades.csv", 2, "grade_value", "101", "is out of range: must be between 0 and 100"),
    ),
    "unknown status": (
        "attendance.csv",
        "district_id,date,status\nS1,2025-09-02,present\nS1,2025-09-03,late\n",
        ("attendance.csv", 3, "status", "late", "is not one of: present, absent, tardy, excused"),
    ),
    "unknown student": (
        "attendance.csv",
        "district_id,date,status\nS404,2025-09-02,present\n",
        ("attendance.csv", 2, "district_id", "S404", "no student has this district ID"),
    ),
    "missing required column": (
        "attendance.csv",
        "district_id,date,period\nS1,2025-09-02,1\n",
        ("attendance.csv", 1, "status", "", "required column is missing"),
    ),
    "unknown column": (
        "attendance.csv",
        "district_id,date,status,room\nS1,2025-09-02,present,12\n",
        ("attendance.csv", 1, "room", "", "unknown column"),
    ),
    "empty required cell": (
        "students.csv",
        STUDENTS + "S9,,Lee,3,2015-01-01\n",
        ("students.csv", 2, "first_name", "", "is required but empty"),
    ),
    "duplicate key": (
        "attendance.csv",
        "district_id,date,status,period\nS1,2025-09-02,present,1\nS1,2025-09-02,absent,2\n"
        "S1,2025-09-02,tardy,1\n",
        (
            "attendance.csv",
            4,
            "district_id, date, period",
            "S1, 2025-09-02, 1",
            "line 2 has the same",
        ),
    ),
    "truncated last line": (
        "attendance.csv",
        "district_id,date,status,period\nS1,2025-09-02,present,1\nS1,2025-09",
        ("attendance.csv", 3, "", "", "has 2 fields but the header has 4 (a truncated line?)"),
    ),
    "truncated quoted value": (
        "discipline.csv",
        'district_id,incident_date,description\nS1,2025-09-02,"Shouted at',
        ("discipline.csv", 2, "", "", "the last line is truncated"),
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=str)
def test_bad_input_gets_a_clear_problem_and_writes_nothing(case, existing, tmp_path):
    name, text, (file, line, column, value, reason) = BAD_INPUTS[case]
    # A good students.csv in the same folder must not be written either.
    if name != "students.csv":
        _write(tmp_path, "students.csv", STUDENTS + "S2,Good,Row,4,2015-02-02\n")
    _write(tmp_path, name, text)

    rejected = _rejected(tmp_path)

    assert rejected.total == 1, rejected.report()
    problem = rejected.problems[0]
    assert (problem.file, problem.line, problem.column, problem.value) == (
        file,
        line,
        column,
        value,
    )
    assert reason in problem.reason
    assert _snapshot() == existing


def test_a_file_in_another_encoding_is_refused_with_its_line(existing, tmp_path):
    _write(tmp_path, "students.csv", STUDENTS + "S7,José,Núñez,5,2014-04-04\n", encoding="latin-1")
    rejected = _rejected(tmp_path)
    problem = rejected.problems[0]
    assert (problem.file, problem.line, problem.column) == ("students.csv", 2, "first_name")
    assert "not UTF-8" in problem.reason
    assert _snapshot() == existing


def test_an_unknown_csv_file_is_refused(existing, tmp_path):
    _write(tmp_path, "attendence.csv", "district_id,date,status\n")
    rejected = _rejected(tmp_path)
    assert rejected.problems[0].file == "attendence.csv"
    assert "is not a file of the format" in rejected.problems[0].reason


def test_only_the_first_50_problems_are_listed_with_the_total(tmp_path):
    StudentFactory(district_id="S1")
    rows = "".join(f"S1,2025-09-{d:02d},nope\n" for d in range(1, 29)) * 3
    _write(tmp_path, "attendance.csv", "district_id,date,status\n" + rows)
    rejected = _rejected(tmp_path)
    assert rejected.total == 84
    assert len(rejected.problems) == 50
    assert "and 34 more" in rejected.report()


def test_the_command_exits_non_zero_and_prints_the_report(tmp_path):
    _write(tmp_path, "attendance.csv", "district_id,date,status\nS404,2025-09-02,present\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_csv", str(tmp_path), "--no-progress")
    message = str(caught.value)
    assert "Nothing was written" in message
    assert "attendance.csv, line 2, column district_id: value 'S404'" in message


def test_the_command_reports_counts(small_district, capsys):
    call_command("import_csv", str(small_district), "--no-progress")
    out = capsys.readouterr().out
    assert "students.csv: 40 rows: 40 inserted, 0 updated, 0 unchanged" in out


def test_an_import_into_tables_that_hold_data_merges_with_it(small_district, tmp_path):
    """The incremental path (PostgreSQL's staging upsert) next to the bulk path for empty tables."""
    StudentFactory(district_id="OLD-1")
    AttendanceRecordFactory(student=Student.objects.get(district_id="OLD-1"))
    shutil.copytree(small_district, tmp_path / "d", ignore=shutil.ignore_patterns("truth"))

    result = district_import(folder=tmp_path / "d")

    assert result.files["attendance.csv"].inserted == AttendanceRecord.objects.count() - 1
    assert Student.objects.count() == 41


def test_every_constraint_and_index_is_back_after_a_bulk_load(small_district):
    def shape():
        with connection.cursor() as cursor:
            return {
                table: sorted(
                    (name, c["unique"], tuple(c["columns"]), bool(c["foreign_key"]))
                    for name, c in connection.introspection.get_constraints(cursor, table).items()
                )
                for table in ("attendance_records", "grades", "discipline_incidents")
            }

    before = shape()
    district_import(folder=small_district)
    assert shape() == before
