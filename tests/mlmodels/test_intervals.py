"""The model page's 95% intervals: Hanley-McNeil for AUC, Wilson for precision at k."""

import pytest

from mlmodels.intervals import auc_interval, top_k_rows, wilson_interval


def test_hanley_mcneil_matches_the_published_example():
    # Hanley & McNeil (1982), table: AUC 0.80 with 50 positives and 50 negatives: SE ~ 0.0447.
    low, high = auc_interval(0.8, 50, 50)
    assert (high - low) / 2 == pytest.approx(1.959964 * 0.0447, abs=0.002)


def test_the_auc_interval_narrows_with_more_positives_and_stays_in_0_1():
    few, many = auc_interval(0.9, 10, 500), auc_interval(0.9, 300, 5000)
    assert few[1] - few[0] > many[1] - many[0]
    assert auc_interval(0.99, 3, 10)[0] >= 0 and auc_interval(0.99, 3, 10)[1] <= 1
    assert auc_interval(0.8, 0, 10) is None


def test_wilson_matches_a_known_value_and_handles_the_edges():
    low, high = wilson_interval(8, 10)  # a textbook value: 0.490 to 0.943
    assert (round(low, 3), round(high, 3)) == (0.49, 0.943)
    assert wilson_interval(0, 20)[0] == 0 and wilson_interval(20, 20)[1] == 1
    assert wilson_interval(0, 0) is None


def test_top_k_rows_are_cut_as_the_metrics_cut_them():
    assert top_k_rows(0.05, 1500) == 75 and top_k_rows(0.05, 10) == 1
