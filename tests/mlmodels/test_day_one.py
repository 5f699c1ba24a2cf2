"""A district's first day: no history, no learned model. The ABC rules score every student and
the pages show their scores; after a learned model is deactivated they do again."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from mlmodels.models import ModelMetadata, Prediction
from students.models import Student
from tests.mlmodels.factories import ModelMetadataFactory, PredictionFactory
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 9, 14)


def _dashboard_ids(client) -> set[str]:
    response = client.get(reverse("dashboard_export"))
    lines = b"".join(response.streaming_content).decode().splitlines()[1:]
    return {line.split(",")[0] for line in lines}


def test_from_an_empty_database_the_dashboard_shows_every_student_scored_by_the_rules(
    client, superuser, small_district
):
    assert not Student.objects.exists() and not ModelMetadata.objects.exists()
    call_command("import_csv", str(small_district), verbosity=0)
    call_command("compute_features", "--as-of", AS_OF.isoformat(), "--no-progress")
    call_command("predict", "--as-of", AS_OF.isoformat())

    scored = set(
        Prediction.objects.filter(as_of=AS_OF).values_list("student__district_id", flat=True)
    )
    assert len(scored) > 30
    client.force_login(superuser)
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "No predictions yet" not in body
    assert "abc-rules-v1" in body
    assert all(district_id in body for district_id in scored)
    assert _dashboard_ids(client) == scored
    some = Student.objects.filter(district_id__in=scored).first()
    profile = client.get(reverse("student_profile", args=[some.pk])).content.decode()
    assert "not the active model" not in profile


def _week_of(model, student, score):
    PredictionFactory(
        student=student, model_version=model, as_of=AS_OF, risk_score=score, risk_category="high"
    )


def test_after_a_learned_model_is_deactivated_the_pages_show_the_rules_again(client, superuser):
    rules = ModelMetadataFactory(
        model_version="abc-rules-v1", model_type="abc_rules", performance_metrics={}
    )
    learned = ModelMetadataFactory(
        model_version="xgb-7",
        model_type="xgboost",
        performance_metrics={"auc_roc": 0.9, "baseline": {"auc_roc": 0.8}},
    )
    only_rules, only_learned = StudentFactory(), StudentFactory()
    _week_of(rules, only_rules, 0.3)
    _week_of(learned, only_learned, 0.3)
    client.force_login(superuser)

    call_command("activate_model", "xgb-7")
    assert _dashboard_ids(client) == {only_learned.district_id}

    call_command("deactivate_model", "xgb-7")
    assert not ModelMetadata.objects.filter(is_active=True).exists()
    assert _dashboard_ids(client) == {only_rules.district_id}

    call_command("activate_model", "xgb-7")
    call_command("activate_model", "abc-rules-v1")
    assert ModelMetadata.objects.get(is_active=True) == rules
    assert _dashboard_ids(client) == {only_rules.district_id}


def test_the_rules_can_be_activated_before_they_ever_scored():
    call_command("activate_model", "abc-rules-v1")
    model = ModelMetadata.objects.get(is_active=True)
    assert (model.model_version, model.model_type) == ("abc-rules-v1", "abc_rules")
    assert model.hyperparameters["risk_cutoffs"]


def test_the_admin_deactivates_a_model(client, superuser):
    learned = ModelMetadataFactory(
        model_version="xgb-8", is_active=True, performance_metrics={"auc_roc": 0.9}
    )
    client.force_login(superuser)
    client.post(
        reverse("admin:mlmodels_modelmetadata_changelist"),
        {"action": "deactivate", "_selected_action": [str(learned.pk)]},
    )
    learned.refresh_from_db()
    assert not learned.is_active


def test_a_behavior_factor_names_the_incident_type_severity_and_date():
    """A severity-5 fight three days before T: the factor says what happened and when, and asks
    for the serious response (issue: "days since last incident" alone missed the obvious)."""
    from tests.analytics.test_features import _attend
    from tests.records.factories import DisciplineIncidentFactory

    student = StudentFactory(grade_level=9, enrollment_date=dt.date(2025, 8, 1))
    _attend(student, {"2025-09-08": ["present"], "2025-09-09": ["present"]})
    DisciplineIncidentFactory(student=student, incident_date="2025-08-20", severity_level=1)
    DisciplineIncidentFactory(
        student=student, incident_date="2025-09-11", severity_level=5, incident_type="Fighting"
    )
    call_command("compute_features", "--as-of", AS_OF.isoformat(), "--no-progress")
    call_command("predict", "--as-of", AS_OF.isoformat())
    factors = Prediction.objects.get(student=student, as_of=AS_OF).risk_factors
    behavior = [f for f in factors if f["factor"] == "incidents_90d_severity_5"]
    assert behavior, factors
    assert behavior[0]["description"] == (
        "Had 1 severity-5 incident in the last 90 days "
        "(latest: Fighting, severity 5, on 2025-09-11)"
    )
    assert behavior[0]["label"] == "Severity-5 incidents, last 90 days"
