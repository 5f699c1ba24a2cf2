"""Training, activation and predictions on a made-up history whose risks are known."""

import datetime as dt
import io
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import override_settings

from analytics import page_cache
from analytics.models import StudentFeatures
from mlmodels.dataset import feature_rows
from mlmodels.models import ModelMetadata, Prediction, TrainingFeedback
from mlmodels.scoring import ScoringError, predict
from mlmodels.scoring import score as score_rows
from mlmodels.training import ActivationError, activate_model, baseline_model, train
from students.models import Student
from tests.mlmodels.factories import ModelMetadataFactory
from tests.mlmodels.history import make_history

TRAIN = [dt.date(2025, 9, 7), dt.date(2025, 9, 14), dt.date(2025, 9, 21), dt.date(2025, 9, 28)]
VALIDATE = dt.date(2025, 10, 26)  # Sep 28 + 28 days
HORIZON = 28
CUTOFFS = {"medium": 0.05, "high": 0.1, "critical": 0.3}


@pytest.fixture
def history(db):
    return make_history([*TRAIN, VALIDATE], horizon=HORIZON)


def _train(**options):
    return train(train_as_of=TRAIN, validate_as_of=VALIDATE, horizon_days=HORIZON,
                 outcomes=["failed"], cutoffs=CUTOFFS, **options)  # fmt: skip


def test_a_trained_model_is_registered_with_the_documents_metrics(history):
    model = _train(version="xgb-test")
    model.refresh_from_db()
    metrics = model.performance_metrics
    assert model.model_type == "xgboost" and not model.is_active
    assert bytes(model.model_bytes)[:1] == b"{"  # XGBoost's UBJSON, not a pickle
    for key in ("accuracy", "precision", "recall", "f1_score", "auc_roc", "validation_loss",
                "brier_score", "ece", "training_samples", "validation_samples"):  # fmt: skip
        assert metrics[key] is not None, key
    assert set(metrics["precision_at_k"]) == {"k5", "k10", "k20"}
    assert metrics["training_samples"] == 4 * 600
    assert 250 < metrics["validation_samples"] < 350  # the evaluation half of 600 students
    assert metrics["validation_samples"] + metrics["tuning_samples"] == 600
    # The model learned the made-up risk (attendance and failing courses follow it) ...
    assert metrics["auc_roc"] > 0.7
    # ... and is judged beside the ABC rules on the same rows, and audited.
    assert metrics["baseline"]["n"] == metrics["validation_samples"]
    assert metrics["baseline"]["auc_roc"] is not None
    assert set(metrics["fairness"]) == {"gender", "ethnicity", "socioeconomic_status",
                                        "grade_band"}  # fmt: skip
    assert metrics["calibration"]["method"] == "isotonic+platt"
    assert model.hyperparameters["risk_cutoffs"] == CUTOFFS
    assert model.hyperparameters["calibration"]["method"] == "isotonic+platt"


def test_training_refuses_a_validation_date_inside_a_training_window(history):
    with pytest.raises(CommandError, match="before the label window of training date 2025-09-28"):
        call_command(
            "train_model", "--as-of", *[d.isoformat() for d in TRAIN],
            "--validate-as-of", "2025-10-19", "--horizon-days", str(HORIZON),
        )  # fmt: skip
    with pytest.raises(CommandError, match="is not over"):
        call_command(
            "train_model", "--as-of", *[d.isoformat() for d in TRAIN],
            "--validate-as-of", "2025-10-26", "--horizon-days", "60",
        )  # fmt: skip
    assert not ModelMetadata.objects.exists()


def test_training_refuses_dates_without_feature_rows(history):
    with pytest.raises(CommandError, match="No feature rows for 2025-08-31"):
        call_command(
            "train_model", "--as-of", "2025-08-31", "--validate-as-of", VALIDATE.isoformat(),
            "--horizon-days", str(HORIZON),
        )  # fmt: skip


