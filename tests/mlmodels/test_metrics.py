"""Metrics, calibration and the fairness audit on hand-made cases with known answers."""

import numpy as np
import pandas as pd
import pytest

from mlmodels.calibration import Calibration
from mlmodels.fairness import audit
from mlmodels.metrics import calibration_bins, evaluate, expected_calibration_error, top_k


def test_precision_and_recall_at_the_top_share_of_students():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1] * 2)  # 20 rows, 6 positives
    p = np.linspace(1, 0, 20)  # row order is risk order
    precision, recall = top_k(y, p)
    assert precision == {"k5": 1.0, "k10": 0.5, "k20": 0.5}  # top 1, 2 and 4 rows
    assert recall == {"k5": pytest.approx(1 / 6), "k10": pytest.approx(1 / 6),
                      "k20": pytest.approx(2 / 6)}  # fmt: skip


def test_expected_calibration_error_on_a_known_case():
    # Two bins of 5: predicted 0.2 with 1/5 observed, predicted 0.8 with 3/5 observed.
    p = np.array([0.2] * 5 + [0.8] * 5)
    y = np.array([1, 0, 0, 0, 0, 1, 1, 1, 0, 0])
    assert calibration_bins(y, p, bins=2) == [
        {"predicted": 0.2, "observed": 0.2, "n": 5},
        {"predicted": 0.8, "observed": 0.6, "n": 5},
    ]
    # With 10 bins of one row each: mean |p - y| = (0.2*4 + 0.8 + 0.2*3 + 0.8*2) / 10
    assert expected_calibration_error(y, p) == pytest.approx((0.8 + 0.8 + 0.6 + 1.6) / 10)


def test_evaluate_names_the_documents_metrics():
    rng = np.random.default_rng(1)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)
    metrics = evaluate(y, p, threshold=0.5)
    assert 0.7 < metrics["auc_roc"] < 0.9
    assert {"accuracy", "precision", "recall", "f1_score", "validation_loss", "brier_score",
            "ece", "precision_at_k", "recall_at_k"} <= set(metrics)  # fmt: skip
    assert metrics["ece"] < 0.06  # p is the true probability: calibrated up to noise


def test_isotonic_calibration_recovers_a_known_distortion():
    """Raw scores s where the true risk is s**2: after calibration a 0.3 means about 30%."""
    rng = np.random.default_rng(4)
    raw = rng.random(40_000)
    y = (rng.random(40_000) < raw**2).astype(int)
    calibration = Calibration.fit(raw, y)
    grid = np.linspace(0.05, 0.95, 19)
    assert np.abs(calibration(grid) - grid**2).max() < 0.05
    assert expected_calibration_error(y, raw) > 0.1  # uncalibrated: far off
    fresh = rng.random(40_000)
    y_fresh = (rng.random(40_000) < fresh**2).astype(int)
    calibrated = calibration(fresh)
    assert expected_calibration_error(y_fresh, calibrated) < 0.02
    near = np.abs(calibrated - 0.3) < 0.03
    assert y_fresh[near].mean() == pytest.approx(0.3, abs=0.04)
    # Stored as plain numbers, and restored to the same function.
    assert Calibration.from_json(calibration.to_json())(grid).tolist() == calibration(grid).tolist()
    assert calibration.support(grid).min() >= 1


def test_the_fairness_table_on_a_hand_made_case():
    # Group A (60): 10 positives; flagged: 8 of the positives and 5 negatives.
    # Group B (40): 10 positives; flagged: 5 of the positives and 10 negatives.
    # Group C (10): too small to judge.
    def group(name, n, positives, flagged_pos, flagged_neg):
        y = [1] * positives + [0] * (n - positives)
        flagged = ([1] * flagged_pos + [0] * (positives - flagged_pos)
                   + [1] * flagged_neg + [0] * (n - positives - flagged_neg))  # fmt: skip
        return [name] * n, y, flagged

    parts = [group("A", 60, 10, 8, 5), group("B", 40, 10, 5, 10), group("C", 10, 5, 0, 0)]
    names = [v for p in parts for v in p[0]]
    y = [v for p in parts for v in p[1]]
    flagged = [v for p in parts for v in p[2]]
    table = audit(pd.DataFrame({"gender": names}), y, flagged)["gender"]
    a, b, c = table
    assert [row["group"] for row in table] == ["A", "B", "C"]  # largest group first
    assert a == {
        "group": "A", "n": 60, "base_rate": pytest.approx(10 / 60),
        "flagged_rate": pytest.approx(13 / 60), "false_positive_rate": pytest.approx(5 / 50),
        "false_negative_rate": pytest.approx(2 / 10), "precision": pytest.approx(8 / 13),
        "ratios": {"flagged_rate": 1.0, "false_positive_rate": 1.0, "false_negative_rate": 1.0,
                   "precision": 1.0},
        "too_small": False, "flagged": [],
    }  # fmt: skip
    assert b["flagged_rate"] == pytest.approx(15 / 40)
    assert b["ratios"] == {
        "flagged_rate": round((15 / 40) / (13 / 60), 3),  # 1.731
        "false_positive_rate": round((10 / 30) / (5 / 50), 3),  # 3.333
        "false_negative_rate": round((5 / 10) / (2 / 10), 3),  # 2.5
        "precision": round((5 / 15) / (8 / 13), 3),  # 0.542
    }
    assert b["flagged"] == ["flagged_rate", "false_positive_rate", "false_negative_rate",
                            "precision"]  # fmt: skip
    assert c["too_small"] is True and c["flagged"] == []
    assert c["precision"] is None  # nobody flagged: undefined, not 0
