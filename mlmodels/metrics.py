"""How good a set of risk scores is, against what happened (docs/model.md, "Metrics").

Every function takes y (1 = adverse outcome within the horizon) and p (the calibrated risk) as
arrays of the same rows. "Flagged" means a risk at or above the model's high cut-off: the
students the dashboards list as high or critical.
"""

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score

K_SHARES = {"k5": 0.05, "k10": 0.10, "k20": 0.20}
CALIBRATION_BINS = 10


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else float(a / b)


def auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Area under the ROC curve; None when only one class is present."""
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None


def ranking(p: np.ndarray, tiebreak: tuple[np.ndarray, ...] = ()) -> np.ndarray:
    """Row positions, highest risk first; equal risks by each `tiebreak` key in turn (higher
    first), then by position. Callers pass the raw score and a stable hash of the district id,
    so a tie never falls to import order."""
    keys = [np.arange(len(p))] + [-np.asarray(k, dtype=float) for k in reversed(tiebreak)]
    return np.lexsort([*keys, -p])


def top_k(y: np.ndarray, p: np.ndarray, tiebreak: tuple[np.ndarray, ...] = ()) -> tuple[dict, dict]:
    """(precision, recall) among the top 5/10/20% of rows by risk, ties broken by `ranking`,
    so the top k% is exactly ceil(k% of n) rows."""
    order = ranking(p, tiebreak)
    positives = y.sum()
    precision, recall = {}, {}
    for key, share in K_SHARES.items():
        top = y[order[: max(1, int(np.ceil(share * len(y))))]]
        precision[key] = float(top.mean())
        recall[key] = _ratio(top.sum(), positives)
    return precision, recall


def calibration_bins(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict]:
    """Rows sorted by risk and cut into `bins` groups of equal size (equal-mass bins: with a
    rare outcome, equal-width bins would put nearly every row in the first): each bin's mean
    predicted risk, observed rate and size."""
    order = np.argsort(p, kind="stable")
    out = []
    for part in np.array_split(order, min(bins, len(order))):
        if len(part):
            out.append(
                {
                    "predicted": round(float(p[part].mean()), 5),
                    "observed": round(float(y[part].mean()), 5),
                    "n": len(part),
                }
            )
    return out


def expected_calibration_error(y: np.ndarray, p: np.ndarray) -> float:
    """Sum over the calibration bins of (bin share) x |mean predicted - observed rate|."""
    n = len(y)
    return float(
        sum(b["n"] / n * abs(b["predicted"] - b["observed"]) for b in calibration_bins(y, p))
    )


def classification(y: np.ndarray, flagged: np.ndarray) -> dict:
    tp = int((flagged & (y == 1)).sum())
    fp = int((flagged & (y == 0)).sum())
    fn = int((~flagged & (y == 1)).sum())
    tn = int((~flagged & (y == 0)).sum())
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = None if not precision or not recall else 2 * precision * recall / (precision + recall)
    return {
        "accuracy": _ratio(tp + tn, len(y)),
        "precision": precision,
        "recall": recall,
        "f1_score": f1,
    }


# A figure resting on fewer positives than this is marked as such (pages and reports).
FEW_POSITIVES = 30


def evaluate(y, p, threshold: float, tiebreak: tuple[np.ndarray, ...] = ()) -> dict:
    """All of a model's numbers on these rows (the schema document's keys and more)."""
    y = np.asarray(y, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    precision_at_k, recall_at_k = top_k(y, p, tiebreak)
    return {
        **classification(y, p >= threshold),
        "auc_roc": auc(y, p),
        "precision_at_k": precision_at_k,
        "recall_at_k": recall_at_k,
        "validation_loss": float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])),
        "brier_score": float(np.mean((p - y) ** 2)),
        "ece": expected_calibration_error(y, p),
        "base_rate": float(y.mean()) if len(y) else None,
        "n": len(y),
        "positives": int(y.sum()),
        "threshold": threshold,
        "calibration": {"bins": calibration_bins(y, p)},
    }


def rounded(metrics, digits: int = 4):
    """The same structure with floats rounded, for storing and printing."""
    if isinstance(metrics, dict):
        return {k: rounded(v, digits) for k, v in metrics.items()}
    if isinstance(metrics, list):
        return [rounded(v, digits) for v in metrics]
    if isinstance(metrics, float):
        return round(metrics, digits)
    return metrics
