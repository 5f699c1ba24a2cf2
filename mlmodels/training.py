"""Training a risk model on past weeks, judging it on a later one, and registering it.

The steps (docs/model.md):
1. refuse as-of dates whose label windows are not over, and a validation date that comes
   before every training window has closed (mlmodels/labels.py);
2. XGBoost on the stored feature rows of the training dates, labelled by what happened within
   H days;
3. the validation date's cohort is split in two by student (a fixed hash of the id): the tuning
   half stops the boosting early and fits the isotonic calibration; the evaluation half, never
   seen by either, gives every reported number: the model's, the ABC baseline's on the same
   rows, and the fairness audit.
"""

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xgboost as xgb
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mlmodels import baseline, labels
from mlmodels.calibration import Calibration
from mlmodels.dataset import AUDITED, MODEL_INPUTS, district_hash, feature_rows, inputs
from mlmodels.fairness import audit
from mlmodels.metrics import evaluate, rounded
from mlmodels.models import ModelMetadata

PARAMS = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "tree_method": "hist",
    "max_depth": 4,
    "learning_rate": 0.1,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 5.0,
    "reg_lambda": 1.0,
    "max_bin": 64,
    "seed": 7,
}
MAX_ROUNDS = 600
EARLY_STOPPING = 25
TUNING_SHARE = 0.5  # of the validation cohort's students (the rest is for evaluation)


class TrainingError(ValueError):
    """The request cannot give an honest model; the message says why."""


@dataclass
class Fitted:
    booster: xgb.Booster
    calibration: Calibration

    def raw(self, rows: pd.DataFrame) -> np.ndarray:
        return self.booster.predict(_matrix(rows))

    def risk(self, rows: pd.DataFrame) -> np.ndarray:
        return self.calibration(self.raw(rows))


def _matrix(rows: pd.DataFrame, y=None) -> xgb.DMatrix:
    return xgb.DMatrix(inputs(rows), label=y, feature_names=list(MODEL_INPUTS), missing=np.nan)


def in_tuning_half(district_ids: pd.Series, share: float = TUNING_SHARE) -> np.ndarray:
    """A fixed split by student: the same student is always on the same side, in every import
    of the same files (the district id is hashed, not the random primary key)."""
    return district_hash(district_ids) % 1000 < share * 1000


GRADE_BANDS = ("K-5", "6-8", "9-12")


def by_grade_band(bands: pd.Series, y, risk, abc, threshold, ties=()) -> dict:
    """The learned model's and the ABC rules' numbers in each grade band (the grade on T)."""
    out = {}
    bands = np.asarray(bands)
    for band in GRADE_BANDS:
        rows = bands == band
        if not rows.any():
            continue
        band_ties = tuple(np.asarray(t)[rows] for t in ties)
        out[band] = {
            "learned": evaluate(y[rows], risk[rows], threshold, band_ties),
            "baseline": evaluate(y[rows], abc[rows], threshold, band_ties),
        }
    return out


def fit(train: pd.DataFrame, y: np.ndarray, tune: pd.DataFrame, y_tune: np.ndarray) -> Fitted:
    """Boost on `train`, stop early on `tune`, calibrate on `tune`."""
    params = {**PARAMS, "nthread": os.cpu_count() or 1}
    # QuantileDMatrix bins the inputs once, as "hist" needs: faster and smaller than a DMatrix.
    dtrain = xgb.QuantileDMatrix(
        inputs(train), label=y, feature_names=list(MODEL_INPUTS), max_bin=PARAMS["max_bin"]
    )
    dtune = xgb.QuantileDMatrix(
        inputs(tune),
        label=y_tune,
        feature_names=list(MODEL_INPUTS),
        ref=dtrain,
        max_bin=PARAMS["max_bin"],
    )
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=MAX_ROUNDS,
        evals=[(dtune, "tuning")],
        early_stopping_rounds=EARLY_STOPPING,
        verbose_eval=False,
    )
    booster = booster[: booster.best_iteration + 1]
    return Fitted(booster, Calibration.fit(booster.predict(dtune), y_tune))


