"""95% intervals for the model page's figures, from the counts the metrics keep: plain Python,
no ORM, no data rows needed (a model's stored metrics hold the counts, not the rows).

- AUC: Hanley & McNeil (1982), the standard error of the area under the ROC curve from the AUC
  and the numbers of positives and negatives, with a normal 95% interval clipped to [0, 1].
- A proportion (precision at k): Wilson's score interval, which stays inside [0, 1] and behaves
  with few rows or a proportion near 0 or 1.
"""

import math

Z95 = 1.959964


def auc_interval(auc: float, positives: int, negatives: int) -> tuple[float, float] | None:
    """Hanley-McNeil 95% interval of an AUC; None without positives and negatives."""
    if positives < 1 or negatives < 1 or not 0 <= auc <= 1:
        return None
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)
    ) / (positives * negatives)
    se = math.sqrt(max(variance, 0.0))
    return max(0.0, auc - Z95 * se), min(1.0, auc + Z95 * se)


def wilson_interval(successes: int, n: int) -> tuple[float, float] | None:
    """Wilson score 95% interval of successes / n; None for n = 0."""
    if n < 1:
        return None
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def top_k_rows(share: float, rows: int) -> int:
    """The number of rows in the top `share` of `rows`, as mlmodels.metrics.top_k cuts them."""
    return max(1, math.ceil(share * rows))
