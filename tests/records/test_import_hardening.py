"""Hostile input to the import: every file is either imported or refused with file, line, column
and reason; never a traceback, never a 500, and a refusal changes nothing (on both databases)."""

import csv
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from records import importing
from records.csv_format import FORMATS, STUDENTS, CellError
from records.importing import ImportRejected, district_import
from records.models import AttendanceRecord, DisciplineIncident, Grade, StudentOutcome
from students.models import Student
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db

MODELS = (Student, AttendanceRecord, Grade, DisciplineIncident, StudentOutcome)
HEADER = "district_id,first_name,last_name,grade_level,date_of_birth\n"
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _snapshot():
    return {m.__name__: sorted(map(repr, m.objects.values_list())) for m in MODELS}


def _folder(files: dict[str, bytes]) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="edupulse-fuzz-"))
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def _import_or_refusal(files: dict[str, bytes]) -> ImportRejected | None:
    """Import the files; the refusal if refused (checking it changed nothing)."""
    folder = _folder(files)
    before = _snapshot()
    try:
        district_import(folder=folder)
    except ImportRejected as rejected:
        assert _snapshot() == before
        for problem in rejected.problems:
            assert problem.file and problem.reason
            assert problem.line >= 0
            str(problem).encode("utf-8")  # printable: no lone surrogates
        return rejected
    finally:
        shutil.rmtree(folder)
    return None


def _reasons(files: dict[str, bytes]) -> list[str]:
    rejected = _import_or_refusal(files)
    assert rejected is not None, "the import should have been refused"
    return [str(p) for p in rejected.problems]


@pytest.mark.parametrize("value", ["+-5", "--3", "-+0", "5_0", "\u0665", "1e2", " 5 5", "0x5"])
def test_it_refuses_malformed_integers_with_file_line_and_column(value):
    reasons = _reasons({"students.csv": f"{HEADER}U1,Ida,Wells,{value},2012-07-16\n".encode()})
    assert len(reasons) == 1
    assert reasons[0].startswith("students.csv, line 2, column grade_level:")
    assert "not a whole number" in reasons[0]
    assert not Student.objects.exists()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("5_0", "not a decimal number"),
        ("\u0663.\u0665", "not a decimal number"),
        ("1e-400", "too close to 0"),
        ("nan", "not a decimal number"),
        ("inf", "not a decimal number"),
        ("1e999", "out of range"),
    ],
)
def test_it_refuses_lenient_decimal_forms(value, reason):
    header = "district_id,first_name,last_name,date_of_birth,gpa\n"
    reasons = _reasons({"students.csv": f"{header}U1,Ida,Wells,2012-07-16,{value}\n".encode()})
    assert reason in reasons[0]


def test_it_accepts_the_documented_decimal_forms():
    header = "district_id,first_name,last_name,date_of_birth,gpa,attendance_rate\n"
    rows = "U1,A,B,2012-07-16,3.5,1e-05\nU2,A,B,2012-07-16,.5,+1\nU3,A,B,2012-07-16,4,0.\n"
    assert _import_or_refusal({"students.csv": (header + rows).encode()}) is None
    assert sorted(Student.objects.values_list("gpa", flat=True)) == [0.5, 3.5, 4.0]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2100-01-01"])
def test_it_refuses_dates_outside_1900_to_2099(day):
    reasons = _reasons({"students.csv": f"{HEADER}U1,Ida,Wells,5,{day}\n".encode()})
    assert "column date_of_birth: is out of range" in reasons[0]


def test_it_refuses_dates_in_other_scripts_digits():
    reasons = _reasons({"students.csv": f"{HEADER}U1,Ida,Wells,5,\u0662012-07-16\n".encode()})
    assert "YYYY-MM-DD" in reasons[0]


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("Ida\x00", "control character U+0000"),
        ("Ida\x1b[31m", "control character U+001B"),
        ("Ida\x07", "control character U+0007"),
        ('"Ida\r\nWells"', "line break"),
        ('"Ida\nWells"', "line break"),
        ("Ida\u202egpj.exe", "text-direction control U+202E"),
        ("Ida\u2028Wells", "line break"),
    ],
)
def test_it_refuses_control_characters_in_text(cell, reason):
    reasons = _reasons({"students.csv": f"{HEADER}U1,{cell},Wells,5,2012-07-16\n".encode()})
    assert len(reasons) == 1
    assert "column first_name" in reasons[0] and reason in reasons[0]


