"""Scoring a week's cohort: calibrated risk, category, confidence and explained factors.

`predict(as_of=T)` reads T's stored feature rows (the cohort of T), scores them with the active
model (the ABC rules when no model is active), and replaces T's predictions of that model in one
transaction: a failure leaves the previous predictions as they were; a rerun writes the same.
"""

import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import Callable

import numpy as np
import pandas as pd
import xgboost as xgb
from django.db import connection, transaction

from analytics import page_cache
from mlmodels import baseline, explain
from mlmodels.dataset import MODEL_INPUTS, feature_rows, inputs
from mlmodels.models import ModelMetadata, Prediction, RiskCategory
from mlmodels.training import baseline_model, load

CHUNK = 20_000  # rows explained at once: bounds the contribution matrix's memory


class ScoringError(ValueError):
    pass


def active_model() -> ModelMetadata:
    """The active model version, or the ABC rules' when none is active."""
    return ModelMetadata.objects.filter(is_active=True).first() or baseline_model()


def categories(risk: np.ndarray, cutoffs: dict) -> np.ndarray:
    """low / medium / high / critical from the cut-offs (each is the lowest risk of its level)."""
    return np.select(
        [risk >= cutoffs["critical"], risk >= cutoffs["high"], risk >= cutoffs["medium"]],
        [RiskCategory.CRITICAL.value, RiskCategory.HIGH.value, RiskCategory.MEDIUM.value],
        RiskCategory.LOW.value,
    )


def confidence(risk: np.ndarray, support: np.ndarray | None, data_quality: pd.Series):
    """How far to trust a score, 0-1 (docs/model.md): the share of the expected attendance
    records that exist, times one minus the half-width of the 95% interval of the calibrated
    risk given how many tuning students back it (1 when unknown)."""
    quality = data_quality.fillna(0.0).clip(0, 1).to_numpy()
    if support is None:
        return quality
    half_width = 1.96 * np.sqrt(risk * (1 - risk) / np.maximum(support, 1))
    return quality * (1 - np.minimum(half_width, 1.0))


def score(model: ModelMetadata, rows: pd.DataFrame) -> pd.DataFrame:
    """risk_score, risk_category, confidence, risk_factors for each row."""
    settings = model.hyperparameters
    cutoffs = settings["risk_cutoffs"]
    if model.model_type == baseline.MODEL_TYPE:
        risk = baseline.score(rows, settings["risk_by_flags"])
        factors = baseline.factors(rows)
        trust = confidence(risk, None, rows["data_quality"])
    else:
        fitted = load(model)
        raw = np.empty(len(rows))
        factors = []
        for start in range(0, len(rows), CHUNK):
            part = rows.iloc[start : start + CHUNK]
            matrix = xgb.DMatrix(inputs(part), feature_names=list(MODEL_INPUTS), missing=np.nan)
            raw[start : start + len(part)] = fitted.booster.predict(matrix)
            contributions = fitted.booster.predict(matrix, pred_contribs=True)
            factors += explain.from_contributions(contributions, inputs(part), MODEL_INPUTS)
        risk = fitted.calibration(raw)
        trust = confidence(risk, fitted.calibration.support(raw), rows["data_quality"])
    # The category is that of the stored score: 0.099996 is stored, and shown, as 0.1, which is
    # "high" with a 0.1 cut-off. Five decimals survive PostgreSQL's REAL exactly.
    risk = np.round(risk, 5)
    return pd.DataFrame(
        {
            "student_id": rows["student_id"].to_numpy(),
            "risk_score": risk,
            "risk_category": categories(risk, cutoffs),
            "confidence": np.round(trust, 4),
            "risk_factors": factors,
        }
    )


def predict(
    *, as_of: dt.date, model: ModelMetadata | None = None, progress: Callable | None = None
) -> tuple[ModelMetadata, int]:
    """Score T's cohort and replace T's predictions of the model; (model, rows written)."""
    model = model or active_model()
    rows = feature_rows([as_of])
    if rows.empty:
        raise ScoringError(
            f"No feature rows for {as_of.isoformat()}: run `manage.py compute_features "
            f"--as-of {as_of.isoformat()}` first (the weekly task does both)."
        )
    scored = score(model, rows)
    if progress:
        progress(len(scored))
    with transaction.atomic():
        Prediction.objects.filter(as_of=as_of, model_version=model).delete()
        _insert(as_of, model.model_version, scored)
        transaction.on_commit(page_cache.data_changed)  # the dashboards show the new rows
    return model, len(scored)


def _insert(as_of: dt.date, version: str, scored: pd.DataFrame) -> None:
    columns = zip(
        scored["student_id"],
        scored["risk_score"],
        scored["risk_category"],
        scored["confidence"],
        scored["risk_factors"],
        strict=True,
    )
    if connection.vendor != "postgresql":
        Prediction.objects.bulk_create(
            [
                Prediction(
                    student_id=student,
                    as_of=as_of,
                    risk_score=float(risk),
                    risk_category=category,
                    confidence=float(trust),
                    risk_factors=factors,
                    model_version_id=version,
                )
                for student, risk, category, trust, factors in columns
            ],
            batch_size=2000,
        )
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for student, risk, category, trust, factors in columns:
        writer.writerow(
            (
                uuid.uuid4(),
                student,
                as_of.isoformat(),
                risk,
                category,
                trust,
                json.dumps(factors, separators=(",", ":")),
                version,
            )
        )
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            "COPY predictions (id, student_id, as_of, risk_score, risk_category, confidence, "
            "risk_factors, model_version) FROM STDIN WITH (FORMAT csv)",
            buffer,
        )
