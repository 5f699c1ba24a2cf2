"""Weekly feature vectors, computed from a chunk of students' records (docs/features.md).

Plain pandas/numpy, no ORM: `analytics/services.py` reads the records set-based and writes the
rows. Every input is already cut at the as-of date T by the reader, and `compute` cuts again,
so a record dated after T can never reach T's row.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

WEEKS = 4  # weekly values in the document's attendance / academic / behavioral lists
WINDOW_30 = 30
WINDOW_90 = 90
LOOKBACK_INCIDENTS = 365  # how far back days_since_last_incident looks
MID_YEAR_GRACE = 14  # enrolling later than this many days after the year starts is mid-year
GPA_BASELINE_DAYS = 28  # gpa_change_ytd compares with the GPA at the end of the year's 4th week
FAILING = 60.0  # a course average below this is failing

# The richer features (feature_vector["features"]), in the order the model reads them.
FEATURE_NAMES = (
    "attendance_rate_ytd",
    "attendance_rate_30d",
    "absences_30d",
    "excused_absences_30d",
    "tardies_30d",
    "longest_absence_streak",
    "gpa_current",
    "gpa_change_6w",
    "gpa_change_ytd",
    "courses_failing",
    "lowest_course_average",
    "missing_assignments_30d",
    "incidents_ytd",
    "incidents_90d_severity_1",
    "incidents_90d_severity_2",
    "incidents_90d_severity_3",
    "incidents_90d_severity_4",
    "incidents_90d_severity_5",
    "days_since_last_incident",
    "overage_years",
    "mid_year_entry",
    "weeks_of_data",
    "data_quality",
)


def school_year_start(as_of: dt.date, month: int = 8, day: int = 1) -> dt.date:
    """The first day of the school year that contains `as_of` (default: August 1)."""
    start = dt.date(as_of.year, month, day)
    return start if as_of >= start else dt.date(as_of.year - 1, month, day)


@dataclass(frozen=True)
class Records:
    """One chunk's records, as the reader hands them over (columns named as below).

    students:  student_id, date_of_birth, grade_level, enrollment_date
    days:      student_id, date, records, attended, absent, excused, tardy
               (one row per student and school day; attended = present + tardy records)
    grades:    student_id, course_id, submission_date, grade_value
    incidents: student_id, incident_date, severity_level
    """

    students: pd.DataFrame
    days: pd.DataFrame
    grades: pd.DataFrame
    incidents: pd.DataFrame


def compute(as_of: dt.date, records: Records, year_start: dt.date) -> pd.DataFrame:
    """One row per student: student_id, attendance_rate, gpa_current, discipline_incidents,
    feature_vector (a dict in the schema document's structure, with NaN as None)."""
    # Students become positions 0..n-1: grouping by small integers is far cheaper than by ids.
    ids = pd.Index(records.students["student_id"])
    students = records.students.reset_index(drop=True)
    index = students.index
    t = pd.Timestamp(as_of)
    start = pd.Timestamp(year_start)
    days = _cut(_coded(records.days, ids), "date", start - pd.Timedelta(days=7 * WEEKS), t)
    grades = _cut(_coded(records.grades, ids), "submission_date", start, t)
    incidents = _cut(
        _coded(records.incidents, ids),
        "incident_date",
        t - pd.Timedelta(days=LOOKBACK_INCIDENTS - 1),
        t,
    )
    calendar = np.sort(days["date"].unique())  # the chunk's school days: a day anyone attended

    weeks = [(t - pd.Timedelta(days=7 * k + 6), t - pd.Timedelta(days=7 * k)) for k in range(WEEKS)]
    weeks.reverse()  # oldest first, as the document lists them

    out = pd.DataFrame(index=index)
    ytd_days = days[days["date"] >= start]
    out["attendance_rate_ytd"] = _rate(ytd_days, index)
    last_30 = days[days["date"] > t - pd.Timedelta(days=WINDOW_30)]
    out["attendance_rate_30d"] = _rate(last_30, index)
    missed = last_30[_absent_day(last_30)]
    out["absences_30d"] = _count(missed, index)
    out["excused_absences_30d"] = _count(missed[missed["excused"] >= missed["absent"]], index)
    out["tardies_30d"] = _count(last_30[last_30["tardy"] > 0], index)
    out["longest_absence_streak"] = _longest_streak(ytd_days, calendar, index)
    weekly_attendance = [_rate(_between(days, "date", a, b), index) for a, b in weeks]

    gpa_at = {
        k: _gpa(grades[grades["submission_date"] <= b], index)[0] for k, (_, b) in enumerate(weeks)
    }
    current_gpa, averages = _gpa(grades, index)
    out["gpa_current"] = current_gpa
    six_weeks_ago = _gpa(grades[grades["submission_date"] <= t - pd.Timedelta(days=42)], index)[0]
    out["gpa_change_6w"] = current_gpa - six_weeks_ago
    baseline_day = start + pd.Timedelta(days=GPA_BASELINE_DAYS - 1)
    baseline = _gpa(grades[grades["submission_date"] <= baseline_day], index)[0]
    out["gpa_change_ytd"] = (current_gpa - baseline) if t > baseline_day else np.nan
    has_grades = averages.groupby(level="student_id").size().reindex(index)
    out["courses_failing"] = (
        (averages < FAILING).groupby(level="student_id").sum().reindex(index).where(has_grades > 0)
    )
    out["lowest_course_average"] = averages.groupby(level="student_id").min().reindex(index)
    recent_grades = grades[grades["submission_date"] > t - pd.Timedelta(days=WINDOW_30)]
    out["missing_assignments_30d"] = _count(recent_grades[recent_grades["grade_value"] == 0], index)
    out.loc[has_grades.isna(), "missing_assignments_30d"] = np.nan

    ytd_incidents = incidents[incidents["incident_date"] >= start]
    out["incidents_ytd"] = _count(ytd_incidents, index)
    last_90 = incidents[incidents["incident_date"] > t - pd.Timedelta(days=WINDOW_90)]
    for level in range(1, 6):
        out[f"incidents_90d_severity_{level}"] = _count(
            last_90[last_90["severity_level"] == level], index
        )
    last_incident = incidents.groupby("student_id")["incident_date"].max().reindex(index)
    out["days_since_last_incident"] = (t - last_incident).dt.days
    weekly_incidents = [_count(_between(incidents, "incident_date", a, b), index) for a, b in weeks]

    out["overage_years"] = _overage(students, start)
    enrolled = pd.to_datetime(students["enrollment_date"])
    out["mid_year_entry"] = (enrolled > start + pd.Timedelta(days=MID_YEAR_GRACE)).astype(float)
    out["weeks_of_data"], out["data_quality"] = _coverage(
        ytd_days, calendar, enrolled, start, index
    )

    weekly_gpa = [gpa_at[k] for k in range(WEEKS)]
    trends = [_slope(weekly_attendance), _slope(weekly_gpa), _slope(weekly_incidents)]

    # Assemble the JSON documents from plain arrays: indexing pandas per student is slow.
    named = out[list(FEATURE_NAMES)].to_numpy(dtype=float)
    lists = {
        "attendance": (np.column_stack([w.to_numpy(dtype=float) for w in weekly_attendance]), 4),
        "academic": (np.column_stack([w.to_numpy(dtype=float) for w in weekly_gpa]), 3),
        "behavioral": (np.column_stack([w.to_numpy(dtype=float) for w in weekly_incidents]), 4),
        "trends": (np.column_stack([t.to_numpy(dtype=float) for t in trends]), 4),
    }
    rows = []
    for position, student_id in enumerate(ids):
        features = dict(zip(FEATURE_NAMES, map(_json, named[position]), strict=True))
        vector = {
            key: [_json(v, digits) for v in values[position]]
            for key, (values, digits) in lists.items()
        }
        vector["metadata"] = {
            "weeks_of_data": features["weeks_of_data"],
            "data_quality": features["data_quality"],
        }
        vector["features"] = features
        rows.append(
            (
                student_id,
                features["attendance_rate_ytd"],
                features["gpa_current"],
                features["incidents_ytd"],
                vector,
            )
        )
    columns = [
        "student_id",
        "attendance_rate",
        "gpa_current",
        "discipline_incidents",
        "feature_vector",
    ]
    return pd.DataFrame(rows, columns=columns, dtype=object)  # object: None stays None


# --- helpers -------------------------------------------------------------------------------------
def _coded(frame: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """The frame with student_id replaced by the student's position in `ids`."""
    positions = ids.get_indexer(frame["student_id"])
    return frame.assign(student_id=positions)[positions >= 0]


def _cut(frame: pd.DataFrame, column: str, first: pd.Timestamp, last: pd.Timestamp):
    dates = pd.to_datetime(frame[column])
    frame = frame.assign(**{column: dates})
    return frame[(dates >= first) & (dates <= last)]


def _between(frame, column, first, last):
    return frame[(frame[column] >= first) & (frame[column] <= last)]


def _count(frame: pd.DataFrame, index) -> pd.Series:
    return frame.groupby("student_id").size().reindex(index, fill_value=0).astype(float)


def _rate(days: pd.DataFrame, index) -> pd.Series:
    """Attended records / all records; NaN where the student has no record (missing is missing)."""
    sums = days.groupby("student_id")[["attended", "records"]].sum().reindex(index)
    return sums["attended"] / sums["records"]


def _absent_day(days: pd.DataFrame) -> pd.Series:
    """A day missed: at least half of the day's records are absent or excused."""
    return (days["absent"] + days["excused"]) * 2 >= days["records"]


def _longest_streak(days: pd.DataFrame, calendar: np.ndarray, index) -> pd.Series:
    """Most consecutive school days missed (a school day without a record breaks a streak)."""
    missed = days[_absent_day(days)][["student_id", "date"]]
    if missed.empty:
        return pd.Series(0.0, index=index)
    position = np.searchsorted(calendar, missed["date"].to_numpy())
    missed = missed.assign(position=position).sort_values(["student_id", "position"])
    run = missed["position"] - missed.groupby("student_id").cumcount()
    lengths = missed.groupby(["student_id", run]).size()
    return lengths.groupby(level="student_id").max().reindex(index, fill_value=0).astype(float)


def _points(average: pd.Series) -> pd.Series:
    """Course average (0-100) to grade points: A 4, B 3, C 2, D 1, F 0."""
    return pd.Series(
        np.select(
            [average >= 90, average >= 80, average >= 70, average >= 60], [4.0, 3.0, 2.0, 1.0], 0.0
        ),
        index=average.index,
    )


def _gpa(grades: pd.DataFrame, index) -> tuple[pd.Series, pd.Series]:
    """(GPA per student, average per student and course) from the grades given."""
    graded = grades.dropna(subset=["grade_value"])
    averages = graded.groupby(["student_id", "course_id"])["grade_value"].mean()
    gpa = _points(averages).groupby(level="student_id").mean().reindex(index)
    return gpa, averages


def _overage(students: pd.DataFrame, year_start: pd.Timestamp) -> pd.Series:
    """Years older than expected for the grade on the first day of the school year (K at 5)."""
    born = pd.to_datetime(students["date_of_birth"])
    age = (year_start - born).dt.days / 365.25
    return (age - (students["grade_level"].astype(float) + 5)).round(2)


def _coverage(ytd_days, calendar, enrolled, year_start, index) -> tuple[pd.Series, pd.Series]:
    """(weeks with any attendance record this year, recorded school days / expected ones)."""
    weeks = (
        ytd_days.assign(week=ytd_days["date"].dt.to_period("W"))
        .groupby("student_id")["week"]
        .nunique()
    )
    recorded = ytd_days.groupby("student_id").size().reindex(index, fill_value=0)
    school_days = pd.to_datetime(pd.Series(calendar))
    school_days = school_days[school_days >= year_start].to_numpy()
    since = enrolled.where(enrolled > year_start, year_start).fillna(year_start)
    expected = len(school_days) - np.searchsorted(school_days, since.to_numpy())
    expected = pd.Series(expected, index=index).astype(float)
    quality = (recorded / expected.where(expected > 0)).clip(upper=1.0)
    return weeks.reindex(index, fill_value=0).astype(float), quality


def _slope(weekly: list[pd.Series]) -> pd.Series:
    """Least-squares change per week over the weekly values; NaN with fewer than 2 values."""
    values = pd.concat(weekly, axis=1).to_numpy(dtype=float)
    x = np.arange(values.shape[1], dtype=float)[None, :].repeat(len(values), axis=0)
    known = ~np.isnan(values)
    n = known.sum(axis=1)
    x_mean = np.where(known, x, 0).sum(axis=1) / np.maximum(n, 1)
    y_mean = np.where(known, values, 0).sum(axis=1) / np.maximum(n, 1)
    dx = np.where(known, x - x_mean[:, None], 0)
    dy = np.where(known, values - y_mean[:, None], 0)
    denominator = (dx * dx).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (dx * dy).sum(axis=1) / denominator
    return pd.Series(np.where(n >= 2, slope, np.nan), index=weekly[0].index)


def _json(value: float, digits: int = 4) -> float | None:
    """A number for JSON: None for missing (NaN), else a plain float, rounded."""
    return None if value != value else round(float(value), digits)
