"""Each page runs the same number of SQL queries whatever the number of students."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import district_settings
from tests.students.factories import CaseNoteFactory, CheckInFactory, InterventionFactory
from tests.web.conftest import AS_OF, build_district

pytestmark = pytest.mark.django_db

# Upper bounds (uncached: the test settings use a dummy cache), with the login's own queries.
# The export and the student page each write their record of access (analytics/access_log.py):
# three statements (the transaction's start or SET LOCAL, and one INSERT per table), whatever
# the number of students up to 5,000 per INSERT.
BOUNDS = {
    "dashboard": 16,
    # The support filters: the same reads, each page cut from up to four (or, flagged students
    # only, two) category segments.
    "dashboard_due": 16,
    "dashboard_without": 14,
    "dashboard_sorted": 13,
    "export": 10 + 3,
    # The student page reads the model it shows (the active one, or on day one the ABC rules),
    # the interventions and the case notes (one query each), the school year's attendance and
    # incidents by day (one statement; the current factors and the domain cards' feature vector
    # come with the predictions and feature rows), the newest records (one read per kind on
    # SQLite, one statement on PostgreSQL) and writes the record of access (3). Its feedback
    # form states the model's High cut-off: the active model once more, which only the dummy
    # cache of the tests reads again (analytics.dashboards.active_model).
    "profile": 17 + 3,
    "attendance": 8,
    # The data coverage: how far each of 3 kinds of record reaches, the schools without attendance.
    "models": 7 + 4,
    "my_students": 10,
    "interventions_report": 10,
    "interventions_export": 6,
    "intervention": 6,
}


def with_support(students, owner) -> None:
    """An intervention (with two check-ins) and two case notes for each student; every other
    plan is due."""
    for i, student in enumerate(students):
        start = dt.date.today() - dt.timedelta(days=30 if i % 2 else 5)
        plan = InterventionFactory(student=student, owner=owner, start_date=start)
        for days in (1, 2):
            CheckInFactory(intervention=plan, author=owner, date=start + dt.timedelta(days=days))
        for _ in range(2):
            CaseNoteFactory(student=student, author=owner)


def pages(district):
    target = district.north[0]
    plan = target.interventions.first()
    return {
        "dashboard": reverse("dashboard"),
        "dashboard_due": reverse("dashboard") + "?check_in_due=on",
        "dashboard_without": reverse("dashboard") + "?without_intervention=on&grade_level=9",
        "dashboard_sorted": reverse("dashboard") + "?sort=name&newly_high=on&factor=absences_30d",
        "export": reverse("dashboard_export"),
        "profile": reverse("student_profile", args=[target.pk]),
        "attendance": reverse("attendance_trends"),
        "models": reverse("model_performance"),
        "my_students": reverse("my_students"),
        "interventions_report": reverse("interventions_report"),
        "interventions_export": reverse("interventions_export"),
        "intervention": reverse("intervention_detail", args=[plan.pk]),
    }


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["district_admin", "counselor"])
def test_each_page_runs_a_fixed_number_of_queries(client, district, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    district_settings.current()  # read once per 30 s in a process: not a page's own cost
    owner = request.getfixturevalue("counselor")
    with_support(district.north[:2], owner)
    small = {name: count(client, url) for name, url in pages(district).items()}
    more = build_district(60, records=True)  # 8 -> 68 students, two weeks of predictions each
    with_support(district.north[2:] + more.north, owner)  # 2 -> 34 plans, 68 notes
    large = {name: count(client, url) for name, url in pages(district).items()}
    for name in BOUNDS:
        assert small[name] <= BOUNDS[name] and large[name] <= BOUNDS[name], (name, small, large)
    # The dashboard's page is cut from up to four category segments (one query each), so its
    # count moves within the bound with how the page falls; every other page is exactly equal.
    for segmented in ("dashboard", "dashboard_due", "dashboard_without"):
        del small[segmented], large[segmented]
    assert small == large


def test_the_profile_costs_the_same_for_a_year_of_history(client, district, counselor):
    from tests.analytics.factories import StudentFeaturesFactory
    from tests.mlmodels.factories import PredictionFactory

    client.force_login(counselor)
    target = district.north[0]
    url = reverse("student_profile", args=[target.pk])
    district_settings.current()  # read once per 30 s in a process: not a page's own cost
    before = count(client, url)
    model = target.predictions.first().model_version
    for week in range(2, 40):
        as_of = AS_OF.replace(year=2024) + __import__("datetime").timedelta(weeks=week)
        PredictionFactory(student=target, model_version=model, as_of=as_of)
        StudentFeaturesFactory(student=target, feature_date=as_of)
    assert count(client, url) == before
