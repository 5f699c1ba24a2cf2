"""Enrollment history: enrollments.csv in and out, and the grade, school and cohort on a date."""

import datetime as dt
import uuid
from pathlib import Path

import pytest

from analytics.selectors import cohort_ids
from analytics.services import features_compute
from mlmodels.dataset import feature_rows
from records.exporting import district_export
from records.importing import ImportRejected, district_import
from records.models import Enrollment
from students.models import Student

pytestmark = pytest.mark.django_db

STUDENTS = (
    "district_id,first_name,last_name,grade_level,date_of_birth,school\n"
    "S1,Ana,Diaz,6,2013-04-02,Lincoln Middle\n"
    "S2,Ben,Ode,5,2014-09-12,Madison Elementary\n"
)
# S1 was in grade 5 at an elementary school last year and moved up to middle school; S2 was
# retained in grade 5 and left in March of this year.
ENROLLMENTS = (
    "district_id,school_year,school,grade_level,entry_date,exit_date,exit_reason\n"
    "S1,2024-2025,Madison Elementary,5,2024-08-19,2025-06-06,completed_year\n"
    "S1,2025-2026,Lincoln Middle,6,2025-08-18,,\n"
    "S2,2024-2025,Madison Elementary,5,2024-08-19,2025-06-06,completed_year\n"
    "S2,2025-2026,Madison Elementary,5,2025-08-18,2026-03-02,transferred\n"
)
ATTENDANCE = (
    "district_id,date,status,period\n"
    "S1,2024-10-01,present,\nS1,2025-10-01,absent,\nS2,2024-10-01,present,\n"
    "S2,2025-10-01,present,\n"
)


def _folder(tmp_path: Path, enrollments: str = ENROLLMENTS) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("students.csv", STUDENTS),
        ("enrollments.csv", enrollments),
        ("attendance.csv", ATTENDANCE),
    ):
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_enrollments_import_and_export_identically(tmp_path):
    result = district_import(folder=_folder(tmp_path / "in"))
    assert result.files["enrollments.csv"].inserted == 4
    s1 = Student.objects.get(district_id="S1")
    assert list(s1.enrollments.order_by("entry_date").values_list("grade_level", "school")) == [
        (5, "Madison Elementary"),
        (6, "Lincoln Middle"),
    ]
    district_export(folder=tmp_path / "out")
    assert (tmp_path / "out" / "enrollments.csv").read_text() == ENROLLMENTS


def test_importing_the_same_enrollments_again_changes_nothing(tmp_path):
    folder = _folder(tmp_path)
    district_import(folder=folder)
    again = district_import(folder=folder)
    counts = again.files["enrollments.csv"]
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 0, 4)


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        ("S1,2025-2027,Lincoln Middle,6,2025-08-18,,", "school_year", "second year must follow"),
        ("S1,25-26,Lincoln Middle,6,2025-08-18,,", "school_year", "YYYY-YYYY"),
        ("S1,2025-2026,,6,2025-08-18,,", "school", "required"),
        ("S1,2025-2026,Lincoln Middle,6,2025-08-18,,expelled", "exit_reason", "one of"),
        ("S9,2025-2026,Lincoln Middle,6,2025-08-18,,", "district_id", ""),
    ],
)
def test_a_bad_enrollment_row_is_refused_with_its_line_and_nothing_is_written(
    tmp_path, line, column, reason
):
    header = ENROLLMENTS.splitlines()[0]
    folder = _folder(tmp_path, f"{header}\n{line}\n")
    with pytest.raises(ImportRejected) as caught:
        district_import(folder=folder)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.column) == ("enrollments.csv", 2, column)
    assert reason.lower() in problem.reason.lower()
    assert not Student.objects.exists() and not Enrollment.objects.exists()


def test_a_row_of_last_year_uses_last_years_grade_and_school(tmp_path):
    district_import(folder=_folder(tmp_path))
    last_year, this_year = dt.date(2024, 10, 6), dt.date(2025, 10, 5)
    features_compute(as_of=last_year)
    features_compute(as_of=this_year)
    rows = feature_rows([last_year, this_year])
    s1 = rows[rows["district_id"] == "S1"].set_index("as_of")
    assert s1.loc[last_year, "grade_level"] == 5
    assert s1.loc[this_year, "grade_level"] == 6
    assert list(rows[rows["as_of"] == last_year]["grade_band"]) == ["K-5", "K-5"]
    # The current values stay on the student.
    assert Student.objects.get(district_id="S1").grade_level == 6


def test_the_cohort_of_a_date_holds_the_students_enrolled_that_day(tmp_path):
    district_import(folder=_folder(tmp_path))
    names = {Student.objects.get(district_id=d).pk.hex: d for d in ("S1", "S2")}

    def cohort(day):
        return {names[uuid.UUID(i).hex] for i in cohort_ids(as_of=day)}

    assert cohort(dt.date(2024, 10, 6)) == {"S1", "S2"}
    assert cohort(dt.date(2025, 7, 6)) == set()  # the summer: nobody is enrolled
    assert cohort(dt.date(2026, 3, 1)) == {"S1", "S2"}
    assert cohort(dt.date(2026, 3, 8)) == {"S1"}  # S2 left on 2026-03-02
