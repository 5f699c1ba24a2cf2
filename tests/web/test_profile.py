import logging

import pytest
from django.urls import reverse

from tests.mlmodels.factories import PredictionFactory, TrainingFeedbackFactory
from tests.web.conftest import AS_OF, client_for

pytestmark = pytest.mark.django_db


def test_it_shows_who_the_student_is_and_their_current_risk(client, district, counselor):
    student = district.north[0]
    response = client_for(client, counselor).get(reverse("student_profile", args=[student.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert student.district_id in html and student.last_name in html
    current = response.context["current"]
    assert current.as_of == AS_OF and current.model_version_id == "xgb-1"
    assert "courses_failing" in html and "Act on courses_failing" in html


def test_the_factors_are_bars_and_the_weeks_are_charts(client, district, counselor):
    student = district.north[0]
    html = (
        client_for(client, counselor)
        .get(reverse("student_profile", args=[student.pk]))
        .content.decode()
    )
    for chart in (
        "risk-factors",
        "risk-over-time",
        "weekly-attendance",
        "weekly-gpa",
        "weekly-incidents",
    ):
        assert f'data-chart="{chart}"' in html
    assert html.count('class="bar"') >= 3  # one bar per factor at least


def test_the_current_risk_is_the_active_models_latest(client, district, counselor):
    student = district.north[0]
    # A newer prediction by another (inactive) model does not replace the active model's.
    PredictionFactory(
        student=student, as_of=AS_OF.replace(day=12), risk_category="low", risk_score=0.01
    )
    response = client_for(client, counselor).get(reverse("student_profile", args=[student.pk]))
    assert response.context["current"].model_version_id == "xgb-1"
    assert len(response.context["predictions"]) == 3


def test_it_lists_recent_records_predictions_and_feedback(client, district, counselor):
    student = district.north[0]
    TrainingFeedbackFactory(
        prediction=student.predictions.get(as_of=AS_OF), educator_notes="Met the family on Monday."
    )
    response = client_for(client, counselor).get(reverse("student_profile", args=[student.pk]))
    html = response.content.decode()
    assert "Met the family on Monday." in html
    assert len(response.context["recent"].attendance) == 2
    assert "Algebra I" in html


def test_a_student_without_predictions_has_a_page(client, db, district_admin):
    from tests.students.factories import StudentFactory

    student = StudentFactory()
    response = client_for(client, district_admin).get(reverse("student_profile", args=[student.pk]))
    assert response.status_code == 200
    assert "No prediction yet" in response.content.decode()
    assert response.context["form"] is None


def test_a_student_out_of_reach_is_not_found(client, district, counselor):
    response = client_for(client, counselor).get(
        reverse("student_profile", args=[district.south[0].pk])
    )
    assert response.status_code == 404
    assert district.south[0].last_name not in response.content.decode()


def test_the_page_logs_no_name(client, district, counselor, caplog):
    student = district.north[0]
    with caplog.at_level(logging.DEBUG):
        client_for(client, counselor).get(reverse("student_profile", args=[student.pk]))
        client.get(reverse("student_profile", args=[district.south[0].pk]))  # a 404 is logged
    for text in (student.last_name, student.first_name, district.south[0].last_name):
        assert text not in caplog.text
