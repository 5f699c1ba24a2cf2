"""Isotonic calibration, stored as plain numbers (no pickle) with the model.

Why isotonic (docs/model.md): it assumes only that a higher raw score never means a lower risk,
so it fixes any monotone distortion, where Platt scaling fits one sigmoid; with tens of
thousands of tuning rows it does not overfit. The fitted map is a step function; each step
keeps how many tuning rows it rests on, which the prediction's confidence uses.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression


@dataclass(frozen=True)
class Calibration:
    x: tuple[float, ...]  # raw scores where the map has a knot, increasing
    y: tuple[float, ...]  # calibrated risk at each knot
    n: tuple[int, ...]  # tuning rows whose raw score is closest to each knot

    @classmethod
    def fit(cls, raw: np.ndarray, y: np.ndarray) -> "Calibration":
        model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        model.fit(raw, y)
        knots_x = np.asarray(model.X_thresholds_, dtype=float)
        knots_y = np.asarray(model.y_thresholds_, dtype=float)
        nearest = _nearest(knots_x, raw)
        counts = np.bincount(nearest, minlength=len(knots_x))
        return cls(tuple(knots_x.round(7)), tuple(knots_y.round(7)), tuple(int(c) for c in counts))

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        return np.interp(raw, self.x, self.y)

    def support(self, raw: np.ndarray) -> np.ndarray:
        """How many tuning rows back the calibrated value of each raw score."""
        return np.asarray(self.n)[_nearest(np.asarray(self.x), raw)]

    def to_json(self) -> dict:
        return {"method": "isotonic", "x": list(self.x), "y": list(self.y), "n": list(self.n)}

    @classmethod
    def from_json(cls, data: dict) -> "Calibration":
        return cls(tuple(data["x"]), tuple(data["y"]), tuple(data["n"]))


def _nearest(knots: np.ndarray, values: np.ndarray) -> np.ndarray:
    right = np.searchsorted(knots, values).clip(1, max(len(knots) - 1, 1))
    left = right - 1
    if len(knots) == 1:
        return np.zeros(len(values), dtype=int)
    closer_left = np.abs(values - knots[left]) <= np.abs(knots[right] - values)
    return np.where(closer_left, left, right)
