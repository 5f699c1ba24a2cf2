"""The student page tells the truth at a glance: weekly values on a time axis, each number with
its source, factors in words drawn to scale, domain cards, and what the school does not send."""

import datetime as dt
import itertools
import re

import pytest
from django.urls import reverse

from analytics import charts, student_page
from records.selectors import school_sends_attendance
from tests.analytics.factories import StudentFeaturesFactory
from tests.mlmodels.factories import ModelMetadataFactory, PredictionFactory
from tests.records.factories import AttendanceRecordFactory, DisciplineIncidentFactory
from tests.students.factories import StudentFactory
from tests.web.conftest import AS_OF, client_for, factor

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 9, 1)  # two weeks clear of the fixture's records (09-26, 10-03)


def page(client, user, student):
    response = client_for(client, user).get(reverse("student_profile", args=[student.pk]))
    assert response.status_code == 200
    return response


def chart(html: str, name: str) -> str:
    found = re.search(rf'<svg[^>]*data-chart="{name}".*?</svg>', html, re.S)
    assert found, name
    return found.group(0)


def test_the_attendance_chart_plots_each_weeks_rate_not_the_running_rate(
    client, district, counselor
):
    student = district.north[0]
    for day in range(5):  # a week present, then a week absent
        AttendanceRecordFactory(student=student, date=MONDAY + dt.timedelta(days=day))
        AttendanceRecordFactory(
            student=student, date=MONDAY + dt.timedelta(days=7 + day), status="absent"
        )
    response = page(client, counselor, student)
    rates = dict(response.context["weeks"].attendance.weeks)
    assert rates[MONDAY] == 1.0
    assert rates[MONDAY + dt.timedelta(days=7)] == 0.0  # year to date it would be 50%
    svg = chart(response.content.decode(), "weekly-attendance")
    assert "attendance 2025-09-01: 100.0%" in svg and "attendance 2025-09-08: 0.0%" in svg


def test_the_incidents_chart_counts_each_weeks_incidents(client, district, counselor):
    student = district.north[0]  # the fixture's incident: 2025-10-03, in the week of 09-29
    DisciplineIncidentFactory(student=student, incident_date=MONDAY)
    DisciplineIncidentFactory(student=student, incident_date=MONDAY + dt.timedelta(days=2))
    response = page(client, counselor, student)
    weeks = dict(response.context["weeks"].incidents)
    assert weeks[MONDAY] == 2
    assert weeks[dt.date(2025, 9, 29)] == 1  # not 3: no running total
    assert weeks[dt.date(2025, 9, 22)] == 0
    rows = {
        week: (attendance, incidents)
        for week, attendance, _, incidents in response.context["week_rows"]
    }
    assert rows["2025-09-01"][1] == "2" and rows["2025-09-29"] == ("100%", "1")
    svg = chart(response.content.decode(), "weekly-incidents")
    assert svg.count('class="bar"') == 2
    assert (
        len(
            set(
                re.findall(r'class="bar" x="[^"]*" y="[^"]*" width="[^"]*"[^>]*fill="([^"]+)"', svg)
            )
        )
        == 1
    )


def test_a_student_without_incidents_shows_none_this_year_not_no_data(client, db, district_admin):
    student = StudentFactory(school="North High")
    AttendanceRecordFactory(student=student, date=MONDAY)
    html = page(client, district_admin, student).content.decode()
    svg = chart(html, "weekly-incidents")
    assert "No incidents this year" in svg and "No data yet" not in svg
    assert 'class="bar"' not in svg


def test_the_time_axis_places_dates_by_their_distance_and_breaks_lines_across_gaps():
    first, last = dt.date(2025, 8, 4), dt.date(2026, 6, 1)
    points = [
        (dt.date(2025, 9, 1), 0.9),
        (dt.date(2025, 9, 8), 0.8),
        (dt.date(2026, 5, 4), 0.7),  # months later: drawn far away, not one step on
    ]
    svg = charts.time_chart("t", "T", points, first, last, top_value=1.0, percent=True)
    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg)]
    assert (xs[2] - xs[1]) / (xs[1] - xs[0]) == pytest.approx(238 / 7, rel=0.01)
    assert svg.count("<polyline") == 1  # the first two joined; the May point stands alone


