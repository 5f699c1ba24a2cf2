"""Scoring a week's cohort: calibrated risk, category, confidence and explained factors.

`predict(as_of=T)` reads T's stored feature rows (the cohort of T), scores them with the active
model (the ABC rules when no model is active), and replaces T's predictions of that model in one
transaction: a failure leaves the previous predictions as they were; a rerun writes the same.
A rerun updates each student's row in place (same id), so the feedback educators gave on it
stays; only the rows of students no longer in T's cohort go, with their feedback.
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
from django.utils import timezone

from analytics import page_cache
from analytics.features import LOOKBACK_INCIDENTS
from mlmodels import baseline, explain
from mlmodels.dataset import MODEL_INPUTS, expected_records, feature_rows, inputs, uuid_text
from mlmodels.models import ModelMetadata, Prediction, RiskCategory
from mlmodels.training import baseline_model, load

CHUNK = 20_000  # rows explained at once: bounds the contribution matrix's memory


class ScoringError(ValueError):
    pass


def active_model() -> ModelMetadata:
    """The active model version, or the ABC rules' when none is active."""
    return ModelMetadata.objects.filter(is_active=True).first() or baseline_model()


def stored_scores(risk: np.ndarray, cutoffs: dict | None = None) -> np.ndarray:
    """The scores as stored: the 4-byte float PostgreSQL's REAL holds (SQLite stores the same
    value), so the category computed from them is the stored score's. Rounding to a few decimals
    would give students the model separates the same score (at 6 decimals, 16% of a
    20,000-student cohort shared one). A score less than 5e-7 below a cut-off is stored as the
    cut-off itself: 0.0999996 is shown as 0.10, and with a 0.1 cut-off it is "high"."""
    stored = np.asarray(risk, dtype=np.float32).astype(float)
    for cut in (cutoffs or {}).values():
        snapped = float(np.float32(cut))
        stored[(stored < snapped) & (stored >= cut - 5e-7)] = snapped
    return stored


def categories(risk: np.ndarray, cutoffs: dict) -> np.ndarray:
    """low / medium / high / critical from the cut-offs (each is the lowest risk of its level)."""
    return np.select(
        [risk >= cutoffs["critical"], risk >= cutoffs["high"], risk >= cutoffs["medium"]],
        [RiskCategory.CRITICAL.value, RiskCategory.HIGH.value, RiskCategory.MEDIUM.value],
        RiskCategory.LOW.value,
    )


def confidence(risk: np.ndarray, support: np.ndarray | None, data_quality: pd.Series):
    """How far to trust a score, 0-1 (docs/model.md): the share of the expected attendance
    records that exist, times one minus the half-width of the 95% interval (Agresti-Coull) of
    the calibrated risk given how many tuning students back it (1 when unknown). Unlike the
    plain (Wald) interval, this one does not shrink to nothing at a risk near 0 or 1, so a score
    at the edge of the calibration, backed by few tuning students, gets a low confidence."""
    quality = data_quality.fillna(0.0).clip(0, 1).to_numpy()
    if support is None:
        return quality
    n = np.maximum(support, 1) + 4.0
    centre = (risk * np.maximum(support, 1) + 2.0) / n
    half_width = 1.96 * np.sqrt(centre * (1 - centre) / n)
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
        names = tuple(settings.get("inputs", MODEL_INPUTS))  # the model's own inputs
        expected = expected_records(rows)
        raw = np.empty(len(rows))
        factors = []
        for start in range(0, len(rows), CHUNK):
            part = rows.iloc[start : start + CHUNK]
            values = inputs(part, names)
            matrix = xgb.DMatrix(values, feature_names=list(names), missing=np.nan)
            raw[start : start + len(part)] = fitted.booster.predict(matrix)
            contributions = fitted.booster.predict(matrix, pred_contribs=True)
            part_expected = {k: v[start : start + len(part)] for k, v in expected.items()}
            factors += explain.from_contributions(contributions, values, names, part_expected)
        risk = fitted.calibration(raw)
        trust = confidence(risk, fitted.calibration.support(raw), rows["data_quality"])
    explain.name_incidents(
        factors, latest_incidents(rows), baseline.thresholds()["severity_at_least"]
    )
    risk = stored_scores(risk, cutoffs)
    return pd.DataFrame(
        {
            "student_id": rows["student_id"].to_numpy(),
            "risk_score": risk,
            "risk_category": categories(risk, cutoffs),
            "confidence": np.round(trust, 4),
            "risk_factors": factors,
        }
    )


