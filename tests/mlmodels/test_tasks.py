"""The weekly chain, features then predictions, through a real Redis and a real Celery worker."""

import datetime as dt

import pytest

from analytics.models import StudentFeatures
from mlmodels.models import Prediction
from mlmodels.tasks import weekly_risk
from records.importing import district_import
from tests.celery_workers import broker_for_this_process, celery_workers, redis_server

AS_OF = dt.date(2025, 9, 14)


@pytest.mark.django_db(transaction=True)
def test_the_weekly_chain_computes_features_then_predictions_on_a_worker(small_district, tmp_path):
    district_import(folder=small_district)
    with (
        redis_server(tmp_path) as broker,
        broker_for_this_process(broker),
        celery_workers(1, broker, tmp_path),
    ):
        result = weekly_risk.delay(AS_OF.isoformat(), chunk_size=10).get(timeout=120)

    features = StudentFeatures.objects.filter(feature_date=AS_OF).count()
    assert features > 30
    assert result == {"as_of": "2025-09-14", "model_version": "abc-rules-v1",
                      "predictions": features, "digests": 0}  # fmt: skip
    assert Prediction.objects.filter(as_of=AS_OF, model_version="abc-rules-v1").count() == features


@pytest.mark.django_db
def test_in_process_the_same_chain_runs_eagerly(small_district):
    district_import(folder=small_district)
    result = weekly_risk.delay(AS_OF.isoformat()).get()
    assert result["predictions"] == Prediction.objects.filter(as_of=AS_OF).count() > 30


@pytest.mark.django_db
def test_when_the_features_fail_no_predictions_are_made(small_district, monkeypatch):
    district_import(folder=small_district)
    weekly_risk.delay(AS_OF.isoformat()).get()
    before = set(Prediction.objects.values_list("id", "risk_score"))

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("mlmodels.tasks.features_compute", broken)
    with pytest.raises(RuntimeError):
        weekly_risk.delay(AS_OF.isoformat()).get()
    assert set(Prediction.objects.values_list("id", "risk_score")) == before