def test_axis_labels_never_crowd_each_other():
    first, last = dt.date(2024, 8, 1), dt.date(2026, 7, 31)  # two years of months
    svg = charts.time_chart("t", "T", [(first, 1), (last, 2)], first, last, bars=True)
    xs = sorted(float(x) for x in re.findall(r'<text class="tick" x="([\d.]+)" y="2\d\d"', svg))
    assert len(xs) >= 4
    assert all(b - a >= charts.MIN_TICK_GAP for a, b in itertools.pairwise(xs))


def test_a_small_push_of_a_low_risk_is_a_short_bar():
    factors = [{"factor": "lowest_course_average", "label": "Lowest course average", "weight": 1.0}]
    low = charts.factor_bars("f", "F", factors, risk_score=0.1)
    high = charts.factor_bars("f", "F", factors, risk_score=0.9)

    def width(svg):
        return float(re.search(r'class="bar" x="[^"]*" y="[^"]*" width="([\d.]+)"', svg).group(1))

    assert width(high) == pytest.approx(9 * width(low), rel=0.02)
    assert "Lowest course average" in low and "lowest_course_average" not in low
    assert ">10%<" in low


def test_the_header_says_where_each_number_comes_from_and_over_what_period(
    client, district, counselor
):
    student = district.north[0]
    html = page(client, counselor, student).content.decode()
    assert "GPA reported by the SIS" in html
    assert "Attendance reported by the SIS" in html
    # The fixture's two records of the student: two recorded days.
    assert "Attendance this school year (EduPulse, from 2 recorded days)" in html
    assert "Attendance, 30 days to 2025-10-05 (EduPulse, from 2 recorded days)" in html
    assert "Reported GPA" not in html


def test_factors_are_named_in_words_with_their_part_of_the_risk(client, district, counselor):
    student = district.north[0]  # risk 0.92; courses_failing 0.4 of the push
    response = page(client, counselor, student)
    table = re.search(
        r'<table class="list" id="factors">.*?</table>', response.content.decode(), re.S
    )
    text = table.group(0)
    assert '<th scope="row">Courses failing</th>' in text
    assert ">37%<" in text  # 0.4 x 0.92
    assert ">40%<" in text
    assert 'aria-label="Start an intervention on Courses failing"' in text


def test_a_behaviour_factor_names_the_incident(client, district, counselor):
    student = district.north[1]
    prediction = student.predictions.get(as_of=AS_OF)
    prediction.risk_factors = [
        {
            "factor": "days_since_last_incident",
            "weight": 1.0,
            "value": 3,
            "description": "Had a discipline incident 3 days ago (latest: fight, severity 5, on "
            "2025-10-02)",
            "recommendation": "Hold a family meeting.",
        }
    ]
    prediction.save()
    html = page(client, counselor, student).content.decode()
    assert "Recent discipline incident" in html
    assert "latest: fight, severity 5, on 2025-10-02" in html


def vector(**features):
    return {"features": features}


def test_domain_cards_show_status_and_numbers_before_the_risk(client, district, counselor):
    student = district.north[0]
    row = student.features.get(feature_date=AS_OF)
    row.feature_vector = vector(
        attendance_rate_ytd=0.84,
        attendance_rate_30d=0.8,
        absences_30d=4,
        incidents_ytd=1,
        incidents_90d_severity_1=1,
        incidents_90d_severity_2=0,
        incidents_90d_severity_3=0,
        incidents_90d_severity_4=0,
        incidents_90d_severity_5=0,
        gpa_current=2.6,
        courses_failing=0,
        lowest_course_average=71,
    )
    row.save()
    response = page(client, counselor, student)
    cards = {c["domain"]: c for c in response.context["cards"]}
    assert cards["attendance"]["word"] == "Off track"
    assert ("Attendance this school year", "84%") in cards["attendance"]["numbers"]
    assert cards["behavior"]["word"] == "On track"
    assert cards["course"]["word"] == "On track"
    assert ("GPA this school year", "2.60") in cards["course"]["numbers"]
    html = response.content.decode()
    assert html.index('id="domains"') < html.index('id="current-risk"')
    assert "Off track when attendance this school year is below 90%" in html


