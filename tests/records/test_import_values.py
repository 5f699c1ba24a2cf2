"""Values the import now controls (issue 12): no record dated after the day of the import, and
gender, ethnicity and socioeconomic status as documented controlled values."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from django.utils import timezone

from mlmodels.fairness import audit
from records.importing import ImportRejected, district_import
from records.models import Enrollment
from students.demographics import Ethnicity, canonical
from students.models import Student
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
TOMORROW = TODAY + dt.timedelta(days=1)


def _folder(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _problems(folder: Path) -> list[tuple]:
    with pytest.raises(ImportRejected) as caught:
        district_import(folder=folder)
    return [(p.file, p.line, p.column, p.value, p.reason) for p in caught.value.problems]


IN_THE_FUTURE = f"is after the day of the import ({TODAY}): a record cannot be dated in the future"

DATED = {
    "attendance.csv": ("district_id,date,status\nS1,{day},present\n", "date"),
    "grades.csv": ("district_id,course_id,submission_date\nS1,MATH,{day}\n", "submission_date"),
    "discipline.csv": ("district_id,incident_date\nS1,{day}\n", "incident_date"),
    "outcomes.csv": ("district_id,outcome_type,outcome_date\nS1,passed,{day}\n", "outcome_date"),
}


@pytest.mark.parametrize("name", DATED)
def test_a_record_dated_after_the_day_of_the_import_is_refused(name, tmp_path):
    StudentFactory(district_id="S1")
    text, column = DATED[name]

    problems = _problems(_folder(tmp_path, name, text.format(day=TOMORROW)))

    assert problems == [(name, 2, column, str(TOMORROW), IN_THE_FUTURE)]


@pytest.mark.parametrize("name", DATED)
def test_a_record_dated_today_is_accepted(name, tmp_path):
    StudentFactory(district_id="S1")
    text, _ = DATED[name]

    result = district_import(folder=_folder(tmp_path, name, text.format(day=TODAY)))

    assert result.files[name].inserted == 1


def test_a_birth_date_after_today_is_refused_without_showing_it(tmp_path):
    folder = _folder(
        tmp_path,
        "students.csv",
        f"district_id,first_name,last_name,date_of_birth\nS1,Ann,Lee,{TOMORROW}\n",
    )

    assert _problems(folder) == [("students.csv", 2, "date_of_birth", "", IN_THE_FUTURE)]


def test_enrollments_may_start_and_end_after_today(tmp_path):
    """A student registered for next year, and an enrollment's planned last day, are real."""
    StudentFactory(district_id="S1")
    later = TODAY + dt.timedelta(days=200)
    folder = _folder(
        tmp_path,
        "enrollments.csv",
        "district_id,school_year,school,entry_date,exit_date\n"
        f"S1,{later.year}-{later.year + 1},North,{TOMORROW},{later}\n",
    )

    district_import(folder=folder)

    assert Enrollment.objects.get().exit_date == later


STUDENTS = "district_id,first_name,last_name,date_of_birth,gender,ethnicity,socioeconomic_status\n"


@pytest.mark.parametrize(
    ("gender", "ethnicity", "status", "expected"),
    [
        ("F", "Hispanic or Latino", "low_income", ("F", "Hispanic or Latino", "low_income")),
        ("female", "hispanic/latino", "Low-Income", ("F", "Hispanic or Latino", "low_income")),
        (" Male ", "CAUCASIAN", "not economically disadvantaged", ("M", "White", "not_low_income")),
        ("non-binary", "Black", "FRL", ("X", "Black or African American", "low_income")),
        ("x", "multiracial", "Not low income", ("X", "Two or more races", "not_low_income")),
        ("Unknown", "declined to state", "", (None, None, None)),
    ],
)
def test_common_spellings_of_demographics_import_as_the_controlled_values(
    gender, ethnicity, status, expected, tmp_path
):
    row = f'S1,Ann,Lee,2012-01-02,{gender},"{ethnicity}",{status}\n'
    folder = _folder(tmp_path, "students.csv", STUDENTS + row)

    district_import(folder=folder)

    student = Student.objects.get()
    assert (student.gender, student.ethnicity, student.socioeconomic_status) == expected


def test_an_unknown_demographic_value_is_refused_with_file_line_and_column(tmp_path):
    folder = _folder(
        tmp_path,
        "students.csv",
        STUDENTS
        + "S1,Ann,Lee,2012-01-02,F,White,low_income\n"
        + "S2,Bob,Ray,2012-03-04,q,Martian,rich\n",
    )

    problems = _problems(folder)

    assert [(p[1], p[2], p[3]) for p in problems] == [
        (3, "gender", "q"),
        (3, "ethnicity", "Martian"),
        (3, "socioeconomic_status", "rich"),
    ]
    assert problems[0][4].startswith("is not one of: F, M, X")
    assert Student.objects.count() == 0


def test_every_controlled_value_reads_as_itself():
    for value in Ethnicity.values:
        assert canonical("ethnicity", value) == value
        assert canonical("ethnicity", value.upper()) == value


def test_the_fairness_audit_still_groups_by_the_stored_values(tmp_path):
    folder = _folder(
        tmp_path,
        "students.csv",
        STUDENTS
        + "S1,Ann,Lee,2012-01-02,female,White,low income\n"
        + "S2,Bob,Ray,2012-03-04,M,Asian,not_low_income\n",
    )
    district_import(folder=folder)

    frame = pd.DataFrame(Student.objects.order_by("district_id").values("gender"))
    table = audit(frame, pd.Series([1, 0]).to_numpy(), pd.Series([True, False]).to_numpy())

    assert sorted(row["group"] for row in table["gender"]) == ["F", "M"]
