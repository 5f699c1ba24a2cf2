"""Training labels: did an adverse outcome happen after the as-of date, by the end of its school
year (the default) or within H days?

Rules (docs/model.md, "Labels"):
- A student in the cohort of T is positive when an adverse outcome happens on a day in
  (T, end of T's school year] (the default: the decisions taken at the year's close, failing a
  course and retention, fall inside it, so the label applies in every grade), or in
  (T, T + H] with a fixed horizon of H days. Adverse outcomes are
  settings.EDUPULSE_ADVERSE_OUTCOMES (default: dropped_out, withdrawn, failed, retained), or the
  ones a command names.
- Outcomes come from `student_outcomes`, and from educator feedback that confirms one: a
  feedback of type true_positive or false_negative ("the outcome happened") with an adverse
  outcome_type and an outcome_date counts as that outcome of the prediction's student on that
  date. Feedback saying nothing happened never removes a recorded outcome.
- The data covers the days up to the furthest that attendance, grades or discipline reach (each
  source's latest day with a usual volume of records, so one mistyped date does not count;
  imports refuse dates after the day of the import), or up to the day the district names
  (--data-through). train_model and backtest say which source sets it and which lag. A row
  whose window (T, T + H] ends after that day is not over yet and never becomes a training or
  validation row.
"""

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from django.conf import settings
from django.db import connection

from analytics.features import school_year_end
from mlmodels.dataset import uuid_text
from mlmodels.models import FeedbackType

# Feedback types that say the adverse outcome did happen.
CONFIRMING_FEEDBACK = (FeedbackType.TRUE_POSITIVE.value, FeedbackType.FALSE_NEGATIVE.value)


class LabelWindowError(ValueError):
    """An as-of date whose label window is not over, or overlaps what it must not."""


def adverse_outcomes(names: Iterable[str] | None = None) -> tuple[str, ...]:
    return tuple(sorted(names or settings.EDUPULSE_ADVERSE_OUTCOMES))


# Kinds of record that are dated every school day or along it: (table, date column).
SOURCES = {
    "attendance": ("attendance_records", "date"),
    "grades": ("grades", "submission_date"),
    "discipline": ("discipline_incidents", "incident_date"),
}
# A day counts as reached by a source when it holds at least this share of the source's median
# records per day (over its latest 60 recorded days): a stray row dated later (a typo) does not
# move how far the data reaches.
STRAY_SHARE = 0.01
LAGGING_DAYS = 30  # a source ending this much before the others is shown as lagging


