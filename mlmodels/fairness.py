"""The fairness audit of a model version on its evaluation rows (docs/model.md, "Fairness").

For each audited attribute (gender, ethnicity, socioeconomic status, grade band) and each group:
size, base rate, flagged rate, false positive rate, false negative rate and precision, and each
rate's ratio to the largest group's. A ratio outside 0.8-1.25 (the "four-fifths rule" and its
inverse) is flagged as a disparity; a group under 30 students is marked too small to judge and
never flagged.
"""

import numpy as np
import pandas as pd

RATES = ("flagged_rate", "false_positive_rate", "false_negative_rate", "precision")
LOW, HIGH = 0.8, 1.25
MIN_GROUP = 30


def _rate(hits: int, of: int) -> float | None:
    return None if of == 0 else hits / of


def group_rates(y: np.ndarray, flagged: np.ndarray) -> dict:
    positives, negatives = int(y.sum()), int((1 - y).sum())
    return {
        "n": len(y),
        "base_rate": _rate(positives, len(y)),
        "flagged_rate": _rate(int(flagged.sum()), len(y)),
        "false_positive_rate": _rate(int((flagged & (y == 0)).sum()), negatives),
        "false_negative_rate": _rate(int((~flagged & (y == 1)).sum()), positives),
        "precision": _rate(int((flagged & (y == 1)).sum()), int(flagged.sum())),
    }


def audit(groups: pd.DataFrame, y, flagged) -> dict[str, list[dict]]:
    """{attribute: [row per group, largest group first]} for every column of `groups`."""
    y = np.asarray(y, dtype=int)
    flagged = np.asarray(flagged, dtype=bool)
    report = {}
    for attribute in groups.columns:
        values = groups[attribute].astype(str).to_numpy()
        names, sizes = np.unique(values, return_counts=True)
        rows = []
        for name in names[np.argsort(-sizes, kind="stable")]:
            member = values == name
            rows.append({"group": str(name), **group_rates(y[member], flagged[member])})
        reference = rows[0]
        for row in rows:
            row["ratios"] = {}
            for rate in RATES:
                mine, theirs = row[rate], reference[rate]
                row["ratios"][rate] = (
                    None if mine is None or not theirs else round(mine / theirs, 3)
                )
            row["too_small"] = row["n"] < MIN_GROUP
            row["flagged"] = (
                []
                if row["too_small"]
                else [
                    rate
                    for rate, ratio in row["ratios"].items()
                    if ratio is not None and not LOW <= ratio <= HIGH
                ]
            )
        report[attribute] = rows
    return report
