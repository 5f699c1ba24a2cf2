"""Nothing beyond a user's scope: the model page's student-level aggregates, small cells, and
the dashboard's school filter."""

import pytest
from django.urls import reverse

from mlmodels.models import Prediction
from students.models import Assignment
from tests.mlmodels.factories import TrainingFeedbackFactory
from tests.students.factories import StudentFactory
from tests.web.conftest import AS_OF, COUNSELOR, _user, client_for

pytestmark = pytest.mark.django_db


def _feedback_on(students, feedback_type="false_positive"):
    for student in students:
        prediction = Prediction.objects.get(student=student, as_of=AS_OF)
        TrainingFeedbackFactory(prediction=prediction, feedback_type=feedback_type)


@pytest.fixture
def lonely_counselor(district):
    """A counselor with no students at all."""
    return _user("lonely", COUNSELOR)


def test_a_counselor_with_no_students_sees_no_feedback_aggregates(
    client, district, lonely_counselor
):
    outsider = district.south[0]
    Prediction.objects.filter(student=outsider, as_of=AS_OF).update(risk_score=0.4321)
    _feedback_on([outsider])
    score = 0.4321

    response = client_for(client, lonely_counselor).get(reverse("model_performance"))

    assert response.context["counts"] == []
    assert f"{score:.3f}" not in response.content.decode()
    assert "No feedback in this window." in response.content.decode()


def test_feedback_counts_hold_only_the_users_students(client, district, counselor):
    _feedback_on(district.north[:2])  # the counselor's (North High)
    _feedback_on(district.south[:3])  # not theirs
    counts = client_for(client, counselor).get(reverse("model_performance")).context["counts"]
    assert len(counts) == 1
    assert counts[0]["student_count"] == 2


def test_a_feedback_cell_under_ten_students_is_suppressed_for_non_administrators(
    client, district, counselor
):
    _feedback_on(district.north[:2])
    response = client_for(client, counselor).get(reverse("model_performance"))
    row = response.context["counts"][0]
    assert row["feedback_count"] is None and row["avg_predicted_risk"] is None
    assert "fewer than 10 students" in response.content.decode()


def test_administrators_see_every_feedback_cell(client, district, district_admin):
    _feedback_on(district.north[:2])
    _feedback_on(district.south[:3])
    counts = client_for(client, district_admin).get(reverse("model_performance")).context["counts"]
    assert [(r["feedback_count"], r["student_count"]) for r in counts] == [(5, 5)]
    assert counts[0]["avg_predicted_risk"] is not None


def test_ten_students_make_a_cell_that_is_shown(client, district, counselor):
    more = [StudentFactory(school="North High") for _ in range(10)]
    from tests.mlmodels.factories import PredictionFactory

    for student in more:
        PredictionFactory(student=student, model_version=district.model, as_of=AS_OF)
    _feedback_on(more)
    counts = client_for(client, counselor).get(reverse("model_performance")).context["counts"]
    assert [(r["feedback_count"], r["student_count"]) for r in counts] == [(10, 10)]


def _fairness_group(response, name):
    model = next(m for m in response.context["models"] if m["model"].model_version == "xgb-1")
    return next(g for a in model["fairness"] for g in a["groups"] if g["group"] == name)


def test_a_fairness_group_under_ten_hides_its_size_and_rates_from_educators(
    client, district, educator
):
    model = district.model
    model.performance_metrics["fairness"]["gender"][1]["n"] = 7
    model.save()
    response = client_for(client, educator).get(reverse("model_performance"))
    small = _fairness_group(response, "X")
    assert small["suppressed"] and small["n"] is None and small["base_rate"] is None
    assert all(c["value"] is None for c in small["ratio_cells"])
    html = response.content.decode()
    assert "fewer than 10" in html
    assert _fairness_group(response, "F")["n"] == 700  # a large group is shown


def test_administrators_see_small_fairness_groups(client, district, district_admin):
    model = district.model
    model.performance_metrics["fairness"]["gender"][1]["n"] = 7
    model.save()
    response = client_for(client, district_admin).get(reverse("model_performance"))
    assert _fairness_group(response, "X")["n"] == 7
    assert _fairness_group(response, "X")["base_rate"] == 0.2


def test_a_calibration_bin_under_ten_is_suppressed_for_educators(client, district, educator):
    model = district.model
    model.performance_metrics["calibration"]["bins"][0]["n"] = 4
    model.save()
    response = client_for(client, educator).get(reverse("model_performance"))
    m = next(m for m in response.context["models"] if m["model"].model_version == "xgb-1")
    assert m["calibration_rows"][0]["suppressed"] and m["calibration_rows"][0]["observed"] is None
    assert m["calibration_rows"][1]["n"] == 50


# --- The school filter --------------------------------------------------------------------------


def _school_choices(response) -> list[str]:
    return [value for value, _ in response.context["form"].fields["school"].choices if value]


def test_the_school_filter_lists_only_schools_in_a_counselors_scope(client, district, counselor):
    response = client_for(client, counselor).get(reverse("dashboard"))
    assert _school_choices(response) == ["North High"]


def test_the_school_filter_of_an_educator_lists_the_schools_of_their_students(
    client, district, educator
):
    response = client_for(client, educator).get(reverse("dashboard"))
    assert _school_choices(response) == ["South Middle"]


def test_administrators_filter_by_every_school(client, district, district_admin):
    response = client_for(client, district_admin).get(reverse("dashboard"))
    assert _school_choices(response) == ["North High", "South Middle"]


def test_a_school_outside_the_scope_is_not_a_valid_filter(client, district, counselor):
    Assignment.objects.filter(user=counselor).update(school="North High")
    response = client_for(client, counselor).get(reverse("dashboard"), {"school": "South Middle"})
    assert response.status_code == 200
    assert "South Middle" not in _school_choices(response)
