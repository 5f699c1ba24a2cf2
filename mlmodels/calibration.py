"""Calibration that keeps the model's order, stored as plain numbers (no pickle) with the model.

Why (docs/model.md, "Calibration"): isotonic regression assumes only that a higher raw score
never means a lower risk, so it fixes any monotone distortion; but it is a step function, and a
step gives every student on it the same score: with a rare outcome a whole cohort collapses into
a handful of values, ordering within a category becomes arbitrary, and on a small tuning set it
can map everyone to one value. So the stored map is:

- the isotonic fit's blocks, each placed at the mean raw score of the tuning rows it pools, and
  joined by straight lines (strictly increasing between the first and last block); beyond the
  outermost blocks' centres, where isotonic regression is flat, the map follows the Platt
  curve's rise from there, so the riskiest students are not all given the top block's value;
- blended with a Platt map (a logistic curve on the logit of the raw score, fitted to the same
  tuning rows), weighted by how little evidence the tuning set has: PLATT_EVIDENCE / positives,
  between PLATT_MIN_WEIGHT and 1. The Platt curve is strictly increasing and never reaches 0 or 1,
  so neither does the blend, and two raw scores the model separates keep their order;
- each block keeps how many tuning rows it rests on, which the prediction's confidence uses.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

PLATT_EVIDENCE = 20.0  # with this many positives or fewer the map is Platt's alone
PLATT_MIN_WEIGHT = 0.02  # enough to order students on a flat stretch of the isotonic fit
EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Calibration:
    x: tuple[float, ...]  # raw scores of the isotonic blocks' centres, increasing
    y: tuple[float, ...]  # calibrated risk of each block
    n: tuple[int, ...]  # tuning rows in each block
    platt: tuple[float, float] = (1.0, 0.0)  # slope, intercept on the logit of the raw score
    platt_weight: float = 0.0

    @classmethod
    def fit(cls, raw: np.ndarray, y: np.ndarray) -> "Calibration":
        raw = np.asarray(raw, dtype=float)
        y = np.asarray(y, dtype=float)
        model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        fitted = model.fit_transform(raw, y)
        # Blocks: runs of tuning rows (in raw order) with the same fitted value.
        order = np.argsort(raw, kind="stable")
        values = fitted[order]
        starts = np.flatnonzero(np.r_[True, np.diff(values) != 0])
        sizes = np.diff(np.r_[starts, len(values)])
        centres = np.add.reduceat(raw[order], starts) / sizes
        positives = float(y.sum())
        if 0 < positives < len(y):
            logistic = LogisticRegression(C=1e6).fit(_logit(raw)[:, None], y.astype(int))
            platt = (float(logistic.coef_[0, 0]), float(logistic.intercept_[0]))
        else:
            platt = (1.0, 0.0)  # one class only: the raw score itself, still in order
        weight = float(np.clip(PLATT_EVIDENCE / max(positives, 1.0), PLATT_MIN_WEIGHT, 1.0))
        return cls(
            tuple(centres.round(9)),
            tuple(values[starts].round(9)),
            tuple(int(s) for s in sizes),
            (round(platt[0], 9), round(platt[1], 9)),
            round(weight, 6),
        )

    def platt_map(self, raw: np.ndarray) -> np.ndarray:
        slope, intercept = self.platt
        return 1.0 / (1.0 + np.exp(-(slope * _logit(raw) + intercept)))

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=float)
        isotonic = np.interp(raw, self.x, self.y)
        platt = self.platt_map(raw)
        if self.platt_weight > 0:  # not for a plain isotonic map stored by an earlier version
            edges = np.array([self.x[0], self.x[-1]])
            low_edge, high_edge = self.platt_map(edges)
            isotonic = np.where(raw > edges[1], isotonic + platt - high_edge, isotonic)
            isotonic = np.where(raw < edges[0], isotonic + platt - low_edge, isotonic)
        blended = (1 - self.platt_weight) * isotonic + self.platt_weight * platt
        return np.clip(blended, EPS, 1 - EPS)

    def support(self, raw: np.ndarray) -> np.ndarray:
        """How many tuning rows back the calibrated value of each raw score: those of the
        nearest block, fewer beyond the outermost blocks' centres (extrapolation)."""
        raw = np.asarray(raw, dtype=float)
        knots = np.asarray(self.x)
        counts = np.asarray(self.n, dtype=float)
        support = counts[_nearest(knots, raw)]
        # Beyond the last (or first) centre half of its block lies on the other side.
        outside = (raw > knots[-1]) | (raw < knots[0])
        return np.where(outside, np.maximum(support / 2, 1), support)

    def to_json(self) -> dict:
        return {
            "method": "isotonic+platt",
            "x": list(self.x),
            "y": list(self.y),
            "n": list(self.n),
            "platt": list(self.platt),
            "platt_weight": self.platt_weight,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Calibration":
        return cls(
            tuple(data["x"]),
            tuple(data["y"]),
            tuple(data["n"]),
            tuple(data.get("platt", (1.0, 0.0))),
            float(data.get("platt_weight", 0.0)),
        )


def _nearest(knots: np.ndarray, values: np.ndarray) -> np.ndarray:
    right = np.searchsorted(knots, values).clip(1, max(len(knots) - 1, 1))
    left = right - 1
    if len(knots) == 1:
        return np.zeros(len(values), dtype=int)
    closer_left = np.abs(values - knots[left]) <= np.abs(knots[right] - values)
    return np.where(closer_left, left, right)
