import datetime as dt
import logging
import re

import pytest
from django.urls import reverse

from mlmodels.models import TrainingFeedback
from tests.web.conftest import AS_OF, client_for

pytestmark = pytest.mark.django_db


def url(prediction):
    return reverse("prediction_feedback", args=[prediction.pk])


def current(student):
    return student.predictions.get(as_of=AS_OF)


GOOD = {
    "flagged": "yes",
    "outcome_happened": "yes",
    "outcome_type": "failed",
    "outcome_date": (AS_OF + dt.timedelta(days=30)).isoformat(),
    "educator_notes": "Failed the Algebra I final.",
}


def test_an_educator_gives_feedback_that_then_shows_on_the_page(client, district, educator, caplog):
    student = district.south[0]
    c = client_for(client, educator)
    with caplog.at_level(logging.INFO):
        response = c.post(url(current(student)), GOOD)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/students/{student.pk}/#feedback")
    saved = TrainingFeedback.objects.get()
    assert (saved.prediction, saved.submitted_by, saved.outcome_type) == (
        current(student),
        educator,
        "failed",
    )
    page = c.get(response["Location"]).content.decode()
    assert "Failed the Algebra I final." in page and "Thank you" in page
    assert student.last_name not in caplog.text and str(student.pk) in caplog.text


def test_a_counselor_gives_feedback_too(client, district, counselor):
    response = client_for(client, counselor).post(
        url(current(district.north[0])), {"flagged": "yes", "outcome_happened": "no"}
    )
    assert response.status_code == 302
    assert TrainingFeedback.objects.get().outcome_type is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Say whether the student was flagged"),
        ({"flagged": "yes"}, "Say whether the outcome happened"),
        ({"flagged": "maybe", "outcome_happened": "no"}, "Select a valid choice"),
        ({"flagged": "yes", "outcome_happened": "yes"}, "choose which one"),
        (
            {"flagged": "yes", "outcome_happened": "no", "outcome_type": "failed"},
            "Give the date of the outcome",
        ),
        (
            {"flagged": "no", "outcome_happened": "no", "outcome_date": "2025-11-01"},
            "Choose the outcome this date is for",
        ),
        ({**GOOD, "outcome_date": "2025-13-45"}, "Enter the date as YYYY-MM-DD"),
        ({**GOOD, "outcome_date": "14/11/2025"}, "Enter the date as YYYY-MM-DD"),
        ({**GOOD, "outcome_date": "2999-01-01"}, "cannot be in the future"),
        ({**GOOD, "outcome_date": "2025-09-01"}, "before the prediction&#x27;s as-of date"),
        ({**GOOD, "educator_notes": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_it_rejects_bad_feedback_with_a_clear_message(client, district, educator, data, message):
    response = client_for(client, educator).post(url(current(district.south[0])), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TrainingFeedback.objects.exists()


def test_feedback_on_a_student_out_of_reach_is_not_found(client, district, educator):
    response = client_for(client, educator).post(url(current(district.north[0])), GOOD)
    assert response.status_code == 404
    assert not TrainingFeedback.objects.exists()


def test_administrators_and_staff_do_not_give_feedback(client, district, district_admin, staff):
    assert (
        client_for(client, district_admin).post(url(current(district.north[0])), GOOD).status_code
        == 403
    )
    assert client_for(client, staff).post(url(current(district.north[0])), GOOD).status_code == 403
    assert not TrainingFeedback.objects.exists()


def test_the_form_shows_on_the_student_page_for_educators_only(
    client, district, educator, district_admin
):
    student = district.south[0]
    page = client_for(client, educator).get(reverse("student_profile", args=[student.pk]))
    assert page.context["form"] is not None
    page = client_for(client, district_admin).get(reverse("student_profile", args=[student.pk]))
    assert page.context["form"] is None


def test_feedback_is_counted_on_the_model_page(client, district, educator, district_admin):
    c = client_for(client, educator)
    c.post(url(current(district.south[0])), GOOD)
    c.post(url(current(district.south[1])), {"flagged": "yes", "outcome_happened": "no"})
    # Cells of fewer than 10 students are shown to district administrators only.
    counts = client_for(client, district_admin).get(reverse("model_performance")).context["counts"]
    assert {(r["model_version"], r["type"], r["feedback_count"]) for r in counts} == {
        ("xgb-1", "false_positive", 1),
        ("xgb-1", "true_positive", 1),
    }


@pytest.mark.parametrize(
    ("flagged", "happened", "stored"),
    [
        ("yes", "yes", "true_positive"),
        ("yes", "no", "false_positive"),
        ("no", "no", "true_negative"),
        ("no", "yes", "false_negative"),
    ],
)
def test_the_two_questions_map_to_the_schemas_feedback_types(
    client, district, educator, flagged, happened, stored
):
    data = {**GOOD, "flagged": flagged, "outcome_happened": happened}
    if happened == "no":
        data = {"flagged": flagged, "outcome_happened": happened}
    response = client_for(client, educator).post(url(current(district.south[0])), data)
    assert response.status_code == 302
    assert TrainingFeedback.objects.get().feedback_type == stored


def test_the_form_asks_plainly_and_says_what_flagged_means(client, district, educator):
    district.model.hyperparameters = {"risk_cutoffs": {"medium": 0.1, "high": 0.3, "critical": 0.6}}
    district.model.save()
    student = district.south[0]  # scored 0.81 now: critical, so flagged
    html = client_for(client, educator).get(url(current(student))).content.decode()
    assert "Was the student flagged?" in html and "Did the outcome happen?" in html
    assert "True positive" not in html and "false negative" not in html.lower()
    assert "a risk score of 0.30 or more" in html
    # This prediction was flagged: the answer is filled in, and can be changed.
    assert re.search(r'<input[^>]*name="flagged" value="yes"[^>]*checked', html)
    assert html.index("Was the student flagged?") < html.index("When it happened")


def test_the_date_field_and_its_message_give_the_same_format(client, district, educator):
    html = client_for(client, educator).get(url(current(district.south[0]))).content.decode()
    field = re.search(r'<input[^>]*name="outcome_date"[^>]*>', html).group(0)
    assert 'type="text"' in field and 'placeholder="YYYY-MM-DD"' in field
    assert "As YYYY-MM-DD, e.g. 2025-11-14." in html
