"""Labels: what counts as an adverse outcome within the horizon, and which windows are over."""

import datetime as dt

import pandas as pd
import pytest
from django.test import override_settings

from mlmodels.labels import (
    LabelWindowError,
    check_validation_after_training,
    check_windows_closed,
    coverage_words,
    covered_through,
    data_end,
    data_end_by_source,
    label_rows,
    window_end,
)
from tests.mlmodels.factories import PredictionFactory, TrainingFeedbackFactory
from tests.records.factories import (
    AttendanceRecordFactory,
    GradeFactory,
    StudentOutcomeFactory,
)
from tests.students.factories import StudentFactory

# The factors' words and the school year read the district settings from the database.
pytestmark = pytest.mark.django_db

T = dt.date(2025, 10, 5)
ADVERSE = ("dropped_out", "failed", "retained", "withdrawn")


def _label(student, horizon=30, outcomes=ADVERSE) -> int:
    rows = pd.DataFrame({"student_id": [str(student.pk)], "as_of": [T]})
    return int(label_rows(rows, horizon, outcomes).iloc[0])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("outcome_type", "days_after", "expected"),
    [
        ("dropped_out", 1, 1),  # the day after T
        ("dropped_out", 30, 1),  # the window's last day, T + H
        ("dropped_out", 31, 0),  # one day too late
        ("dropped_out", 0, 0),  # on T itself: already known at T, not a prediction
        ("dropped_out", -10, 0),  # before T
        ("failed", 12, 1),
        ("retained", 12, 1),
        ("withdrawn", 12, 1),
        ("transferred", 12, 0),  # leaving is not adverse
        ("graduated", 12, 0),
        ("passed", 12, 0),
    ],
)
def test_an_adverse_outcome_within_the_horizon_is_positive(outcome_type, days_after, expected):
    student = StudentFactory()
    StudentOutcomeFactory(
        student=student, outcome_type=outcome_type, outcome_date=T + dt.timedelta(days=days_after)
    )
    assert _label(student) == expected


@pytest.mark.django_db
def test_the_adverse_outcomes_are_configurable():
    student = StudentFactory()
    StudentOutcomeFactory(student=student, outcome_type="failed", outcome_date=T.replace(day=20))
    assert _label(student) == 1
    assert _label(student, outcomes=("dropped_out", "withdrawn")) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("feedback_type", "outcome_type", "expected"),
    [
        ("true_positive", "dropped_out", 1),  # "flagged, and it happened"
        ("false_negative", "failed", 1),  # "not flagged, but it happened"
        ("true_positive", "transferred", 0),  # not an adverse outcome
        ("false_positive", "dropped_out", 0),  # "it did not happen"
        ("true_negative", "dropped_out", 0),
    ],
)
def test_feedback_that_confirms_an_outcome_is_a_label(feedback_type, outcome_type, expected):
    student = StudentFactory()
    TrainingFeedbackFactory(
        prediction=PredictionFactory(student=student),
        feedback_type=feedback_type,
        outcome_type=outcome_type,
        outcome_date=T + dt.timedelta(days=9),
    )
    assert _label(student) == expected


@pytest.mark.django_db
def test_feedback_without_an_outcome_date_is_no_label():
    student = StudentFactory()
    TrainingFeedbackFactory(
        prediction=PredictionFactory(student=student),
        feedback_type="true_positive",
        outcome_type="dropped_out",
        outcome_date=None,
    )
    assert _label(student) == 0


@pytest.mark.django_db
def test_feedback_saying_nothing_happened_does_not_erase_a_recorded_outcome():
    student = StudentFactory()
    StudentOutcomeFactory(student=student, outcome_type="failed", outcome_date=T.replace(day=20))
    TrainingFeedbackFactory(
        prediction=PredictionFactory(student=student), feedback_type="false_positive"
    )
    assert _label(student) == 1


@pytest.mark.django_db
def test_the_data_ends_at_the_latest_attendance_record():
    assert data_end() is None
    AttendanceRecordFactory(date=dt.date(2026, 5, 29))
    AttendanceRecordFactory(date=dt.date(2026, 1, 5))
    assert data_end() == dt.date(2026, 5, 29)


