"""The research baseline: the "ABC" early-warning rules (Attendance, Behavior, Course performance).

A student is flagged on each indicator the research on early warning systems uses:
- A: attendance below 90% this school year (attendance_rate_ytd < 0.90: chronic absence);
- B: behavior: two or more discipline incidents, or any of severity 3 or more, in 90 days;
- C: course performance: failing any course, or a GPA below 2.0.
(The numbers are the defaults of the district's settings, `thresholds()`.)
The risk is a function of how many indicators are on (0-3): the outcome rate of students with
that many flags in the tuning rows when trained on history (`fit`), otherwise the defaults
below. Registered as a model version of type `abc_rules`, so a district with no training history
still gets scores, categories and explained factors from day one.
"""

import numpy as np
import pandas as pd

from mlmodels.explain import factor

MODEL_TYPE = "abc_rules"
VERSION = "abc-rules-v1"
# P(adverse outcome) by number of indicators on, before any local history is known: the rough
# shape of the early-warning literature (each indicator about doubles the risk).
DEFAULT_RISK_BY_FLAGS = (0.04, 0.12, 0.30, 0.55)
SEVERITIES = [f"incidents_90d_severity_{level}" for level in range(1, 6)]
INPUTS = ("attendance_rate_ytd", *SEVERITIES, "courses_failing", "gpa_current")  # of the rules


def thresholds() -> dict:
    """The district's cut-offs of the three indicators, for rules and for pages that explain them:
    attendance below `attendance_below` (a rate 0-1); `incidents_at_least` incidents in 90 days or
    any of severity `severity_at_least` or more; a GPA below `gpa_below` or any failing course."""
    return {
        "attendance_below": 0.90,
        "incidents_at_least": 2,
        "severity_at_least": 3,
        "gpa_below": 2.0,
    }


def indicators(rows: pd.DataFrame) -> pd.DataFrame:
    """Three booleans per row: attendance, behavior, course (a missing value is not a flag)."""
    columns = {name: rows[name].to_numpy(dtype=float) for name in INPUTS}
    return pd.DataFrame(indicator_arrays(columns), index=rows.index)


def indicator_arrays(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`indicators` on plain float arrays (NaN: missing), one per name of INPUTS: the rules
    themselves, without pandas, so a page judging a few students does not pay for a frame."""
    cut = thresholds()
    severities = np.nan_to_num(np.vstack([columns[name] for name in SEVERITIES]))
    serious = severities[cut["severity_at_least"] - 1 :]
    with np.errstate(invalid="ignore"):  # NaN compares False: missing is not a flag
        return {
            "attendance": columns["attendance_rate_ytd"] < cut["attendance_below"],
            "behavior": (severities.sum(axis=0) >= cut["incidents_at_least"])
            | (serious.sum(axis=0) > 0),
            "course": (columns["courses_failing"] >= 1)
            | (columns["gpa_current"] < cut["gpa_below"]),
        }


def flag_counts(rows: pd.DataFrame) -> np.ndarray:
    return indicators(rows).sum(axis=1).to_numpy(dtype=int)


def fit(rows: pd.DataFrame, y: np.ndarray) -> tuple[float, ...]:
    """The observed outcome rate at each flag count (smoothed toward the default, and kept
    increasing), for judging the rules on the same footing as a calibrated model."""
    counts = flag_counts(rows)
    rates = []
    for k, prior in enumerate(DEFAULT_RISK_BY_FLAGS):
        members = y[counts == k]
        rates.append((members.sum() + 10 * prior) / (len(members) + 10))
    return tuple(round(float(r), 5) for r in np.maximum.accumulate(rates))


def score(rows: pd.DataFrame, risk_by_flags=DEFAULT_RISK_BY_FLAGS) -> np.ndarray:
    return np.asarray(risk_by_flags, dtype=float)[flag_counts(rows)]


def factors(rows: pd.DataFrame) -> list[list[dict]]:
    """The indicators that are on, as factors of equal weight, with the student's numbers."""
    flags = indicators(rows)
    out = []
    # Plain dicts, not iterrows(): a Series per row would cost seconds for a district's cohort.
    records = rows.to_dict("records")
    serious_levels = SEVERITIES[thresholds()["severity_at_least"] - 1 :]
    for row, on in zip(records, flags.to_dict("records"), strict=True):
        names = []
        if on["attendance"]:
            names.append("attendance_rate_ytd")
        if on["course"]:
            names.append("courses_failing" if row["courses_failing"] >= 1 else "gpa_current")
        if on["behavior"]:
            serious = [s for s in serious_levels if row[s] > 0]
            names.append(serious[-1] if serious else "incidents_ytd")
        out.append([factor(n, row[n], 1 / len(names)) for n in names])
    return out
