"""The dashboard's rows: ABC indicators, chronic absence, week-over-week change, factors in
words; the counselor's filters and the caseload note."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from analytics import charts
from analytics.forms import DashboardFilterForm
from analytics.models import StudentFeatures
from mlmodels import explain
from students.models import Assignment
from tests.mlmodels.factories import PredictionFactory
from tests.records.factories import StudentOutcomeFactory
from tests.students.factories import StudentFactory
from tests.web.conftest import AS_OF, PREVIOUS, client_for

pytestmark = pytest.mark.django_db


def features(student, **values) -> None:
    """Give the student's feature row of AS_OF these feature values (as `compute_features`
    stores them in feature_vector["features"])."""
    row = StudentFeatures.objects.get(student=student, feature_date=AS_OF)
    named = {
        "attendance_rate_ytd": 0.97,
        "attendance_rate_30d": 0.95,
        "gpa_current": 3.1,
        "courses_failing": 0,
        **{f"incidents_90d_severity_{k}": 0 for k in range(1, 6)},
        **values,
    }
    StudentFeatures.objects.filter(student=student, feature_date=AS_OF).update(
        attendance_rate=named["attendance_rate_ytd"],
        feature_vector={**(row.feature_vector or {}), "features": named},
    )


def line_of(response, student) -> dict:
    (row,) = [r for r in response.context["rows"] if r["district_id"] == student.district_id]
    return row


def test_rows_show_attendance_as_percentages_and_flag_chronic_absence(
    client, district, district_admin
):
    absent, present = district.students[0], district.students[1]
    features(absent, attendance_rate_ytd=0.853, attendance_rate_30d=0.8)
    features(present)
    response = client_for(client, district_admin).get(reverse("dashboard"))
    html = response.content.decode()
    row = line_of(response, absent)
    assert (row["ytd"], row["d30"], row["chronic"]) == ("85.3%", "80.0%", True)
    assert line_of(response, present)["chronic"] is False
    assert "85.3%" in html and "0.853" not in html


def test_the_chronic_absence_filter_keeps_the_students_below_90_percent(
    client, district, district_admin
):
    for student in district.students:
        features(student)
    features(district.students[2], attendance_rate_ytd=0.89)
    response = client_for(client, district_admin).get(
        reverse("dashboard"), {"chronic_absence": "on"}
    )
    assert [r["district_id"] for r in response.context["rows"]] == [
        district.students[2].district_id
    ]
    assert response.context["total"] == 1


def test_rows_carry_each_abc_indicator_from_the_baseline_rules(client, district, district_admin):
    student = district.students[0]
    features(student, gpa_current=1.5, incidents_90d_severity_4=1)
    features(district.students[1])
    response = client_for(client, district_admin).get(reverse("dashboard"))
    cards = {c["domain"]: c["status"] for c in line_of(response, student)["cards"]}
    assert cards == {"attendance": "on", "behavior": "off", "course": "off"}
    calm = {c["domain"]: c["status"] for c in line_of(response, district.students[1])["cards"]}
    assert calm == {"attendance": "on", "behavior": "on", "course": "on"}
    # A row without feature values has no status rather than a made-up one.
    other = {c["status"] for c in line_of(response, district.students[3])["cards"]}
    assert other == {"none"}
    html = response.content.decode()
    assert "Course performance: off track" in html
    # The rules are worded from mlmodels.baseline.thresholds().
    assert "GPA below 2.0" in html and "below 90%" in html


def test_rows_say_how_the_score_moved_since_the_previous_run(client, district, district_admin):
    newcomer = StudentFactory(school="North High", grade_level=9)
    PredictionFactory(
        student=newcomer,
        model_version=district.model,
        as_of=AS_OF,
        risk_score=0.3,
        risk_category="medium",
    )
    response = client_for(client, district_admin).get(reverse("dashboard"))
    # Student 0 scored 0.1 (low) the week before and 0.92 (critical) now; student 1 the same.
    assert line_of(response, district.students[0])["change"] == {
        "kind": "up",
        "text": "up 0.82, was low",
    }
    assert line_of(response, district.students[1])["change"]["kind"] == "same"
    assert line_of(response, newcomer)["change"] == {"kind": "new", "text": "new this week"}
    assert PREVIOUS < AS_OF


def test_factor_chips_and_the_factor_filter_are_in_words(client, district, district_admin):
    response = client_for(client, district_admin).get(reverse("dashboard"))
    chips = re.findall(r'<span class="factor">([^<]*)</span>', response.content.decode())
    assert chips and explain.label("absences_30d") in chips
    assert not [c for c in chips if "_" in c]
    choices = dict(DashboardFilterForm(user=district_admin).fields["factor"].choices)
    assert "weeks_of_data" not in choices and "data_quality" not in choices
    assert choices["absences_30d"] == explain.label("absences_30d")
    assert not [label for label in choices.values() if "_" in label]


def test_newly_high_draws_high_in_the_high_colour(client, district, district_admin):
    response = client_for(client, district_admin).get(reverse("dashboard"), {"newly_high": "on"})
    svg = str(response.context["histogram_chart"])
    fills = dict(re.findall(r'fill="(#[0-9a-f]+)"><title>[^<]* (\w+): ', svg))
    by_category = {category: colour for colour, category in fills.items()}
    assert by_category.get("High") in (None, charts.CATEGORY_COLOURS["high"])
    assert by_category.get("Critical") == charts.CATEGORY_COLOURS["critical"]
    assert charts.CATEGORY_COLOURS["low"] not in fills


def test_the_school_filter_offers_only_the_users_schools(client, district, counselor):
    form = client_for(client, counselor).get(reverse("dashboard")).context["form"]
    assert [v for v, _ in form.fields["school"].choices if v] == ["North High"]


def test_the_educator_is_told_who_of_the_caseload_is_not_in_the_run(client, district, educator):
    gone = StudentFactory(school="South Middle", grade_level=9)
    StudentOutcomeFactory(
        student=gone, outcome_type="transferred", outcome_date=AS_OF - dt.timedelta(days=20)
    )
    later = StudentFactory(school="South Middle", grade_level=9)
    for student in (gone, later):
        Assignment.objects.create(user=educator, student=student)
    response = client_for(client, educator).get(reverse("dashboard"))
    gap = response.context["gap"]
    assert (gap.assigned, gap.missing, gap.left, gap.not_enrolled) == (4, 2, 1, 1)
    text = " ".join(response.content.decode().split())
    assert "Of the 4 students in your caseload, 2 are not in the run as of 2025-10-05" in text
    assert "1 left" in text and "1 not enrolled on that date" in text
