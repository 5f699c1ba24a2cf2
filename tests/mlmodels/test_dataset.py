"""The model's rows: where a kind of record was expected of a student."""

import datetime as dt

import numpy as np
import pandas as pd

from mlmodels.dataset import expected_records

T = dt.date(2025, 10, 5)


def test_a_school_that_sends_no_attendance_expects_none_of_its_students():
    rows = pd.DataFrame(
        {
            "as_of": [T, T, T, T, T + dt.timedelta(days=7)],
            "school_on_t": ["North", "North", "South", None, "South"],
            "attendance_rate_ytd": [0.9, np.nan, np.nan, np.nan, 0.8],
            "gpa_current": [3.0, 2.0, np.nan, np.nan, 1.0],
        }
    )
    expected = expected_records(rows)
    # North sends attendance (one student has none: expected, so it is missing); South sent
    # none on T (not expected) but did a week later; a student without a school: expected.
    assert expected["attendance"].tolist() == [True, True, False, True, True]
    assert expected["gpa"].tolist() == [True, True, False, True, True]