def test_free_text_notes_keep_their_line_breaks_and_tabs():
    StudentFactory(district_id="U1")
    notes = '"Met the family.\r\nNext:\tcall in May."'
    text = f"district_id,outcome_type,outcome_date,notes\nU1,graduated,2025-06-01,{notes}\n"
    assert _import_or_refusal({"outcomes.csv": text.encode()}) is None
    assert StudentOutcome.objects.get().notes == "Met the family.\r\nNext:\tcall in May."


def test_control_characters_in_free_text_are_refused():
    StudentFactory(district_id="U1")
    text = "district_id,outcome_type,outcome_date,notes\nU1,graduated,2025-06-01,ok\x00\n"
    assert "U+0000" in _reasons({"outcomes.csv": text.encode()})[0]


def test_a_latin1_header_is_reported_as_not_utf8():
    reasons = _reasons({"students.csv": "district_id,first_name,sch\u00f6ol\n".encode("latin-1")})
    assert reasons == ["students.csv, line 1: the header is not UTF-8 text: save it as UTF-8"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le"])
def test_a_utf16_file_is_reported_as_not_utf8(encoding):
    reasons = _reasons({"students.csv": f"{HEADER}U1,Ida,Wells,5,2012-07-16\n".encode(encoding)})
    assert len(reasons) == 1
    assert "UTF-8" in reasons[0] and reasons[0].startswith("students.csv, line 1")


def test_a_line_longer_than_the_limit_is_refused_without_reading_it_whole(monkeypatch):
    monkeypatch.setattr(importing, "MAX_LINE_CHARS", 1000)
    long_line = f"U1,{'x' * 5000},Wells,5,2012-07-16\n"
    reasons = _reasons({"students.csv": (HEADER + long_line).encode()})
    assert reasons == [
        "students.csv, line 2: the line is longer than 1,000 characters: not a file of the format"
    ]


def test_the_report_does_not_echo_personal_values_but_shows_others():
    text = f"{HEADER}U1,{'N' * 101},Wells,55,2012-02-30\n"
    reasons = _reasons({"students.csv": text.encode()})
    assert "N" * 101 not in "".join(reasons)
    assert "2012-02-30" not in "".join(reasons)
    assert any("column first_name: is 101 characters long" in r for r in reasons)
    assert any("column date_of_birth: is not a real calendar date" in r for r in reasons)
    assert any("column grade_level: value '55' is out of range" in r for r in reasons)


def test_import_csv_command_reports_a_bad_integer_without_a_traceback(tmp_path):
    (tmp_path / "students.csv").write_text(f"{HEADER}U1,Ida,Wells,+-5,2012-07-16\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_csv", str(tmp_path), "--no-progress")
    assert "students.csv, line 2, column grade_level: value '+-5' is not a whole number" in str(
        caught.value
    )


def _upload(client, user, data: bytes, name="students"):
    client.force_login(user)
    upload = SimpleUploadedFile("x.csv", data, content_type="text/csv")
    return client.post(reverse("admin:records_importrun_upload"), {name: upload})


@pytest.mark.parametrize(
    "data",
    [
        f"{HEADER}U1,Ida,Wells,+-5,2012-07-16\n".encode(),
        "district_id,first_name,sch\u00f6ol\n".encode("latin-1"),
        f"{HEADER}U1,Ida,Wells,5,2012-07-16\n".encode("utf-16"),
        f"{HEADER}U1,Ida\x00,Wells,5,2012-07-16\n".encode(),
        b"\xff\xfe\x00\x00\x00garbage",
    ],
)
def test_the_admin_upload_shows_a_report_not_a_500(client, data_entry_user, data):
    response = _upload(client, data_entry_user, data)
    assert response.status_code == 200
    assert "Import refused" in response.content.decode()
    assert not Student.objects.exists()


def test_the_admin_upload_refuses_a_request_over_the_size_limit(client, data_entry_user, settings):
    settings.EDUPULSE_UPLOAD_MAX_BYTES = 1000
    response = _upload(
        client, data_entry_user, (HEADER + "U1,Ida,Wells,5,2012-07-16\n" * 100).encode()
    )
    assert response.status_code == 200
    assert 'id="upload-too-big"' in response.content.decode()
    assert not Student.objects.exists()


# --- Properties -------------------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
NUMBERISH = st.text(st.sampled_from("0123456789+-._eE \u0665\u00b2xinfa"), max_size=12)


@pytest.mark.parametrize(
    "column", [c for fmt in FORMATS for c in fmt.columns], ids=lambda c: c.name
)
@given(value=st.one_of(ANY_TEXT, NUMBERISH))
@FUZZ
def test_every_column_reads_a_value_or_refuses_it_with_a_reason(column, value):
    try:
        column.read(value)
    except CellError as exc:
        assert str(exc)


def _students_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STUDENTS.column_names)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


