"""Calibration keeps the model's order and never claims certainty."""

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from mlmodels.calibration import Calibration
from mlmodels.metrics import expected_calibration_error
from mlmodels.scoring import confidence


def _tuning(n: int, positives: int, seed: int = 3):
    rng = np.random.default_rng(seed)
    raw = np.sort(rng.random(n)) * 0.2
    y = np.zeros(n, dtype=int)
    y[rng.choice(np.arange(n // 2, n), positives, replace=False)] = 1
    return raw, y


def test_a_few_positives_still_give_every_student_a_distinct_score_in_the_same_order():
    raw, y = _tuning(500, positives=4)
    calibration = Calibration.fit(raw, y)
    scores = calibration(raw)
    # Plain isotonic regression puts these 500 students on a handful of steps.
    assert len(np.unique(np.round(np.interp(raw, *_isotonic(raw, y)), 9))) < 10
    assert len(np.unique(scores)) == len(raw)
    assert kendalltau(raw, scores).statistic > 0.999
    assert np.all(np.diff(scores) > 0)


def test_no_score_is_exactly_0_or_1():
    raw = np.array([0.0, 0.001, 0.5, 0.999, 1.0])
    calibration = Calibration.fit(raw, np.array([0, 0, 0, 1, 1]))
    scores = calibration(raw)
    assert np.all((scores > 0) & (scores < 1))


def test_with_many_positives_the_scores_are_calibrated():
    rng = np.random.default_rng(5)
    raw = rng.random(20_000)
    truth = 0.02 + 0.4 * raw**3  # a distorted raw score: the map must undo the distortion
    y = (rng.random(len(raw)) < truth).astype(int)
    calibration = Calibration.fit(raw, y)
    assert calibration.platt_weight == 0.02
    assert expected_calibration_error(y, calibration(raw)) < 0.01
    assert np.abs(calibration(raw) - truth).mean() < 0.015


def test_it_survives_a_round_trip_through_json():
    raw, y = _tuning(300, positives=30)
    calibration = Calibration.fit(raw, y)
    again = Calibration.from_json(calibration.to_json())
    assert np.allclose(again(raw), calibration(raw))


def test_confidence_is_lower_where_few_tuning_students_back_a_score():
    quality = np.ones(2)
    trust = confidence(np.array([0.001, 0.001]), np.array([3, 3000]), pd.Series(quality))
    assert trust[0] < 0.8 < trust[1]


def _isotonic(raw, y):
    from sklearn.isotonic import IsotonicRegression

    model = IsotonicRegression(out_of_bounds="clip").fit(raw, y)
    return model.X_thresholds_, model.y_thresholds_


def test_the_riskiest_students_are_not_all_given_the_top_blocks_value():
    rng = np.random.default_rng(8)
    raw = rng.random(5000)
    y = (rng.random(len(raw)) < 0.02 + 0.5 * raw**4).astype(int)
    calibration = Calibration.fit(raw, y)
    top = np.linspace(calibration.x[-1], 1.0, 5)
    scores = calibration(top)
    # Beyond the last block's centre isotonic regression is flat; the map keeps rising.
    assert np.all(np.diff(scores) > 0.002)
    assert scores[-1] < 1