@pytest.mark.django_db
def test_each_source_reaches_its_own_day_and_a_stray_later_row_does_not_count():
    """Attendance from some courses only ends in March; grades go on to June: the data reaches
    June and attendance is named as lagging. One grade mistyped into 2027 moves nothing."""
    for day in (3, 4, 5):
        AttendanceRecordFactory.create_batch(5, date=dt.date(2026, 3, day))
    for day in (1, 2, 3, 4):
        GradeFactory.create_batch(200, submission_date=dt.date(2026, 6, day))
    GradeFactory(submission_date=dt.date(2027, 6, 4))  # a typo: 1 row against a median of 200
    assert data_end_by_source() == {
        "attendance": dt.date(2026, 3, 5),
        "grades": dt.date(2026, 6, 4),
    }
    assert data_end() == covered_through() == dt.date(2026, 6, 4)
    assert coverage_words() == "the latest grades records; lagging: attendance ends 2026-03-05"
    assert coverage_words(dt.date(2026, 6, 30)) == "--data-through"


def test_a_window_not_over_is_refused_and_named():
    covered = dt.date(2026, 5, 29)
    check_windows_closed([dt.date(2026, 2, 13)], 105, covered)  # ends May 29: over
    with pytest.raises(LabelWindowError) as refused:
        check_windows_closed([dt.date(2026, 2, 13), dt.date(2026, 2, 15)], 105, covered)
    message = str(refused.value)
    assert "2026-02-15" in message and "2026-02-13" not in message.split("is not over")[0]
    assert "2026-05-31" in message and "2026-05-29" in message
    with pytest.raises(LabelWindowError, match="no attendance, grade or discipline records"):
        check_windows_closed([T], 30, None)


def test_validation_must_come_after_every_training_window_has_closed():
    train = [dt.date(2025, 9, 7), dt.date(2025, 10, 26)]
    check_validation_after_training(train, dt.date(2026, 2, 8), 105)  # Oct 26 + 105 = Feb 8
    with pytest.raises(LabelWindowError) as refused:
        check_validation_after_training(train, dt.date(2026, 2, 7), 105)
    assert "2025-10-26" in str(refused.value) and "on or after 2026-02-08" in str(refused.value)


# --- the default label: an adverse outcome by the end of T's school year ---------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("outcome_type", "outcome_date", "expected"),
    [
        ("retained", dt.date(2026, 6, 5), 1),  # decided at the year's close: inside the window
        ("failed", dt.date(2026, 6, 5), 1),
        ("dropped_out", dt.date(2026, 3, 2), 1),  # months later, same school year
        ("retained", dt.date(2026, 7, 31), 1),  # the school year's last day (Aug 1 start)
        ("retained", dt.date(2026, 8, 1), 0),  # the next school year
        ("dropped_out", T, 0),  # on T itself
        ("transferred", dt.date(2026, 3, 2), 0),
    ],
)
def test_the_end_of_year_label_counts_outcomes_until_the_school_year_ends(
    outcome_type, outcome_date, expected
):
    student = StudentFactory()
    StudentOutcomeFactory(student=student, outcome_type=outcome_type, outcome_date=outcome_date)
    assert _label(student, horizon=None) == expected


def test_the_end_of_year_window_closes_with_the_school_year():
    # 2025-10-05 belongs to 2025-2026, which ends on 2026-07-31.
    check_windows_closed([T], None, dt.date(2026, 7, 31))
    with pytest.raises(LabelWindowError, match="the end of the school year"):
        check_windows_closed([T], None, dt.date(2026, 6, 30))
    # Validation in the next school year, never earlier.
    check_validation_after_training([T], dt.date(2026, 8, 16), None)
    with pytest.raises(LabelWindowError):
        check_validation_after_training([T], dt.date(2026, 5, 3), None)


@override_settings(EDUPULSE_SCHOOL_YEAR_START=(10, 1))
def test_a_school_year_starting_in_october_moves_the_window():
    assert window_end(dt.date(2025, 10, 5), None) == dt.date(2026, 9, 30)
    assert window_end(dt.date(2025, 9, 28), None) == dt.date(2025, 9, 30)