def latest_incidents(rows: pd.DataFrame) -> dict[int, tuple]:
    """{row position: (date, severity, type)} of each row's student's latest incident up to
    the row's as-of date and within the 365 days incident features look back (the most severe
    of that day), read in one query per as-of date."""
    out: dict[int, tuple] = {}
    if rows.empty or "as_of" not in rows:
        return out
    dates = rows["as_of"].to_numpy()
    for as_of in sorted(set(dates)):
        first = as_of - dt.timedelta(days=LOOKBACK_INCIDENTS - 1)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT student_id, incident_date, severity_level, incident_type "
                "FROM discipline_incidents WHERE incident_date BETWEEN %s AND %s",
                [first, as_of],
            )
            found = cursor.fetchall()
        if not found:
            continue
        incidents = pd.DataFrame(found, columns=["student_id", "date", "severity", "type"])
        incidents["student_id"] = uuid_text(incidents["student_id"])
        incidents["date"] = pd.to_datetime(incidents["date"]).dt.date
        incidents["rank"] = incidents["severity"].fillna(0)
        latest = incidents.sort_values(["date", "rank"]).groupby("student_id").tail(1)
        by_student = {
            row.student_id: (
                row.date,
                None if pd.isna(row.severity) else int(row.severity),
                row.type,
            )
            for row in latest.itertuples()
        }
        student_ids = rows["student_id"].to_numpy()
        for position in np.flatnonzero(dates == as_of):
            incident = by_student.get(student_ids[position])
            if incident is not None:
                out[int(position)] = incident
    return out


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
    stamp = timezone.now()
    with transaction.atomic():
        _upsert(as_of, model.model_version, scored, stamp)
        # Rows this run did not write: students who have left T's cohort since the last run.
        # One statement (not the ORM's delete, which would load each row and its feedback);
        # the database cascades to their feedback.
        gone = Prediction.objects.filter(as_of=as_of, model_version=model)
        sql, params = gone.exclude(prediction_date=stamp).values("id").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM predictions WHERE id IN ({sql})", params)
        transaction.on_commit(page_cache.data_changed)  # the dashboards show the new rows
    return model, len(scored)


REWRITTEN = ("risk_score", "risk_category", "confidence", "risk_factors", "prediction_date")


def _upsert(as_of: dt.date, version: str, scored: pd.DataFrame, stamp: dt.datetime) -> None:
    """Insert T's rows, or update those already there on (student, as_of, model_version)."""
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
                    prediction_date=stamp,
                    risk_score=float(risk),
                    risk_category=category,
                    confidence=float(trust),
                    risk_factors=factors,
                    model_version_id=version,
                )
                for student, risk, category, trust, factors in columns
            ],
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["student", "as_of", "model_version"],
            update_fields=list(REWRITTEN),
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
                stamp.isoformat(),
                risk,
                category,
                trust,
                json.dumps(factors, separators=(",", ":")),
                version,
            )
        )
    buffer.seek(0)
    names = ", ".join(
        (
            "id",
            "student_id",
            "as_of",
            "prediction_date",
            "risk_score",
            "risk_category",
            "confidence",
            "risk_factors",
            "model_version",
        )
    )  # the order of the CSV columns above
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in REWRITTEN)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.scored_stage")
        cursor.execute(
            "CREATE TEMPORARY TABLE scored_stage (LIKE predictions INCLUDING DEFAULTS) "
            "ON COMMIT DROP"
        )
        cursor.cursor.copy_expert(
            f"COPY scored_stage ({names}) FROM STDIN WITH (FORMAT csv)", buffer
        )
        cursor.execute(
            f"INSERT INTO predictions ({names}) SELECT {names} FROM scored_stage "
            f"ON CONFLICT ON CONSTRAINT predictions_student_as_of_model DO UPDATE SET {updates}"
        )
