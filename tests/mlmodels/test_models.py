import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from mlmodels.models import ModelMetadata, Prediction
from tests.helpers import assert_rejected
from tests.mlmodels.factories import (
    ModelMetadataFactory,
    PredictionFactory,
    TrainingFeedbackFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value"),
    [("risk_score", -0.01), ("risk_score", 1.01), ("confidence", -0.5), ("confidence", 1.5)],
)
def test_prediction_rejects_an_out_of_range_value(field, value):
    assert_rejected(PredictionFactory, **{field: value})


def test_prediction_rejects_an_unknown_risk_category():
    assert_rejected(PredictionFactory, risk_category="severe")


@pytest.mark.parametrize("category", ["low", "medium", "high", "critical"])
def test_prediction_accepts_each_document_category(category):
    assert PredictionFactory(risk_category=category).risk_category == category


def test_prediction_rejects_a_model_version_that_is_not_registered():
    prediction = PredictionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Prediction.objects.filter(pk=prediction.pk).update(model_version_id="no-such-model")
        # Foreign keys are checked at commit (DEFERRABLE INITIALLY DEFERRED); check them now.
        connection.check_constraints(table_names=["predictions"])


def test_prediction_model_version_joins_model_metadata_by_version_string():
    model = ModelMetadataFactory(model_version="xgb-2026.1", model_type="xgboost")
    PredictionFactory(model_version=model)
    stored = Prediction.objects.select_related("model_version").get()
    assert stored.model_version_id == "xgb-2026.1"
    assert stored.model_version.model_type == "xgboost"
    assert Prediction.objects.filter(model_version__model_type="xgboost").count() == 1


def test_a_model_with_predictions_cannot_be_deleted():
    prediction = PredictionFactory()
    with pytest.raises(ProtectedError):
        prediction.model_version.delete()


def test_risk_factors_round_trip_and_default_to_an_empty_list():
    prediction = PredictionFactory()
    assert Prediction.objects.get(pk=prediction.pk).risk_factors == prediction.risk_factors
    bare = PredictionFactory(risk_factors=[])
    assert Prediction.objects.get(pk=bare.pk).risk_factors == []


def test_feedback_rejects_an_unknown_feedback_type():
    assert_rejected(TrainingFeedbackFactory, feedback_type="maybe")


def test_feedback_needs_a_prediction():
    assert_rejected(TrainingFeedbackFactory, prediction=None)


def test_model_version_is_unique():
    ModelMetadataFactory(model_version="v1")
    assert_rejected(ModelMetadataFactory, model_version="v1")


def test_model_metadata_defaults_and_json_round_trip():
    model = ModelMetadata.objects.create(model_version="abc-1", model_type="abc_rules")
    model.refresh_from_db()
    assert model.is_active is False
    assert model.performance_metrics == {} and model.hyperparameters == {}
    metrics = {"auc_roc": 0.9, "precision_at_k": {"k5": 0.94, "k10": 0.91, "k20": 0.88}}
    model.performance_metrics = metrics
    model.save()
    assert ModelMetadata.objects.get(pk=model.pk).performance_metrics == metrics


def test_model_bytes_are_stored_as_raw_bytes():
    raw = bytes(range(256)) * 10
    model = ModelMetadataFactory(model_bytes=raw)
    assert bytes(ModelMetadata.objects.get(pk=model.pk).model_bytes) == raw
