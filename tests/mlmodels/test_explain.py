"""Risk factors and their wording; the ABC rules."""

import numpy as np
import pandas as pd
import pytest

from analytics.models import DistrictSettings
from mlmodels import baseline
from mlmodels.dataset import MODEL_INPUTS
from mlmodels.explain import FACTORS, MISSING, concerning, factor, from_contributions
from tests.mlmodels.history import features

# The factors' words and the school year read the district settings from the database.
pytestmark = pytest.mark.django_db


def _row(**values) -> np.ndarray:
    named = features(**values)["features"]
    named["grade_level"] = 10.0
    return np.array([[np.nan if named[n] is None else named[n] for n in MODEL_INPUTS]])


def _contributions(**pushes) -> np.ndarray:
    row = np.zeros((1, len(MODEL_INPUTS) + 1))
    for name, value in pushes.items():
        row[0, MODEL_INPUTS.index(name)] = value
    row[0, -1] = -3.0  # the bias: never a factor
    return row


def test_factors_are_the_features_pushing_risk_up_strongest_first():
    values = _row(absences_30d=9.0, courses_failing=2.0, attendance_rate_30d=0.62)
    contributions = _contributions(
        absences_30d=0.9, courses_failing=0.6, attendance_rate_30d=0.3,
        gpa_current=-0.8,  # lowers the risk: not a factor
        tardies_30d=0.005,  # too small to be a reason
        grade_level=1.5, data_quality=0.4,  # not about what the student does
    )  # fmt: skip
    (factors,) = from_contributions(contributions, values, MODEL_INPUTS)
    assert [f["factor"] for f in factors] == ["absences_30d", "courses_failing",
                                              "attendance_rate_30d"]  # fmt: skip
    assert [f["weight"] for f in factors] == [0.5, pytest.approx(0.3333, abs=1e-4),
                                              pytest.approx(0.1667, abs=1e-4)]  # fmt: skip
    assert factors[0] == {
        "factor": "absences_30d",
        "label": "Days absent, last 30 days",
        "weight": 0.5,
        "value": 9.0,
        "description": "Missed 9 school days in the last 30 days",
        "recommendation": FACTORS["absences_30d"][1],
    }
    assert factors[1]["description"] == "Is failing 2 courses (average below 60)"
    assert factors[2]["description"] == "Attended 62% of class time in the last 30 days"


def test_at_most_five_factors():
    pushes = {name: 0.1 * (i + 1) for i, name in enumerate(list(FACTORS)[:8])}
    assert list(pushes)[2:6] == ["absences_30d", "excused_absences_30d", "tardies_30d",
                                 "longest_absence_streak"]  # fmt: skip
    values = _row(absences_30d=3.0, excused_absences_30d=1.0, tardies_30d=2.0,
                  longest_absence_streak=2.0, gpa_change_6w=-0.4)  # fmt: skip
    (factors,) = from_contributions(_contributions(**pushes), values, MODEL_INPUTS)
    assert len(factors) == 5
    assert factors[0]["factor"] == list(FACTORS)[7]


def test_a_push_on_a_value_that_states_no_concern_is_not_a_factor():
    # An ordinary student whose other numbers the model finds worse than usual: no tardies, no
    # incident in a year, at the usual age for the grade, GPA up, enrolled from the start.
    values = _row(tardies_30d=0.0, overage_years=0.2, gpa_change_6w=0.3, mid_year_entry=0.0,
                  incidents_ytd=0.0, days_since_last_incident=None, absences_30d=4.0)  # fmt: skip
    contributions = _contributions(
        tardies_30d=0.5, overage_years=0.4, gpa_change_6w=0.3, mid_year_entry=0.3,
        incidents_ytd=0.2, days_since_last_incident=0.2, absences_30d=0.1,
    )  # fmt: skip
    (factors,) = from_contributions(contributions, values, MODEL_INPUTS)
    assert [(f["factor"], f["weight"]) for f in factors] == [("absences_30d", 1.0)]


def test_the_same_features_are_factors_where_the_students_values_are_concerning():
    values = _row(tardies_30d=3.0, overage_years=1.5, gpa_change_6w=-0.3, mid_year_entry=1.0,
                  incidents_ytd=2.0, days_since_last_incident=12.0)  # fmt: skip
    contributions = _contributions(
        tardies_30d=0.5, overage_years=0.4, gpa_change_6w=0.3, mid_year_entry=0.2,
        incidents_ytd=0.1, days_since_last_incident=0.05,
    )  # fmt: skip
    (factors,) = from_contributions(contributions, values, MODEL_INPUTS)
    assert [f["description"] for f in factors] == [
        "Arrived late on 3 days in the last 30 days",
        "Is 1.5 years older than usual for the grade",
        "GPA changed by -0.30 over the last 6 weeks",
        "Joined the school during the school year",
        "Had 2 discipline incidents this school year",
    ]