def labelled(dates: Iterable[dt.date], horizon_days: int | None, outcomes) -> pd.DataFrame:
    rows = feature_rows(dates)
    missing = sorted(set(dates) - set(rows["as_of"]))
    if missing:
        listed = ", ".join(d.isoformat() for d in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise TrainingError(
            f"No feature rows for {listed}{more}: run `manage.py compute_features --as-of DATE` "
            "for each first (or give school years, whose missing rows are computed)."
        )
    rows["y"] = labels.label_rows(rows, horizon_days, outcomes).to_numpy()
    return rows


def judge(
    fitted: Fitted,
    tune: pd.DataFrame,
    evaluation: pd.DataFrame,
    cutoffs: dict,
) -> dict:
    """The model's numbers on `evaluation`, the ABC baseline's on the same rows (its risk per
    flag count learned from `tune`, like the model's calibration), and the fairness audit."""
    y = evaluation["y"].to_numpy()
    raw = fitted.raw(evaluation)
    risk = fitted.calibration(raw)
    abc = baseline.score(evaluation, baseline.fit(tune, tune["y"].to_numpy()))
    threshold = cutoffs["high"]
    ties = (raw, district_hash(evaluation["district_id"]))
    metrics = evaluate(y, risk, threshold, ties)
    metrics["calibration"]["method"] = "isotonic+platt"
    metrics["baseline"] = evaluate(y, abc, threshold, ties)
    metrics["baseline"]["model_type"] = baseline.MODEL_TYPE
    metrics["by_grade_band"] = by_grade_band(
        evaluation["grade_band"], y, risk, abc, threshold, ties
    )
    metrics["fairness"] = audit(evaluation[list(AUDITED)], y, risk >= threshold)
    return metrics


def train(
    *,
    train_as_of: list[dt.date],
    validate_as_of: dt.date | list[dt.date],
    horizon_days: int | None = None,
    outcomes: Iterable[str] | None = None,
    cutoffs: dict | None = None,
    version: str | None = None,
    activate: bool = False,
    data_through: dt.date | None = None,
    school_years: dict | None = None,
) -> ModelMetadata:
    """Train, judge and register a model version (see the module docstring).

    `horizon_days` None (the default setting) labels each row by the end of its school year.
    `validate_as_of` is one date or several (a school year's weeks). `data_through` is how far
    the district says its data is complete (default: the furthest any source of records reaches).
    `school_years` ({"train": [...], "validate": "..."}) is only recorded with the model."""
    if horizon_days is None:
        horizon_days = settings.EDUPULSE_HORIZON_DAYS
    outcomes = labels.adverse_outcomes(outcomes)
    cutoffs = cutoffs or settings.EDUPULSE_RISK_CUTOFFS
    validate_dates = sorted(
        [validate_as_of] if isinstance(validate_as_of, dt.date) else set(validate_as_of)
    )
    covered = labels.covered_through(data_through)
    labels.check_windows_closed([*train_as_of, *validate_dates], horizon_days, covered)
    labels.check_validation_after_training(train_as_of, validate_dates[0], horizon_days)

    train_rows = labelled(train_as_of, horizon_days, outcomes)
    if train_rows["y"].sum() == 0:
        raise TrainingError(
            f"No adverse outcome ({', '.join(outcomes)}) happened "
            f"{labels.describe(horizon_days)} after any training date: there is nothing to "
            "learn from."
        )
    valid = labelled(validate_dates, horizon_days, outcomes)
    tuning = in_tuning_half(valid["district_id"])
    tune, evaluation = valid[tuning], valid[~tuning]
    fitted = fit(train_rows, train_rows["y"].to_numpy(), tune, tune["y"].to_numpy())
    metrics = judge(fitted, tune, evaluation, cutoffs)
    metrics.update(
        training_samples=len(train_rows),
        validation_samples=len(evaluation),
        tuning_samples=len(tune),
        horizon_days=horizon_days,
        label=f"an adverse outcome {labels.describe(horizon_days)}",
        outcomes=list(outcomes),
        train_as_of=[d.isoformat() for d in sorted(train_as_of)],
        validate_as_of=(
            validate_dates[0].isoformat()
            if len(validate_dates) == 1
            else f"{validate_dates[0].isoformat()} to {validate_dates[-1].isoformat()}"
        ),
        validation_weeks=len(validate_dates),
        data_through=covered.isoformat(),
        school_years=school_years,
    )
    now = timezone.now()
    model = ModelMetadata(
        model_version=version or f"xgb-{now:%Y%m%d-%H%M%S}",
        model_type="xgboost",
        training_date=now,
        hyperparameters={
            "xgboost": PARAMS,
            "rounds": fitted.booster.num_boosted_rounds(),
            "inputs": list(MODEL_INPUTS),
            "calibration": fitted.calibration.to_json(),
            "risk_cutoffs": cutoffs,
            "horizon_days": horizon_days,
            "outcomes": list(outcomes),
        },
        performance_metrics=rounded(metrics),
        model_bytes=bytes(fitted.booster.save_raw("ubj")),
    )
    model.save()  # kept even if activation is refused below: it can be inspected, or forced
    if activate:
        activate_model(model.model_version)
    return model


def load(model: ModelMetadata) -> Fitted:
    """The stored booster and calibration of a learned model version."""
    booster = xgb.Booster()
    booster.load_model(bytearray(model.model_bytes))
    booster.set_param({"nthread": os.cpu_count() or 1})
    return Fitted(booster, Calibration.from_json(model.hyperparameters["calibration"]))


class ActivationError(ValueError):
    pass


@transaction.atomic
def activate_model(version: str, *, even_if_worse: bool = False) -> ModelMetadata:
    """Make `version` the one active model (the database allows only one).

    A learned model that ranks its own validation students worse than the ABC rules did on the
    same students (a lower AUC) is refused unless `even_if_worse`: counselors would be better
    served by the rules, which score every student when no model is active."""
    try:
        model = ModelMetadata.objects.select_for_update().get(model_version=version)
    except ModelMetadata.DoesNotExist:
        raise ActivationError(f"There is no model version {version!r}.") from None
    if not model.performance_metrics or model.performance_metrics.get("auc_roc") is None:
        raise ActivationError(
            f"Model version {version!r} has no validation metrics: a model nobody has judged "
            "cannot score students. Train it with a validation date first."
        )
    auc = model.performance_metrics["auc_roc"]
    rules_auc = (model.performance_metrics.get("baseline") or {}).get("auc_roc")
    if not even_if_worse and rules_auc is not None and auc < rules_auc:
        raise ActivationError(
            f"Model version {version!r} ranks its validation students worse than the ABC rules "
            f"do (AUC {auc:.3f} against {rules_auc:.3f}): the rules serve counselors better. "
            "Activate it anyway with `activate_model --even-if-worse`."
        )
    ModelMetadata.objects.filter(is_active=True).exclude(pk=model.pk).update(is_active=False)
    if not model.is_active:
        model.is_active = True
        model.save(update_fields=["is_active"])
    return model


def baseline_model() -> ModelMetadata:
    """The ABC rules' model version, registered on first use."""
    model, _ = ModelMetadata.objects.get_or_create(
        model_version=baseline.VERSION,
        defaults={
            "model_type": baseline.MODEL_TYPE,
            "hyperparameters": {
                "risk_by_flags": list(baseline.DEFAULT_RISK_BY_FLAGS),
                "risk_cutoffs": settings.EDUPULSE_RISK_CUTOFFS,
            },
        },
    )
    return model
