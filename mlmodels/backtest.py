"""Backtesting: train on some weeks, score later weeks, compare with the ABC rules and (on a
generated district) with the generator's true probabilities. Nothing is stored.

Within the training weeks, a fixed fifth of the students (by a hash of the id) is held out to
stop the boosting and fit the calibrations; the test weeks are scored by a model that never saw
them or anything after its training windows.
"""

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from scipy.stats import kendalltau

from mlmodels import baseline, labels
from mlmodels.dataset import district_hash
from mlmodels.metrics import auc, evaluate, rounded
from mlmodels.scoring import stored_scores
from mlmodels.training import TrainingError, by_grade_band, fit, in_tuning_half, labelled

REPORTED = (
    "n",
    "positives",
    "base_rate",
    "auc_roc",
    "precision_at_k",
    "recall_at_k",
    "brier_score",
    "ece",
)


def ordering(raw: np.ndarray, risk: np.ndarray) -> dict:
    """Whether the calibrated (stored) scores keep the raw model's order: Kendall's tau between
    them, and the share of distinct stored scores."""
    stored = stored_scores(risk)
    tau = kendalltau(raw, stored).statistic if len(raw) > 1 else None
    return {
        "kendall_tau": None if tau is None or tau != tau else float(tau),
        "distinct_share": float(len(np.unique(stored)) / max(len(stored), 1)),
        # Students the raw model itself does not separate (the same leaves in every tree) share
        # a score whatever the calibration does: the ceiling of distinct_share.
        "raw_distinct_share": float(len(np.unique(raw)) / max(len(raw), 1)),
    }


def _summary(metrics: dict) -> dict:
    return {key: metrics[key] for key in REPORTED}


def truth_column(columns, outcomes: tuple[str, ...], horizon_days: int | None, reaches_end: bool):
    """The truth file's column that means the same as this run's label, if any."""
    if horizon_days is None:
        reaches_end = True  # the end-of-year label is the truth file's p_adverse
    elif set(outcomes) <= {"dropped_out", "withdrawn"}:
        name = f"p_dropout_{horizon_days}d"
        return name if name in columns else None
    if set(outcomes) >= {"dropped_out", "failed", "retained"} and reaches_end:
        return "p_adverse"  # to the end of the generated year, when the window reaches it
    return None


def find_truth(folder: Path | None = None) -> Path | None:
    """The newest truth file `generate_district --load` left in var/truth, if any."""
    files = sorted(
        (folder or settings.VAR_DIR / "truth").glob("true_risk*.csv"),
        key=lambda p: p.stat().st_mtime,
    )
    return files[-1] if files else None


def backtest(
    *,
    train_as_of: list[dt.date],
    test_as_of: list[dt.date],
    horizon_days: int | None,
    outcomes=None,
    truth: Path | None = None,
    data_through: dt.date | None = None,
) -> dict:
    """Train on `train_as_of`, score `test_as_of`; the learned model, the ABC rules and (with a
    truth file) the true probabilities, overall and per grade band. Stores nothing."""
    outcomes = labels.adverse_outcomes(outcomes)
    covered = labels.covered_through(data_through)
    labels.check_windows_closed([*train_as_of, *test_as_of], horizon_days, covered)
    labels.check_validation_after_training(train_as_of, min(test_as_of), horizon_days)
    started = time.perf_counter()
    rows = labelled(train_as_of, horizon_days, outcomes)
    if rows["y"].sum() == 0:
        raise TrainingError(
            f"No adverse outcome {labels.describe(horizon_days)} after any training date."
        )
    tuning = in_tuning_half(rows["district_id"], share=0.2)
    tune, train = rows[tuning], rows[~tuning]
    fitted = fit(train, train["y"].to_numpy(), tune, tune["y"].to_numpy())
    trained = time.perf_counter() - started
    test = labelled(test_as_of, horizon_days, outcomes)
    y = test["y"].to_numpy()
    raw = fitted.raw(test)
    risk = fitted.calibration(raw)
    abc = baseline.score(test, baseline.fit(tune, tune["y"].to_numpy()))
    threshold = settings.EDUPULSE_RISK_CUTOFFS["high"]
    ties = (raw, district_hash(test["district_id"]))
    learned, rules = evaluate(y, risk, threshold, ties), evaluate(y, abc, threshold, ties)
    report = {
        "horizon_days": horizon_days,
        "label": f"an adverse outcome {labels.describe(horizon_days)}",
        "data_through": covered.isoformat(),
        "outcomes": list(outcomes),
        "train_as_of": [d.isoformat() for d in sorted(train_as_of)],
        "test_as_of": [d.isoformat() for d in sorted(test_as_of)],
        "training_samples": len(train),
        "tuning_samples": len(tune),
        "training_seconds": round(trained, 1),
        "rounds": fitted.booster.num_boosted_rounds(),
        "learned": _summary(learned),
        "baseline": _summary(rules),
        "by_grade_band": by_grade_band(test["grade_band"], y, risk, abc, threshold, ties),
        "ordering": ordering(raw, risk),
        "truth": None,
    }
    if truth and truth.exists():
        report["truth"] = _truth(truth, test, risk, abc, outcomes, horizon_days, covered)
    return rounded(report)


def _truth(path, test, risk, abc, outcomes, horizon_days, covered) -> dict:
    header = pd.read_csv(path, nrows=0).columns
    reaches_end = all(labels.window_end(d, horizon_days) >= covered for d in set(test["as_of"]))
    column = truth_column(header, outcomes, horizon_days, reaches_end)
    if column is None:
        return {
            "file": str(path),
            "column": None,
            "note": "no column of the truth file means the same as this label",
        }
    true = pd.read_csv(path, usecols=["district_id", "as_of", column])
    true["as_of"] = pd.to_datetime(true["as_of"]).dt.date
    keyed = test[["district_id", "as_of", "y"]].assign(risk=risk, abc=abc)
    keyed["grade_band"] = test["grade_band"].to_numpy()
    matched = keyed.merge(true, on=["district_id", "as_of"], how="inner")
    y = matched["y"].to_numpy()
    bands = {}
    for band, part in matched.groupby("grade_band"):
        bands[band] = {
            "rows": len(part),
            "positives": int(part["y"].sum()),
            "truth_auc": auc(part["y"].to_numpy(), part[column].to_numpy()),
            "learned_auc": auc(part["y"].to_numpy(), part["risk"].to_numpy()),
            "baseline_auc": auc(part["y"].to_numpy(), part["abc"].to_numpy()),
        }
    return {
        "by_grade_band": bands,
        "file": str(path),
        "column": column,
        "matched_rows": len(matched),
        "auc_roc": auc(y, matched[column].to_numpy()),
        "learned_auc_on_matched": auc(y, matched["risk"].to_numpy()),
        "baseline_auc_on_matched": auc(y, matched["abc"].to_numpy()),
        "mean_true_risk": float(np.mean(matched[column])) if len(matched) else None,
    }