def test_missing_records_are_a_factor_with_what_to_check():
    values = _row(attendance_rate_30d=None, lowest_course_average=None)
    contributions = _contributions(attendance_rate_30d=0.6, lowest_course_average=0.4)
    (factors,) = from_contributions(contributions, values, MODEL_INPUTS)
    assert [(f["description"], f["recommendation"], f["value"]) for f in factors] == [
        ("No attendance recorded in the last 30 days", MISSING["attendance"], None),
        ("No grades recorded this school year", MISSING["gpa"], None),
    ]


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("absences_30d", 1.0, "Missed 1 school day in the last 30 days"),
        ("longest_absence_streak", 6.0, "Missed 6 school days in a row this school year"),
        ("tardies_30d", 4.0, "Arrived late on 4 days in the last 30 days"),
        ("gpa_change_6w", -0.8, "GPA changed by -0.80 over the last 6 weeks"),
        ("incidents_90d_severity_4", 1.0, "Had 1 severity-4 incident in the last 90 days"),
        ("missing_assignments_30d", 3.0, "Did not hand in 3 assignments in the last 30 days"),
        ("days_since_last_incident", 12.0, "Had a discipline incident 12 days ago"),
        ("overage_years", 1.4, "Is 1.4 years older than usual for the grade"),
        ("gpa_current", None, "No grades recorded this school year"),
    ],
)
def test_descriptions_use_the_students_own_numbers(name, value, words):
    assert factor(name, value, 1.0)["description"] == words


def test_every_model_input_but_the_non_factors_has_words_and_demographics_are_no_input():
    assert set(MODEL_INPUTS) - set(FACTORS) == {"grade_level", "weeks_of_data", "data_quality"}
    assert not {"gender", "ethnicity", "socioeconomic_status"} & set(MODEL_INPUTS)


def _rows(*docs) -> pd.DataFrame:
    return pd.DataFrame([features(**d)["features"] for d in docs])


def test_the_abc_rules_flag_attendance_behavior_and_course_performance():
    rows = _rows(
        {},  # on track
        {"attendance_rate_ytd": 0.89},  # A
        {"incidents_90d_severity_1": 1.0, "incidents_90d_severity_2": 1.0},  # B: two incidents
        {"incidents_90d_severity_3": 1.0},  # B: one serious incident
        {"incidents_90d_severity_1": 1.0},  # one minor incident: no flag
        {"courses_failing": 1.0},  # C
        {"gpa_current": 1.9},  # C
        {"attendance_rate_ytd": 0.5, "courses_failing": 2.0, "incidents_90d_severity_5": 1.0},
        {"attendance_rate_ytd": None, "gpa_current": None, "courses_failing": None},  # unknown
    )
    assert baseline.flag_counts(rows).tolist() == [0, 1, 1, 1, 0, 1, 1, 3, 0]
    assert baseline.score(rows).tolist()[:2] == [0.04, 0.12]
    factors = baseline.factors(rows)
    assert factors[0] == []
    assert [f["factor"] for f in factors[7]] == [
        "attendance_rate_ytd", "courses_failing", "incidents_90d_severity_5"
    ]  # fmt: skip
    assert factors[7][0]["description"] == "Attended 50% of class time this school year"
    assert factors[7][0]["weight"] == pytest.approx(1 / 3, abs=1e-4)
    assert factors[6][0]["factor"] == "gpa_current"


def test_the_abc_risk_per_flag_count_learned_from_history_never_decreases():
    rows = _rows({}, {}, {"attendance_rate_ytd": 0.8}, {"courses_failing": 1.0})
    learned = baseline.fit(pd.concat([rows] * 50), np.array([0, 1, 1, 0] * 50))
    assert list(learned) == sorted(learned)
    assert learned[0] == pytest.approx((50 + 10 * 0.04) / 110, abs=1e-4)


def test_a_missing_value_reads_as_missing_whatever_its_number_type():
    for missing in (None, float("nan"), np.float32("nan"), np.float64("nan")):
        assert factor("gpa_change_ytd", missing, 0.5)["value"] is None
        words = factor("gpa_change_ytd", missing, 0.5)["description"]
        assert words == "No grades from the first 4 weeks of the school year, so no change since"


def test_a_short_grade_history_is_not_a_factor_and_says_what_is_missing():
    """Grades, but none older than 6 weeks: the missing 6-week change is no reason to act, and
    its words say what is missing rather than a code name."""
    assert factor("gpa_change_6w", None, 0.5)["description"] == (
        "No grades older than 6 weeks this school year, so no 6-week change"
    )
    assert not concerning("gpa_change_6w", np.array([np.nan]))[0]
    assert concerning("gpa_current", np.array([np.nan]))[0]  # no grades at all: ask teachers


def test_the_failing_words_use_the_districts_pass_mark():
    words = factor("courses_failing", 2, 1.0)["description"]
    assert words == "Is failing 2 courses (average below 60)"
    bands = [{"letter": "P", "min": 40, "points": 1}]
    DistrictSettings.objects.create(pass_mark=40, grade_bands=bands)
    words = factor("courses_failing", 1, 1.0)["description"]
    assert words == "Is failing 1 course (average below 40)"


def test_missing_attendance_is_a_factor_only_where_attendance_was_expected():
    values = _row().repeat(2, axis=0)
    values[:, MODEL_INPUTS.index("attendance_rate_ytd")] = np.nan
    pushes = _contributions(attendance_rate_ytd=1.0)
    contributions = np.vstack([pushes, pushes])
    expected = {"attendance": np.array([True, False]), "gpa": np.array([True, True])}
    sent, not_sent = from_contributions(contributions, values, MODEL_INPUTS, expected)
    assert [f["factor"] for f in sent] == ["attendance_rate_ytd"]
    assert sent[0]["description"] == "No attendance recorded this school year"
    assert not_sent == []


def test_a_student_far_below_classmates_in_a_course_is_told_so_in_words():
    (words,) = [factor("course_standing_lowest", -1.84, 1.0)]
    assert words["label"] == "Standing in the weakest course"
    assert words["description"] == (
        "Is 1.8 standard deviations below classmates' marks in the weakest course"
    )
    assert not concerning("course_standing_lowest", np.array([0.3]))[0]
