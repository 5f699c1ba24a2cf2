"""export_research: the interchange files without direct identifiers, k-anonymous."""

import csv
import datetime as dt
from collections import Counter

import pandas as pd
import pytest
from django.core.management import call_command

from analytics.models import AccessEntry, AccessPage
from records.importing import district_import
from records.models import DisciplineIncident, StudentOutcome
from records.research_export import QUASI_IDENTIFIERS, k_anonymise, research_export
from students.models import Student

pytestmark = pytest.mark.django_db

START = dt.date(2025, 8, 1)


def _read(folder, name) -> list[dict]:
    with (folder / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _cells(folder) -> set[str]:
    cells = set()
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8") as f:
            for row in csv.reader(f):
                cells.update(row)
    return cells


def _export(folder, secret="district-secret-1", k=5):
    return research_export(folder=folder, secret=secret, k=k, year_start=START)


@pytest.fixture
def district(small_district):
    district_import(folder=small_district)
    student = Student.objects.order_by("district_id").first()
    DisciplineIncident.objects.create(
        student=student,
        incident_date=dt.date(2025, 9, 3),
        severity_level=2,
        incident_type="disruption",
        description="Shouted at Ms Okafor in the hallway",
        resolution="talk with parent",
    )
    StudentOutcome.objects.create(
        student=student,
        outcome_type="transferred",
        outcome_date=dt.date(2025, 9, 20),
        notes="Moved to Springfield with grandmother",
    )
    return Student.objects.all()


def test_no_name_contact_district_id_or_birth_date_reaches_any_file(district, tmp_path):
    _export(tmp_path)
    cells = _cells(tmp_path)
    text = "\n".join(p.read_text() for p in tmp_path.iterdir())
    for s in district:
        identifiers = {s.first_name, s.last_name, s.district_id, s.date_of_birth.isoformat()}
        identifiers |= {s.parent_contact} if s.parent_contact else set()
        assert not identifiers & cells, s.log_label
        assert s.district_id not in text and (not s.parent_contact or s.parent_contact not in text)
    assert "Okafor" not in text and "Springfield" not in text and "talk with parent" not in text
    assert set(_read(tmp_path, "students.csv")[0]) == {
        "student",
        *QUASI_IDENTIFIERS,
        "gpa",
        "attendance_rate",
    }


def test_every_combination_of_quasi_identifiers_covers_at_least_k_students(district, tmp_path):
    for k in (2, 5, 8):
        folder = tmp_path / str(k)
        report = _export(folder, k=k)
        rows = _read(folder, "students.csv")
        sizes = Counter(tuple(r[q] for q in QUASI_IDENTIFIERS) for r in rows)
        assert min(sizes.values()) >= k
        assert report.students == len(rows) == district.count() - report.suppressed
        assert report.suppressed <= 0.02 * district.count()


def test_suppressed_students_leave_every_file(district, tmp_path):
    _export(tmp_path, k=5)
    kept = {r["student"] for r in _read(tmp_path, "students.csv")}
    for name in ("attendance.csv", "grades.csv", "discipline.csv", "outcomes.csv"):
        assert {r["student"] for r in _read(tmp_path, name)} <= kept


def test_the_same_secret_gives_the_same_pseudonyms_and_another_secret_others(district, tmp_path):
    _export(tmp_path / "a")
    _export(tmp_path / "b")
    _export(tmp_path / "c", secret="another-district-secret")
    a, b, c = ([r["student"] for r in _read(tmp_path / x, "students.csv")] for x in ("a", "b", "c"))
    assert a == b and len(set(a)) == len(a) > 30
    assert not set(a) & set(c)
    assert (tmp_path / "a" / "attendance.csv").read_bytes() == (
        tmp_path / "b" / "attendance.csv"
    ).read_bytes()


def test_records_keep_their_values_under_the_pseudonym(district, tmp_path):
    _export(tmp_path)
    incidents = _read(tmp_path, "discipline.csv")
    assert "description" not in incidents[0] and "resolution" not in incidents[0]
    assert "notes" not in _read(tmp_path, "outcomes.csv")[0]
    assert len(_read(tmp_path, "attendance.csv")) > 0


def test_the_command_prints_what_it_generalised_and_writes_an_entry(
    district, tmp_path, settings, capsys
):
    settings.EDUPULSE_RESEARCH_SECRET = "district-secret-1"
    call_command("export_research", str(tmp_path), "--k", "5", "--school-year-start", "2025-08-01")
    out = capsys.readouterr().out
    assert "k = 5" in out and "Suppressed" in out
    entry = AccessEntry.objects.get(page=AccessPage.RESEARCH_EXPORT)
    assert entry.student_count == len(_read(tmp_path, "students.csv"))
    assert not entry.students.exists()


def test_the_command_refuses_to_run_without_a_secret(district, tmp_path, settings):
    settings.EDUPULSE_RESEARCH_SECRET = ""
    with pytest.raises(Exception, match="EDUPULSE_RESEARCH_SECRET"):
        call_command("export_research", str(tmp_path))


def test_it_generalises_nothing_when_every_combination_is_already_common():
    groups = [("North", 9, "F"), ("North", 10, "M"), ("South", 9, "F")]
    rows = [
        {
            "school": school,
            "grade_level": grade,
            "gender": gender,
            "ethnicity": "A",
            "socioeconomic_status": "low_income",
            "age": 14,
            "enrollment_year": 2024,
        }
        for school, grade, gender in groups
        for _ in range(6)
    ]
    rows.append({**rows[0], "school": "East"})  # one student alone in their combination
    kept, report = k_anonymise(pd.DataFrame(rows), k=5, max_suppressed=0.06)
    assert report.describe() == ["nothing generalised"]
    assert (report.suppressed, len(kept)) == (1, 18)
    assert "East" not in set(kept["school"])


def test_it_generalises_the_widest_attribute_first():
    rows = [
        {
            "school": "North",
            "grade_level": grade,
            "gender": "F",
            "ethnicity": "A",
            "socioeconomic_status": "low_income",
            "age": 14,
            "enrollment_year": 2024,
        }
        for grade in (9, 10, 11, 12)
        for _ in range(2)
    ]
    kept, report = k_anonymise(pd.DataFrame(rows), k=5, max_suppressed=0.0)
    assert report.levels["grade_level"] == 1 and report.suppressed == 0
    assert set(kept["grade_level"]) == {"9-12"}
