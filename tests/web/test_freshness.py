"""The dashboard and the work list say how old the scores are, and warn past two school weeks."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import dashboards
from tests.mlmodels.factories import PredictionFactory
from tests.web.conftest import AS_OF, client_for

pytestmark = pytest.mark.django_db

PAGES = ("dashboard", "my_students")


@pytest.mark.parametrize("page", PAGES)
def test_scores_from_long_ago_are_dated_and_flagged_as_stale(client, district, counselor, page):
    html = client_for(client, counselor).get(reverse(page)).content.decode()
    days = (timezone.localdate() - AS_OF).days
    assert f"Scores as of <strong>{AS_OF:%Y-%m-%d}</strong>, {days} days ago." in html
    assert 'role="status" id="stale-scores"' in html
    assert "older than two school weeks (14 days)" in html


@pytest.mark.parametrize("page", PAGES)
def test_scores_of_today_carry_no_warning(client, district, counselor, page):
    today = timezone.localdate()
    for student in district.students:
        PredictionFactory(
            student=student, model_version=district.model, as_of=today, risk_score=0.2,
            risk_category="low",
        )  # fmt: skip
    html = client_for(client, counselor).get(reverse(page)).content.decode()
    assert f"Scores as of <strong>{today:%Y-%m-%d}</strong>, today." in html
    assert "stale-scores" not in html


@pytest.mark.parametrize(("days", "stale"), [(0, False), (14, False), (15, True)])
def test_stale_means_older_than_fourteen_days(days, stale):
    today = dt.date(2026, 12, 4)
    week = dashboards.ScoringWeek(None, today - dt.timedelta(days=days), None)
    assert dashboards.freshness(week, today).stale is stale


def test_no_run_says_nothing_about_age():
    assert dashboards.freshness(dashboards.ScoringWeek(None, None, None), dt.date.today()) is None