def test_train_model_prints_the_model_beside_the_abc_rules(history):
    out = io.StringIO()
    call_command(
        "train_model", "--as-of", *[d.isoformat() for d in TRAIN],
        "--validate-as-of", VALIDATE.isoformat(), "--horizon-days", str(HORIZON),
        "--outcomes", "failed", "--name", "xgb-cli", "--activate", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    text = out.getvalue()
    assert "xgb-cli" in text and "ABC rules" in text and "AUC" in text and "Fairness" in text
    assert ModelMetadata.objects.get(is_active=True).model_version == "xgb-cli"


@pytest.mark.django_db
def test_exactly_one_model_is_active():
    first = ModelMetadataFactory()
    second = ModelMetadataFactory()
    activate_model(first.model_version)
    activate_model(second.model_version)
    assert list(ModelMetadata.objects.filter(is_active=True)) == [second]
    # The database itself refuses a second active model, whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelMetadata.objects.filter(pk=first.pk).update(is_active=True)


@pytest.mark.django_db
def test_activation_refuses_a_version_without_metrics():
    with pytest.raises(ActivationError, match="no validation metrics"):
        activate_model(baseline_model().model_version)
    with pytest.raises(ActivationError, match="no model version 'nope'"):
        activate_model("nope")
    assert not ModelMetadata.objects.filter(is_active=True).exists()


@pytest.mark.django_db
def test_activation_refuses_a_model_the_abc_rules_beat_unless_forced():
    worse = ModelMetadataFactory(
        performance_metrics={"auc_roc": 0.69, "baseline": {"auc_roc": 0.89}}
    )
    with pytest.raises(ActivationError, match=r"AUC 0\.690 against 0\.890"):
        activate_model(worse.model_version)
    assert not ModelMetadata.objects.filter(is_active=True).exists()
    out = io.StringIO()
    call_command("activate_model", worse.model_version, "--even-if-worse", stdout=out)
    assert ModelMetadata.objects.get(is_active=True) == worse
    better = ModelMetadataFactory(
        performance_metrics={"auc_roc": 0.95, "baseline": {"auc_roc": 0.89}}
    )
    assert activate_model(better.model_version) == better


def test_train_model_keeps_a_refused_model_and_says_why(history):
    model = _train(version="xgb-refused")
    metrics = model.performance_metrics
    metrics["baseline"]["auc_roc"] = metrics["auc_roc"] + 0.01  # as if the rules ranked better
    ModelMetadata.objects.filter(pk=model.pk).update(performance_metrics=metrics)
    with pytest.raises(CommandError, match="stored as xgb-refused; not activated"):
        call_command("train_model", *[f"--as-of={d}" for d in TRAIN],
                     f"--validate-as-of={VALIDATE}", f"--horizon-days={HORIZON}",
                     "--outcomes=failed", "--name=xgb-refused", "--if-missing", "--activate",
                     stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert ModelMetadata.objects.filter(model_version="xgb-refused", is_active=False).exists()
    call_command("train_model", *[f"--as-of={d}" for d in TRAIN], f"--validate-as-of={VALIDATE}",
                 "--name=xgb-refused", "--if-missing", "--activate", "--even-if-worse",
                 stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert ModelMetadata.objects.get(is_active=True).model_version == "xgb-refused"


def _predictions(as_of):
    return {
        (str(p.student_id), p.model_version_id): (
            p.risk_score,
            p.risk_category,
            p.confidence,
            p.risk_factors,
        )
        for p in Prediction.objects.filter(as_of=as_of)
    }


def test_predict_scores_the_cohort_with_the_active_model_and_is_idempotent(history):
    model = _train(version="xgb-active", activate=True)
    used, written = predict(as_of=VALIDATE)
    first = _predictions(VALIDATE)
    used_again, _ = predict(as_of=VALIDATE)
    assert used == used_again == model
    assert written == len(first) == 600
    assert _predictions(VALIDATE) == first  # the same rows, replaced, never duplicated
    scores = [v[0] for v in first.values()]
    assert all(0 <= s <= 1 for s in scores)
    for score, category, confidence, factors in first.values():
        expected = ("critical" if score >= 0.3 else "high" if score >= 0.1
                    else "medium" if score >= 0.05 else "low")  # fmt: skip
        assert category == expected
        assert 0 <= confidence <= 1
        assert all(f["weight"] > 0 and f["description"] for f in factors)
    # The riskiest students by the model are mostly the riskiest by the made-up truth.
    ranked = sorted(first, key=lambda k: -first[k][0])[:60]
    assert sum(history[student] for student, _ in ranked) / 60 > 2 * (
        sum(history.values()) / len(history)
    )


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_predict_starts_a_new_data_generation_once_it_commits(
    history, django_capture_on_commit_callbacks
):
    before = page_cache.generation()
    with django_capture_on_commit_callbacks() as callbacks:
        predict(as_of=VALIDATE)
    assert page_cache.generation() == before  # nothing shown before the rows are committed
    for callback in callbacks:
        callback()
    assert page_cache.generation() != before  # the dashboards read the new rows


def test_scoring_a_week_again_keeps_the_feedback_given_on_it(history):
    predict(as_of=VALIDATE)
    kept, leaving = Prediction.objects.filter(as_of=VALIDATE).order_by("student_id")[:2]
    TrainingFeedback.objects.create(prediction=kept, feedback_type="true_positive")
    TrainingFeedback.objects.create(prediction=leaving, feedback_type="false_positive")
    # The second student is no longer in the cohort of VALIDATE when the week is scored again.
    StudentFeatures.objects.filter(student_id=leaving.student_id, feature_date=VALIDATE).delete()
    predict(as_of=VALIDATE)
    assert Prediction.objects.filter(as_of=VALIDATE).count() == 599
    assert Prediction.objects.filter(pk=kept.pk).exists()  # updated in place, same id
    assert list(TrainingFeedback.objects.values_list("prediction_id", flat=True)) == [kept.pk]
    assert not Prediction.objects.filter(student_id=leaving.student_id, as_of=VALIDATE).exists()


def test_the_category_is_that_of_the_stored_score(history):
    # 0.0999996 is stored as 0.1: with a 0.1 cut-off that is "high", whatever the raw value.
    rules = ModelMetadata(
        model_version="abc-boundary",
        model_type="abc_rules",
        hyperparameters={
            "risk_by_flags": [0.0999996] * 4,
            "risk_cutoffs": {"medium": 0.05, "high": 0.1, "critical": 0.3},
        },
    )
    scored = score_rows(rules, feature_rows([VALIDATE]))
    assert set(scored["risk_score"]) == {float(np.float32(0.1))}  # as PostgreSQL's REAL holds it
    assert set(scored["risk_category"]) == {"high"}


def test_without_an_active_model_the_abc_rules_score(history):
    used, written = predict(as_of=VALIDATE)
    assert used.model_type == "abc_rules" and written == 600
    assert set(Prediction.objects.values_list("model_version", flat=True)) == {"abc-rules-v1"}
    flagged = Prediction.objects.exclude(risk_factors=[]).first()
    assert flagged.risk_factors[0]["factor"] in {"attendance_rate_ytd", "courses_failing",
                                                 "gpa_current", "incidents_ytd"}  # fmt: skip


def test_a_failed_scoring_leaves_the_last_good_predictions(history):
    model = _train(version="xgb-good", activate=True)
    predict(as_of=VALIDATE)
    before = _predictions(VALIDATE)
    ModelMetadata.objects.filter(pk=model.pk).update(model_bytes=b"not a model")
    with pytest.raises(Exception):  # noqa: B017 - whatever XGBoost raises
        predict(as_of=VALIDATE)
    assert _predictions(VALIDATE) == before


def test_predict_refuses_a_date_without_feature_rows(history):
    with pytest.raises(ScoringError, match=r"run `manage\.py compute_features --as-of 2026-01-04`"):
        predict(as_of=dt.date(2026, 1, 4))


def test_backtest_prints_one_json_object(history):
    out = io.StringIO()
    call_command(
        "backtest", "--train-as-of", *[d.isoformat() for d in TRAIN],
        "--test-as-of", VALIDATE.isoformat(), "--horizon-days", str(HORIZON),
        "--outcomes", "failed", "--json", stdout=out,
    )  # fmt: skip
    report = json.loads(out.getvalue())
    assert report["learned"]["n"] == report["baseline"]["n"] == 600
    assert report["learned"]["auc_roc"] > 0.7
    assert set(report["learned"]) == {"n", "positives", "base_rate", "auc_roc",
                                      "precision_at_k", "recall_at_k", "brier_score",
                                      "ece"}  # fmt: skip
    assert not ModelMetadata.objects.exists()  # a backtest stores nothing


def test_the_same_records_loaded_twice_give_identical_metrics(history):
    # Loaded again, every student gets a new random primary key: the split (a hash of the
    # district id), the row order (by district id) and the seeded boosting must not notice.
    first = _train(version="xgb-first").performance_metrics
    Prediction.objects.all().delete()
    ModelMetadata.objects.all().delete()
    StudentFeatures.objects.all().delete()
    Student.objects.all().delete()
    make_history([*TRAIN, VALIDATE], horizon=HORIZON)
    again = _train(version="xgb-again").performance_metrics
    assert again == first
    assert first["auc_roc"] > 0.7