# A valid value of each students.csv column, mixed with hostile text and number-like strings:
# most rows have the header's width, so every cell's rule is exercised.
VALID = {
    "district_id": "U1", "first_name": "Ida", "last_name": "Wells", "grade_level": "5",
    "date_of_birth": "2012-07-16", "gender": "F", "ethnicity": "x", "socioeconomic_status": "x",
    "gpa": "3.5", "attendance_rate": "0.9", "parent_contact": "x", "enrollment_date": "2025-08-18",
    "school": "North",
}  # fmt: skip
HOSTILE = st.sampled_from(["+-5", "--3", "-+0", "5_0", "1e-400", "9999-12-31", "Ida\x00", ""])
ROW = st.one_of(
    st.tuples(*(st.one_of(st.just(VALID[c]), HOSTILE, NUMBERISH, ANY_TEXT) for c in VALID)),
    st.lists(ANY_TEXT, max_size=len(VALID) + 1),  # and rows of the wrong width
)


@given(rows=st.lists(ROW, min_size=1, max_size=4))
@example(rows=[("U1", "Ida", "Wells", "+-5", *list(VALID.values())[4:])])
@FUZZ
def test_any_students_file_imports_or_is_refused_with_a_place_and_a_reason(rows):
    _import_or_refusal({"students.csv": _students_csv(rows)})


@given(data=st.binary(max_size=300), name=st.sampled_from([f.filename for f in FORMATS]))
@FUZZ
def test_any_bytes_import_or_are_refused_with_a_place_and_a_reason(data, name):
    _import_or_refusal({name: data})


@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["U1", "U2", "nobody", ""]),
            st.one_of(st.sampled_from(["2025-09-02", "2025-02-30"]), ANY_TEXT),
            st.one_of(st.sampled_from(["present", "absent", "tardy"]), ANY_TEXT),
            NUMBERISH,
        ),
        min_size=1,
        max_size=5,
    )
)
@FUZZ
def test_any_attendance_file_imports_or_is_refused_with_a_place_and_a_reason(rows, students):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["district_id", "date", "status", "period"])
    writer.writerows(rows)
    _import_or_refusal({"attendance.csv": out.getvalue().encode("utf-8", "surrogatepass")})


@pytest.fixture
def students():
    return [StudentFactory(district_id="U1"), StudentFactory(district_id="U2")]


def test_a_long_value_is_shown_cut_short():
    StudentFactory(district_id="U1")
    text = f"district_id,date,status\nU1,2025-09-02,{'z' * 5000}\n"
    reasons = _reasons({"attendance.csv": text.encode()})
    assert len(reasons[0]) < 300 and "z" * 79 + "\u2026" in reasons[0]