def _date(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def data_end_by_source() -> dict[str, dt.date]:
    """How far each kind of record reaches: its latest day with a usual volume of records
    (`STRAY_SHARE`), for the sources that have records."""
    reached = {}
    with connection.cursor() as cursor:
        for source, (table, column) in SOURCES.items():
            cursor.execute(
                f"SELECT {column}, COUNT(*) FROM {table} GROUP BY {column} "
                f"ORDER BY {column} DESC LIMIT 60"
            )
            days = cursor.fetchall()
            if not days:
                continue
            counts = sorted(n for _, n in days)
            floor = max(1, STRAY_SHARE * counts[len(counts) // 2])
            reached[source] = next(_date(day) for day, n in days if n >= floor)
    return reached


def data_end() -> dt.date | None:
    """The last day the data covers: the furthest any source reaches (a source covering only
    some schools or courses, such as attendance from some courses, does not hold it back)."""
    reached = data_end_by_source()
    return max(reached.values()) if reached else None


def coverage_words(data_through: dt.date | None = None) -> str:
    """Which source sets how far the data reaches, and which lag, in words."""
    if data_through:
        return "--data-through"
    reached = data_end_by_source()
    if not reached:
        return "no records"
    end = max(reached.values())
    leader = next(source for source, day in reached.items() if day == end)
    lagging = [
        f"{source} ends {day.isoformat()}"
        for source, day in reached.items()
        if (end - day).days > LAGGING_DAYS
    ]
    words = f"the latest {leader} records"
    return words + (f"; lagging: {', '.join(lagging)}" if lagging else "")


def window_end(as_of: dt.date, horizon_days: int | None) -> dt.date:
    """The last day of T's label window: T + H days, or the end of T's school year (None)."""
    if horizon_days is None:
        return school_year_end(as_of)
    return as_of + dt.timedelta(days=horizon_days)


def describe(horizon_days: int | None) -> str:
    """The label's window in words."""
    if horizon_days is None:
        return "by the end of the school year"
    return f"within {horizon_days} days"


def covered_through(data_through: dt.date | None = None) -> dt.date | None:
    """How far the data reaches: the district's word (--data-through) where given, else the
    furthest any source reaches (`data_end`)."""
    return data_through or data_end()


def check_windows_closed(
    dates: Iterable[dt.date], horizon_days: int | None, covered: dt.date | None
):
    """Raise LabelWindowError naming every date whose label window is still open."""
    dates = sorted(dates)
    if covered is None:
        raise LabelWindowError(
            "There are no attendance, grade or discipline records, so no label window is over."
        )
    open_ = [d for d in dates if window_end(d, horizon_days) > covered]
    if open_:
        listed = ", ".join(d.isoformat() for d in open_[:5])
        more = f" and {len(open_) - 5} more" if len(open_) > 5 else ""
        label = (
            "the end of the school year"
            if horizon_days is None
            else f"--horizon-days {horizon_days}"
        )
        raise LabelWindowError(
            f"The label window of {listed}{more} is not over: with {label} it "
            f"ends on {window_end(open_[0], horizon_days).isoformat()}"
            f"{' or later' if len(open_) > 1 else ''}, after the last day the data covers "
            f"({covered.isoformat()}: the latest records of any source, or --data-through). Use "
            "earlier as-of dates or school years, or a shorter horizon."
        )


def check_validation_after_training(
    train: Iterable[dt.date], validate: dt.date, horizon_days: int | None
) -> None:
    """Validation must come after every training label window has closed: no label of a
    training row may be decided by what happens after the validation date."""
    latest = max(train)
    closes = window_end(latest, horizon_days)
    if validate < closes:
        raise LabelWindowError(
            f"Validation date {validate.isoformat()} comes before the label window of training "
            f"date {latest.isoformat()} has closed ({closes.isoformat()}: its label counts "
            f"outcomes {describe(horizon_days)}): the model would be judged on a period its "
            "labels already saw. Choose a "
            f"validation date on or after {closes.isoformat()}."
        )


def outcome_events(outcomes: tuple[str, ...]) -> pd.DataFrame:
    """student_id, date of every adverse outcome: recorded, or confirmed by feedback."""
    marks = ", ".join(["%s"] * len(outcomes))
    confirming = ", ".join(["%s"] * len(CONFIRMING_FEEDBACK))
    sql = f"""
        SELECT student_id, outcome_date FROM student_outcomes WHERE outcome_type IN ({marks})
        UNION
        SELECT p.student_id, f.outcome_date FROM training_feedback f
        JOIN predictions p ON p.id = f.prediction_id
        WHERE f.feedback_type IN ({confirming}) AND f.outcome_type IN ({marks})
          AND f.outcome_date IS NOT NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*outcomes, *CONFIRMING_FEEDBACK, *outcomes])
        rows = cursor.fetchall()
    events = pd.DataFrame(rows, columns=["student_id", "outcome_date"])
    events["student_id"] = uuid_text(events["student_id"])
    events["outcome_date"] = pd.to_datetime(events["outcome_date"])
    return events


def label_rows(
    rows: pd.DataFrame, horizon_days: int | None, outcomes: tuple[str, ...]
) -> pd.Series:
    """1/0 for each row (columns student_id, as_of): an adverse outcome in (T, window end]."""
    events = outcome_events(outcomes)
    keyed = rows[["student_id", "as_of"]].reset_index(names="row")
    ends = {d: window_end(d, horizon_days) for d in set(keyed["as_of"])}
    keyed["ends"] = pd.to_datetime(keyed["as_of"].map(ends))
    keyed["as_of"] = pd.to_datetime(keyed["as_of"])
    joined = keyed.merge(events, on="student_id", how="inner")
    within = (joined["outcome_date"] > joined["as_of"]) & (joined["outcome_date"] <= joined["ends"])
    positive = set(joined.loc[within, "row"])
    return pd.Series([int(i in positive) for i in range(len(rows))], index=rows.index, name="y")
