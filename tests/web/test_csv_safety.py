"""CSV files meant for people cannot attack a spreadsheet; the interchange export keeps exact
values and warns."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from records.csv_format import spreadsheet_safe
from tests.web.conftest import client_for

pytestmark = pytest.mark.django_db

HOSTILE = ["=cmd|' /C calc'!A0", "+SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_starting_like_a_formula_gets_an_apostrophe(value):
    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Ida", "O'Neil", "", "0.25", 5, None])
def test_other_cells_are_unchanged(value):
    assert spreadsheet_safe(value) == value


def test_the_dashboard_export_neutralises_formula_names(client, district, district_admin):
    first, second = district.north[:2]
    first.last_name, first.first_name = HOSTILE[0], HOSTILE[1]
    first.save()
    second.last_name, second.school = "@SUM(A1)", "-North"
    second.save()

    response = client_for(client, district_admin).get(reverse("dashboard_export"))

    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_id = {r["district_id"]: r for r in table}
    assert by_id[first.district_id]["last_name"] == "'" + HOSTILE[0]
    assert by_id[first.district_id]["first_name"] == "'" + HOSTILE[1]
    assert by_id[second.district_id]["last_name"] == "'@SUM(A1)"
    assert by_id[second.district_id]["school"] == "'-North"
    cells = [c for r in table for c in r.values()]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_export_csv_keeps_exact_values_and_warns(tmp_path, capsys):
    from tests.students.factories import StudentFactory

    plain = {"parent_contact": "guardian@example.org", "school": "North"}
    StudentFactory(district_id="S1", last_name="=HYPERLINK(1)", first_name="+Ida", **plain)
    StudentFactory(district_id="S2", last_name="Wells", first_name="Ida", **plain)

    call_command("export_csv", str(tmp_path), "--no-progress")

    rows = list(csv.DictReader((tmp_path / "students.csv").open(encoding="utf-8")))
    assert rows[0]["last_name"] == "=HYPERLINK(1)" and rows[0]["first_name"] == "+Ida"
    err = capsys.readouterr().err
    assert "students.csv has 2 cell(s) starting with =, +, -, @" in err
    assert "attendance.csv" not in err


def test_export_csv_does_not_warn_for_plain_values(tmp_path, capsys):
    from tests.students.factories import StudentFactory

    StudentFactory(
        district_id="S1", last_name="Wells", first_name="Ida", parent_contact="guardian@x.org"
    )
    call_command("export_csv", str(tmp_path), "--no-progress")
    assert "Warning" not in capsys.readouterr().err


def test_the_interventions_export_neutralises_formula_cells(client, district, district_admin):
    from tests.students.factories import InterventionFactory

    student = district.north[0]
    student.last_name = HOSTILE[0]
    student.save()
    InterventionFactory(student=student, goal="=1+1 attendance", outcome="@SUM(A1)")

    response = client_for(client, district_admin).get(reverse("interventions_export"))

    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = [c for r in table for c in r.values()]
    assert "'" + HOSTILE[0] in cells and "'=1+1 attendance" in cells and "'@SUM(A1)" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