def test_the_risk_factors_and_cards_are_those_of_the_active_models_newest_run(
    client, district, counselor
):
    """The factors come with the history's rows and the cards' vector with the weekly rows:
    they must still be the active model's newest prediction and the feature row of its date,
    not a newer run of another model nor a feature row after the risk's date."""
    student = district.north[1]
    later = AS_OF + dt.timedelta(weeks=1)
    other = ModelMetadataFactory(model_version="xgb-0", performance_metrics={})
    PredictionFactory(
        student=student,
        model_version=other,
        as_of=later,
        risk_factors=[factor("tardies_30d", 0.9)],
    )
    StudentFeaturesFactory(
        student=student, feature_date=later, feature_vector=vector(attendance_rate_ytd=0.99)
    )
    row = student.features.get(feature_date=AS_OF)
    row.feature_vector = vector(attendance_rate_ytd=0.5)
    row.save()
    response = page(client, counselor, student)
    assert response.context["current"].as_of == AS_OF
    assert [f["factor"] for f in response.context["factors"]] == [
        "absences_30d",
        "gpa_change_6w",
        "tardies_30d",
    ]
    assert response.context["factors"][2]["weight"] == -0.05  # the active model's, not 0.9
    assert response.context["vector_date"] == AS_OF
    cards = {c["domain"]: c for c in response.context["cards"]}
    assert ("Attendance this school year", "50%") in cards["attendance"]["numbers"]

    # Without a feature row on the risk's date, the newest one before it.
    row.delete()
    response = page(client, counselor, student)
    assert response.context["vector_date"] == AS_OF - dt.timedelta(weeks=1)


def test_a_school_without_attendance_is_a_data_fact_not_a_risk(client, db, district_admin):
    from tests.mlmodels.factories import ModelMetadataFactory

    model = ModelMetadataFactory(model_version="xgb-9", is_active=True)
    student = StudentFactory(school="East Elementary")
    StudentFeaturesFactory(
        student=student, feature_date=AS_OF, feature_vector=vector(gpa_current=1.5)
    )
    PredictionFactory(
        student=student,
        model_version=model,
        as_of=AS_OF,
        risk_score=0.6,
        risk_category="high",
        risk_factors=[
            {"factor": "attendance_rate_ytd", "weight": 0.5, "value": None,
             "description": "No attendance recorded this school year", "recommendation": "Check"},
            {"factor": "gpa_current", "weight": 0.5, "value": 1.5,
             "description": "Has a GPA of 1.50 this school year", "recommendation": "Tutoring"},
        ],
    )  # fmt: skip
    response = page(client, district_admin, student)
    html = response.content.decode()
    assert "Attendance is not recorded at East Elementary" in html
    assert [f["factor"] for f in response.context["factors"]] == ["gpa_current"]
    cards = {c["domain"]: c for c in response.context["cards"]}
    assert cards["attendance"]["word"] == "Not recorded at this school"


def test_a_student_without_attendance_at_a_school_that_sends_it_keeps_the_factor(
    client, district, district_admin
):
    student = StudentFactory(school=district.north[0].school)
    assert school_sends_attendance(
        school=student.school, first=dt.date(2025, 8, 1), last=dt.date(2026, 7, 31)
    )
    html = page(client, district_admin, student).content.decode()
    assert "is not recorded at" not in html


def test_a_past_school_year_is_shown_up_to_its_newest_date_not_to_its_end():
    window = student_page.Window.around(dt.date(2025, 10, 5), today=dt.date(2026, 12, 4))
    assert (window.first, window.last) == (dt.date(2025, 8, 1), dt.date(2026, 7, 31))
    assert window.up_to(dt.date(2025, 10, 5)).last == dt.date(2025, 10, 5)
    current = student_page.Window.around(dt.date(2025, 10, 5), today=dt.date(2025, 10, 20))
    assert current.last == dt.date(2025, 10, 20)


def test_the_week_fold_leaves_weeks_without_records_blank():
    window = student_page.Window(dt.date(2025, 8, 1), dt.date(2025, 10, 31))
    folded = student_page.attendance(
        [(dt.date(2025, 9, 1), 6, 6), (dt.date(2025, 9, 2), 6, 3), (dt.date(2025, 10, 20), 6, 0)],
        window,
    )
    assert folded.weeks == [(dt.date(2025, 9, 1), 0.75), (dt.date(2025, 10, 20), 0.0)]
    assert folded.days == 3 and folded.days_30 == 1 and folded.rate_30 == 0.0


def test_tables_have_header_scopes_and_charts_have_titles(client, district, counselor):
    html = page(client, counselor, district.north[0]).content.decode()
    assert "<th>" not in html and "<th class" not in html
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        assert "<title>" in svg
    assert "data-print" in html
