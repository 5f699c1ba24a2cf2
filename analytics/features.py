"""Weekly feature vectors, computed from a chunk of students' per-student sums (docs/features.md).

Plain pandas/numpy, no ORM. Every window (its first and last day as of T) is defined once, in
`Windows`; `analytics/selectors.py` sums each student's records over those windows in SQL, taking
the dates as parameters, so about one row per student (per student and course for grades) reaches
this module, which turns the sums into rates, GPAs, trends and the JSON documents. Nothing dated
after T is summed, so a record dated later can never reach T's row.
"""

import datetime as dt
import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics import district_settings

WEEKS = 4  # weekly values in the document's attendance / academic / behavioral lists
WINDOW_30 = 30
WINDOW_90 = 90
LOOKBACK_INCIDENTS = 365  # how far back days_since_last_incident looks
MID_YEAR_GRACE = 14  # enrolling later than this many days after the year starts is mid-year
GPA_BASELINE_DAYS = 28  # gpa_change_ytd compares with the GPA at the end of the year's 4th week
# Grades are summed in SQL as whole hundred-thousandths: integer sums are exact and the same on
# every database (grade_value is a 4-byte REAL on PostgreSQL: about 7 significant digits).
GRADE_UNITS = 100_000
# A course's spread of marks is summed as whole hundredths squared: exact integers again, and far
# from overflowing a BIGINT (100.00 is 10**4, its square 10**8).
SQUARE_UNITS = 100
COURSE_MIN_MARKS = 10  # fewer marks in a course this year: no standing within it
STANDING_LIMIT = 5.0  # standings are cut to +-5 standard deviations (a course with one outlier)

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
    "course_standing_mean",
    "course_standing_lowest",
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


def school_year_start(as_of: dt.date, month: int | None = None, day: int | None = None) -> dt.date:
    """The first day of the school year that contains `as_of`: the district's setting
    (analytics.district_settings; default August 1) unless a month and day are given."""
    if month is None or day is None:
        month, day = district_settings.current().school_year_start
    start = dt.date(as_of.year, month, day)
    return start if as_of >= start else dt.date(as_of.year - 1, month, day)


def school_year_end(as_of: dt.date) -> dt.date:
    """The last day of the school year that contains `as_of` (the day before the next starts)."""
    start = school_year_start(as_of)
    return school_year_start(start.replace(year=start.year + 1)) - dt.timedelta(days=1)


def school_year_label(as_of: dt.date) -> str:
    """'2025-2026' for any day of the school year that starts in 2025."""
    start = school_year_start(as_of)
    return f"{start.year}-{start.year + 1}"


def school_year_bounds(label: str) -> tuple[dt.date, dt.date]:
    """The first and last day of the school year named 'YYYY-YYYY'."""
    first, _, second = label.partition("-")
    if not (first.isdigit() and second.isdigit() and int(second) == int(first) + 1):
        raise ValueError(f"{label!r} is not a school year in the form YYYY-YYYY (e.g. 2025-2026)")
    month, day = district_settings.current().school_year_start
    start = dt.date(int(first), month, day)
    return start, school_year_end(start)


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@dataclass(frozen=True)
class Windows:
    """The windows of T's features, each as its first and last day (both included).

    The readers pass these dates to SQL as parameters: a window is defined here and nowhere else.
    """

    as_of: dt.date

    @cached_property
    def year_start(self) -> dt.date:
        return school_year_start(self.as_of)

    @cached_property
    def first_day(self) -> dt.date:
        """Attendance is read from here: the weekly rates of a year's first weeks reach back."""
        return self.year_start - _days(7 * WEEKS)

    @cached_property
    def weeks(self) -> tuple[tuple[dt.date, dt.date], ...]:
        """The 4 weeks (7 days each) ending T-21, T-14, T-7 and T, oldest first."""
        ends = [self.as_of - _days(7 * k) for k in reversed(range(WEEKS))]
        return tuple((end - _days(6), end) for end in ends)

    @cached_property
    def last_30(self) -> dt.date:
        return self.as_of - _days(WINDOW_30 - 1)

    @cached_property
    def last_90(self) -> dt.date:
        return self.as_of - _days(WINDOW_90 - 1)

    @cached_property
    def incidents_from(self) -> dt.date:
        return self.as_of - _days(LOOKBACK_INCIDENTS - 1)

    @cached_property
    def gpa_baseline(self) -> dt.date:
        """The last day of the year's first 4 weeks."""
        return self.year_start + _days(GPA_BASELINE_DAYS - 1)

    @cached_property
    def gpa_cutoffs(self) -> dict[str, dt.date]:
        """The days a GPA is computed as of: each week's end (w1..w4, w4 is T), 6 weeks before T
        and the GPA baseline; each with every grade of the year up to that day."""
        cutoffs = {f"w{k}": end for k, (_, end) in enumerate(self.weeks, start=1)}
        return {**cutoffs, "6w": self.as_of - _days(42), "base": self.gpa_baseline}


@dataclass(frozen=True)
class Records:
    """One chunk's records, summed per student by the reader over the `Windows` of T.

    students:    student_id, date_of_birth, grade_level, enrollment_date
    attendance:  one row per student with attendance records from `first_day` to T: student_id,
                 records_ytd, attended_ytd, records_30d, attended_30d, absences_30d,
                 excused_absences_30d, tardies_30d, records_w1..4, attended_w1..4 (the 4 weeks,
                 oldest first), days_ytd (recorded school days), weeks_of_data, missed_days (the
                 year's missed days as ISO dates separated by spaces, in any order; empty or
                 None without any), or instead longest_streak (most consecutive school days
                 missed: `RunningTotals` counts it directly) (attended = present + tardy
                 records; a day is missed when at least half of its records are absent or
                 excused); a row of zeros is the same as no row
    grades:      one row per student and course with grades this year up to T: student_id,
                 course_id, and for each key of `Windows.gpa_cutoffs`, value_<key> (the sum of
                 grade_value up to that day, in GRADE_UNITS) and graded_<key> (how many); zeros_30d
    incidents:   one row per student with incidents from `incidents_from` to T: student_id,
                 incidents_ytd, severity_1_90d..severity_5_90d, incidents_w1..4, last_incident
                 (a row of zeros and no last_incident is the same as no row)
    school_days: the district's school days from the year's start to T (any student has an
                 attendance record on them), sorted
    courses:     each course's marks this year up to T, over every student (`course_marks`):
                 course_id, mean, spread (standard deviation); None: no standings
    """

    students: pd.DataFrame
    attendance: pd.DataFrame
    grades: pd.DataFrame
    incidents: pd.DataFrame
    school_days: list[dt.date]
    courses: pd.DataFrame | None = None


@dataclass(frozen=True)
class Daily:
    """One chunk's records over a range of days, summed per student and day
    (analytics.selectors.chunk_daily), from which `RunningTotals` gives each as-of date's sums.

    attendance: student_id, date, records, absent, excused, tardy (0/1: any period tardy)
    grades:     student_id, course_id, date, units (sum of grade_value in GRADE_UNITS, each
                rounded), graded (how many), zeros (grades of 0)
    incidents:  student_id, date, severity_level (one row per incident)
    """

    attendance: pd.DataFrame
    grades: pd.DataFrame
    incidents: pd.DataFrame

    def __post_init__(self) -> None:
        for frame in (self.attendance, self.grades, self.incidents):
            frame["date"] = pd.to_datetime(frame["date"])


_WEEK_ZERO = pd.Timestamp("2000-01-03")  # Monday: the weeks of the SQL readers


def course_marks(daily: pd.DataFrame, windows: Windows) -> pd.DataFrame:
    """Each course's mean mark and spread this school year up to T, over every student, from
    the per-course and day sums of analytics.selectors.course_days (course_id, date, units,
    squares, graded): course_id, mean, spread. Courses with fewer than COURSE_MIN_MARKS marks,
    or whose marks are all the same, are left out (no standing within them)."""
    dates = pd.to_datetime(daily["date"])
    first, last = pd.Timestamp(windows.year_start), pd.Timestamp(windows.as_of)
    inside = daily[(dates >= first) & (dates <= last)]
    sums = inside.groupby("course_id", sort=True)[["units", "squares", "graded"]].sum()
    sums = sums[sums["graded"] >= COURSE_MIN_MARKS]
    mean = sums["units"] / (sums["graded"] * GRADE_UNITS)
    squares = sums["squares"] / (sums["graded"] * SQUARE_UNITS**2)
    spread = np.sqrt((squares - mean * mean).clip(lower=0))
    courses = pd.DataFrame({"mean": mean, "spread": spread})
    return courses[courses["spread"] > 0.01].reset_index()


# Days as integers for the running totals: days since a Monday (1900-01-01), so that a week is
# day // 7 (the same Monday-based weeks as _WEEK_ZERO and the SQL readers).
_EPOCH = np.datetime64("1900-01-01", "D")
_SPAN = 1 << 20  # days per key in a running total's stamps (about 2,870 years)


def _day_numbers(values) -> np.ndarray:
    return (np.asarray(values, dtype="datetime64[D]") - _EPOCH).astype(np.int64)


def _day(value: dt.date) -> int:
    return int((np.datetime64(value, "D") - _EPOCH).astype(np.int64))


class _Totals:
    """Rows (a key, a day, values) sorted by key and day, with running totals of the values: any
    key's sum over any days [first, last] is the difference of two totals, each found by a
    binary search. Keys are 0..n-1 (positions)."""

    def __init__(self, keys: np.ndarray, days: np.ndarray, values: dict[str, np.ndarray]):
        order = np.lexsort((days, keys))
        self.keys = keys[order]
        self.days = days[order]
        self.stamps = self.keys.astype(np.int64) * _SPAN + self.days
        self.totals = {
            name: np.concatenate(([0], np.cumsum(np.asarray(v)[order], dtype=np.int64)))
            for name, v in values.items()
        }

    def bounds(self, n_keys: int, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """Per key, the rows from `lo` up to (not including) `hi` are those dated first..last."""
        base = np.arange(n_keys, dtype=np.int64) * _SPAN
        lo = np.searchsorted(self.stamps, base + first, side="left")
        hi = np.searchsorted(self.stamps, base + max(last, first - 1), side="right")
        return lo, hi

    def sums(self, n_keys: int, first: int, last: int, names=None) -> dict[str, np.ndarray]:
        """Per key, each value's sum over the days first..last (0 where first > last)."""
        lo, hi = self.bounds(n_keys, first, last)
        totals = self.totals
        return {name: totals[name][hi] - totals[name][lo] for name in names or totals}


class RunningTotals:
    """One chunk's daily sums (`Daily`) as running totals per student (per student and course
    for grades), from which the `Records` of any as-of date follow: each window's sums are
    differences of two totals, so a backfill of many weeks reads each record once and does not
    filter the chunk's days again for every date. The sums are the same integers as
    analytics.selectors.chunk_records gives for each date alone
    (tests/analytics/test_features_range.py).

    `school_days`: for each as-of date of the range, the district's school days of its school
    year up to it (within one year, an earlier date's list is the start of a later one's).
    """

    def __init__(self, daily: Daily, school_days: dict[dt.date, list[dt.date]]):
        attendance, grades, incidents = daily.attendance, daily.grades, daily.incidents
        names = pd.concat(
            [attendance["student_id"], grades["student_id"], incidents["student_id"]]
        ).astype(str)
        self.ids = pd.Index(names.unique())  # students with any record in the range
        self.n = len(self.ids)

        records = attendance["records"].to_numpy(np.int64)
        absent = attendance["absent"].to_numpy(np.int64)
        excused = attendance["excused"].to_numpy(np.int64)
        missed = (absent + excused) * 2 >= records
        self.attendance = _Totals(
            self.ids.get_indexer(attendance["student_id"].astype(str)),
            _day_numbers(attendance["date"]),
            {
                "records": records,
                "attended": records - absent - excused,
                "missed": missed,
                "missed_excused": missed & (excused >= absent),
                "tardy": attendance["tardy"].to_numpy(np.int64),
                "days": np.ones(len(records), dtype=np.int64),
            },
        )
        self._missed = np.diff(self.attendance.totals["missed"]) > 0  # sorted as the totals
        # The school days of each school year (keyed by its first day), up to the range's last
        # date in that year; weeks with data and absence streaks are counted within a year.
        self._school_days: dict[dt.date, list[dt.date]] = {}
        for as_of, days in sorted(school_days.items()):
            self._school_days[school_year_start(as_of)] = days
        self._weeks: dict[dt.date, _Totals] = {}
        self._runs: dict[dt.date, tuple[np.ndarray, ...]] = {}

        pairs = grades[["student_id", "course_id"]].astype(str)
        pair, firsts = pd.MultiIndex.from_frame(pairs).factorize(sort=True)
        self.pair_students = np.asarray(firsts.get_level_values(0))
        self.pair_courses = np.asarray(firsts.get_level_values(1))
        self.grades = _Totals(
            pair,
            _day_numbers(grades["date"]),
            {name: grades[name].to_numpy(np.int64) for name in ("units", "graded", "zeros")},
        )

        severity = incidents["severity_level"].to_numpy(np.int64)
        self.incidents = _Totals(
            self.ids.get_indexer(incidents["student_id"].astype(str)),
            _day_numbers(incidents["date"]),
            {
                "count": np.ones(len(severity), dtype=np.int64),
                **{f"severity_{level}": severity == level for level in range(1, 6)},
            },
        )

    def records(
        self,
        windows: Windows,
        students: pd.DataFrame,
        school_days: list[dt.date],
        courses: pd.DataFrame | None = None,
    ) -> Records:
        """T's `Records` (every student with a record in the range; the attendance rows carry
        `longest_streak` instead of `missed_days`)."""
        return Records(
            students=students,
            attendance=self._attendance(windows),
            grades=self._grades(windows),
            incidents=self._incidents(windows),
            school_days=school_days,
            courses=courses,
        )

    def _attendance(self, windows: Windows) -> pd.DataFrame:
        t, year = _day(windows.as_of), _day(windows.year_start)
        first = _day(windows.first_day)  # nothing before it is read for T
        sums = self.attendance.sums
        frame = {"student_id": self.ids}
        ytd = sums(self.n, year, t, ("records", "attended", "days"))
        frame |= {"records_ytd": ytd["records"], "attended_ytd": ytd["attended"]}
        recent = sums(self.n, max(first, _day(windows.last_30)), t)
        frame |= {
            "records_30d": recent["records"],
            "attended_30d": recent["attended"],
            "absences_30d": recent["missed"],
            "excused_absences_30d": recent["missed_excused"],
            "tardies_30d": recent["tardy"],
        }
        for k, (a, b) in enumerate(windows.weeks, start=1):
            week = sums(self.n, max(first, _day(a)), _day(b), ("records", "attended"))
            frame |= {f"records_w{k}": week["records"], f"attended_w{k}": week["attended"]}
        frame["days_ytd"] = ytd["days"]
        weeks = self._weeks_with_data(windows.year_start)
        frame["weeks_of_data"] = weeks.sums(self.n, year, t)["first"]
        frame["longest_streak"] = self._longest_streak(windows)
        return pd.DataFrame(frame)

    def _weeks_with_data(self, year_start: dt.date) -> _Totals:
        """Running totals of each student's first recorded day of every week, counting only
        days from `year_start` on: a window's sum is its weeks with data."""
        if year_start not in self._weeks:
            keys, days = self.attendance.keys, self.attendance.days
            inside = days >= _day(year_start)
            first = inside.copy()
            same_week = (keys[1:] == keys[:-1]) & (days[1:] // 7 == days[:-1] // 7)
            first[1:] &= ~(same_week & inside[:-1])
            self._weeks[year_start] = _Totals(keys, days, {"first": first})
        return self._weeks[year_start]

    def _longest_streak(self, windows: Windows) -> np.ndarray:
        """Most consecutive school days missed this year up to T (as `_longest_streak`)."""
        starts, ends, owners, school_days = self._missed_runs(windows.year_start)
        n_days = np.searchsorted(school_days, _day(windows.as_of), side="right")
        lengths = np.clip(np.minimum(ends, n_days - 1) - starts + 1, 0, None)
        longest = np.zeros(self.n, dtype=np.int64)
        np.maximum.at(longest, owners, lengths)
        return longest

    def _missed_runs(self, year_start: dt.date) -> tuple[np.ndarray, ...]:
        """The year's runs of missed school days: first and last position in the year's school
        days, and whose; with the year's school days as day numbers."""
        if year_start not in self._runs:
            school_days = _day_numbers(sorted(self._school_days.get(year_start, [])))
            keys, days = self.attendance.keys, self.attendance.days
            last = school_days[-1] if len(school_days) else -1
            chosen = self._missed & (days >= _day(year_start)) & (days <= last)
            keys, position = keys[chosen], np.searchsorted(school_days, days[chosen])
            starts = np.ones(len(keys), dtype=bool)
            starts[1:] = (keys[1:] != keys[:-1]) | (position[1:] != position[:-1] + 1)
            first = np.flatnonzero(starts)
            last = np.append(first[1:], len(keys))[: len(first)] - 1  # no run: empty
            self._runs[year_start] = (position[first], position[last], keys[first], school_days)
        return self._runs[year_start]

    def _grades(self, windows: Windows) -> pd.DataFrame:
        t, year = _day(windows.as_of), _day(windows.year_start)
        n = len(self.pair_students)
        present = self.grades.sums(n, year, t, ("graded",))["graded"] > 0
        frame = {
            "student_id": self.pair_students[present],
            "course_id": self.pair_courses[present],
        }
        for key, day in windows.gpa_cutoffs.items():
            last = _day(day) if day < windows.as_of else t
            sums = self.grades.sums(n, year, last, ("units", "graded"))
            frame[f"value_{key}"] = sums["units"][present]
            frame[f"graded_{key}"] = sums["graded"][present]
        recent = self.grades.sums(n, max(year, _day(windows.last_30)), t, ("zeros",))
        frame["zeros_30d"] = recent["zeros"][present]
        return pd.DataFrame(frame)

    def _incidents(self, windows: Windows) -> pd.DataFrame:
        t, first = _day(windows.as_of), _day(windows.incidents_from)
        sums = self.incidents.sums
        frame = {"student_id": self.ids}
        recent = sums(self.n, max(first, _day(windows.last_90)), t)
        for level in range(1, 6):
            frame[f"severity_{level}_90d"] = recent[f"severity_{level}"]
        for k, (a, b) in enumerate(windows.weeks, start=1):
            week = sums(self.n, max(first, _day(a)), _day(b), ("count",))
            frame[f"incidents_w{k}"] = week["count"]
        year = max(first, _day(windows.year_start))
        frame["incidents_ytd"] = sums(self.n, year, t, ("count",))["count"]
        lo, hi = self.incidents.bounds(self.n, first, t)
        last = self.incidents.days[np.maximum(hi - 1, 0)] if len(self.incidents.days) else hi
        frame["last_incident"] = np.where(
            hi > lo, _EPOCH + last.astype("timedelta64[D]"), np.datetime64("NaT", "D")
        ).astype("datetime64[ns]")
        return pd.DataFrame(frame)


def compute(windows: Windows, records: Records) -> pd.DataFrame:
    """One row per student: student_id, attendance_rate, gpa_current, discipline_incidents,
    feature_vector (the document in the schema document's structure, as compact JSON text)."""
    # Students become positions 0..n-1, the index of every per-student series below.
    ids = pd.Index(records.students["student_id"])
    students = records.students.reset_index(drop=True)
    index = students.index
    t = pd.Timestamp(windows.as_of)
    start = pd.Timestamp(windows.year_start)
    attendance = _by_position(records.attendance, ids)
    incidents = _by_position(records.incidents, ids)
    weeks = range(1, WEEKS + 1)

    out = pd.DataFrame(index=index)
    out["attendance_rate_ytd"] = _rate(attendance, "ytd")
    out["attendance_rate_30d"] = _rate(attendance, "30d")
    # Missing is missing: without an attendance record in a window, its counts are NULL, not 0
    # (a school that sends no attendance must not read as perfect attendance).
    recorded_30d = attendance["records_30d"].fillna(0) > 0
    recorded_ytd = attendance["records_ytd"].fillna(0) > 0
    for name in ("absences_30d", "excused_absences_30d", "tardies_30d"):
        out[name] = _counted(attendance[name]).where(recorded_30d)
    if "longest_streak" in attendance:  # RunningTotals counts it directly
        streak = _counted(attendance["longest_streak"])
    else:
        streak = _longest_streak(attendance["missed_days"], records.school_days)
    out["longest_absence_streak"] = streak.where(recorded_ytd)
    weekly_attendance = [_rate(attendance, f"w{k}") for k in weeks]

    district = district_settings.current()
    gpa, averages, course_ids, zeros = _grades(records.grades, ids, windows, district)
    out["gpa_current"] = gpa["w4"]
    out["gpa_change_6w"] = gpa["w4"] - gpa["6w"]
    out["gpa_change_ytd"] = (
        (gpa["w4"] - gpa["base"]) if windows.as_of > windows.gpa_baseline else np.nan
    )
    has_grades = averages.groupby(level=0).size().reindex(index)
    out["courses_failing"] = (
        (averages < district.pass_mark).groupby(level=0).sum().reindex(index).where(has_grades > 0)
    )
    out["lowest_course_average"] = averages.groupby(level=0).min().reindex(index)
    standing = _standing(averages, course_ids, records.courses)
    out["course_standing_mean"] = standing.groupby(level=0).mean().reindex(index)
    out["course_standing_lowest"] = standing.groupby(level=0).min().reindex(index)
    out["missing_assignments_30d"] = zeros.where(has_grades.notna())

    out["incidents_ytd"] = _counted(incidents["incidents_ytd"])
    for level in range(1, 6):
        out[f"incidents_90d_severity_{level}"] = _counted(incidents[f"severity_{level}_90d"])
    out["days_since_last_incident"] = (t - pd.to_datetime(incidents["last_incident"])).dt.days
    weekly_incidents = [_counted(incidents[f"incidents_w{k}"]) for k in weeks]

    out["overage_years"] = _overage(students, start)
    enrolled = pd.to_datetime(students["enrollment_date"])
    out["mid_year_entry"] = (enrolled > start + pd.Timedelta(days=MID_YEAR_GRACE)).astype(float)
    out["weeks_of_data"] = _counted(attendance["weeks_of_data"])
    out["data_quality"] = _data_quality(
        _counted(attendance["days_ytd"]), records.school_days, enrolled, start
    )

    weekly_gpa = [gpa[f"w{k}"] for k in weeks]
    trends = [_slope(weekly_attendance), _slope(weekly_gpa), _slope(weekly_incidents)]
    # The grade and school the student had on T (analytics/selectors.py reads them from the
    # enrollment history): training rows of earlier years never see this year's grade.
    on_t = {
        "grade_level": _json_values(students["grade_level"].astype(float), 0),
        "school": [None if s != s else s for s in students.get("school", [None] * len(ids))],
    }
    return _documents(ids, out, weekly_attendance, weekly_gpa, weekly_incidents, trends, on_t)


def _documents(
    ids, out, weekly_attendance, weekly_gpa, weekly_incidents, trends, on_t
) -> pd.DataFrame:
    """The rows to store, each document as compact JSON text in the schema document's
    structure (`feature_vector`). The text is put together from each column's numbers, all
    formatted at once as `json` writes them (`json_texts`), and joined row by row by Arrow:
    building a dict per student and encoding it is several times slower, and a backfill writes
    millions of these."""
    lists = {
        "attendance": (weekly_attendance, 4),
        "academic": (weekly_gpa, 3),
        "behavioral": (weekly_incidents, 4),
        "trends": (trends, 4),
    }
    # Each group of columns formatted in one pass (per-call overhead, not per-number, is what
    # a chunk of 5,000 students pays for a column alone).
    formatted = _json_columns([out[name] for name in FEATURE_NAMES])
    features = dict(zip(FEATURE_NAMES, formatted, strict=True))
    texts = {key: _json_columns(values, digits) for key, (values, digits) in lists.items()}
    grade_levels = ["null" if g is None else str(int(g)) for g in on_t["grade_level"]]
    schools = [json.dumps(school) for school in on_t["school"]]  # None is null
    # The document's pieces in order: literal text between the columns' texts.
    pieces: list = ["{"]
    for n, (key, columns) in enumerate(texts.items()):
        pieces.append(f'{"," if n else ""}"{key}":[')
        for k, column in enumerate(columns):
            pieces += [*([","] if k else []), column]
        pieces.append("]")
    metadata = {
        "weeks_of_data": features["weeks_of_data"],
        "data_quality": features["data_quality"],
        "grade_level": pa.array(grade_levels, pa.string()),
        "school": pa.array(schools, pa.string()),
    }
    for opening, members in ((',"metadata":{', metadata), ('},"features":{', features)):
        for n, (key, column) in enumerate(members.items()):
            pieces += [opening if n == 0 else ",", f'"{key}":', column]
    pieces.append("}}")
    documents = pc.binary_join_element_wise(*_merged(pieces), "")
    return pd.DataFrame(
        {
            "student_id": ids,
            "attendance_rate": _json_values(out["attendance_rate_ytd"]),
            "gpa_current": _json_values(out["gpa_current"]),
            "discipline_incidents": _json_values(out["incidents_ytd"]),
            "feature_vector": documents.to_pylist(),
        },
        dtype=object,  # object: None stays None
    )


# --- helpers -------------------------------------------------------------------------------------
def _by_position(frame: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """The per-student rows, indexed by the student's position in `ids`; NaN rows for students
    the reader returned nothing for."""
    positions = ids.get_indexer(frame["student_id"])
    frame = frame[positions >= 0].set_axis(positions[positions >= 0])
    return frame.reindex(range(len(ids)))


def _counted(values: pd.Series) -> pd.Series:
    """A count of events: 0 where the student has none (no row)."""
    return values.fillna(0).astype(float)


def _rate(attendance: pd.DataFrame, window: str) -> pd.Series:
    """Attended records / all records; NaN without a record (missing is missing)."""
    records = attendance[f"records_{window}"].astype(float)
    return attendance[f"attended_{window}"].astype(float) / records.where(records > 0)


def _longest_streak(missed_days: pd.Series, school_days: list[dt.date]) -> pd.Series:
    """Most consecutive school days missed (a school day without a record breaks a streak)."""
    texts = missed_days.dropna().astype(str)
    texts = texts[texts != ""]
    longest = pd.Series(0.0, index=missed_days.index)
    if texts.empty:
        return longest
    dates = np.array(" ".join(texts).split(), dtype="datetime64[D]")
    owner = np.repeat(texts.index.to_numpy(), texts.str.count(" ").to_numpy() + 1)
    position = np.searchsorted(np.array(sorted(school_days), dtype="datetime64[D]"), dates)
    order = np.lexsort((position, owner))
    owner, position = owner[order], position[order]
    # A run starts at a student's first missed day and after every school day not missed.
    starts = np.ones(len(position), dtype=bool)
    starts[1:] = (owner[1:] != owner[:-1]) | (position[1:] != position[:-1] + 1)
    lengths = np.bincount(np.cumsum(starts) - 1)
    runs = pd.Series(lengths, index=owner[starts]).groupby(level=0).max()
    return runs.reindex(missed_days.index, fill_value=0).astype(float)


def _grades(grades: pd.DataFrame, ids: pd.Index, windows: Windows, district):
    """(GPA per student as of each of `windows.gpa_cutoffs`, one column each; the course averages
    as of T, indexed by student position, and their courses; the grades of 0 in the last 30 days
    per student)."""
    positions = ids.get_indexer(grades["student_id"])
    grades = grades[positions >= 0].set_axis(positions[positions >= 0])
    index = range(len(ids))
    gpa = pd.DataFrame(index=index)
    averages = pd.Series(dtype=float)
    course_ids = pd.Series(dtype=object)
    for key in windows.gpa_cutoffs:
        graded = grades[grades[f"graded_{key}"] > 0]
        # One division of two exact integers: the exact mean, rounded once, so that grades
        # averaging exactly 80 make a B (summing floats could give 79.99999999999999).
        course_averages = graded[f"value_{key}"] / (graded[f"graded_{key}"] * GRADE_UNITS)
        gpa[key] = district.points(course_averages).groupby(level=0).mean().reindex(index)
        if key == f"w{WEEKS}":
            averages, course_ids = course_averages, graded["course_id"].astype(str)
    zeros = grades["zeros_30d"].groupby(level=0).sum().reindex(index, fill_value=0).astype(float)
    return gpa, averages, course_ids, zeros


def _standing(averages: pd.Series, course_ids: pd.Series, courses) -> pd.Series:
    """Each course average's standing within its course: (average - the course's mean mark) /
    the spread of the course's marks (a z-score, docs/features.md), cut to +-STANDING_LIMIT;
    NaN in a course without enough marks. Indexed like `averages` (student positions)."""
    if courses is None or courses.empty or averages.empty:
        return pd.Series(np.nan, index=averages.index, dtype=float)
    by_course = courses.set_index("course_id")
    mean = course_ids.map(by_course["mean"]).astype(float)
    spread = course_ids.map(by_course["spread"]).astype(float)
    return ((averages - mean) / spread).clip(-STANDING_LIMIT, STANDING_LIMIT)


def _overage(students: pd.DataFrame, year_start: pd.Timestamp) -> pd.Series:
    """Years older than expected for the grade on the first day of the school year (K at 5);
    only in grades K-12 (missing for other learners: adults, pre-kindergarten)."""
    born = pd.to_datetime(students["date_of_birth"])
    age = (year_start - born).dt.days / 365.25
    grade = students["grade_level"].astype(float)
    k12 = grade.between(min(district_settings.K12_GRADES), max(district_settings.K12_GRADES))
    return (age - (grade + 5)).round(2).where(k12)


def _data_quality(recorded, school_days, enrolled, year_start) -> pd.Series:
    """Recorded school days / the school days since the later of the year's start and
    enrollment; NaN before the first school day."""
    days = pd.to_datetime(pd.Series(school_days, dtype=object)).to_numpy(dtype="datetime64[ns]")
    days = np.sort(days[days >= year_start.to_datetime64()])
    since = enrolled.where(enrolled > year_start, year_start).fillna(year_start)
    expected = len(days) - np.searchsorted(days, since.to_numpy(dtype="datetime64[ns]"))
    expected = pd.Series(expected, index=recorded.index).astype(float)
    return (recorded / expected.where(expected > 0)).clip(upper=1.0)


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


def _json_values(values: pd.Series, digits: int = 4) -> list[float | None]:
    """Numbers for JSON: None for missing (NaN), else plain floats, rounded."""
    return [None if v != v else round(v, digits) for v in values.to_numpy(dtype=float).tolist()]


def _json_columns(columns: list[pd.Series], digits: int = 4) -> list[pa.StringArray]:
    """Several columns' numbers as `json_texts` writes them, formatted in one pass: one text
    array per column."""
    n = len(columns[0])
    texts = json_texts(np.concatenate([c.to_numpy(dtype=float) for c in columns]), digits)
    return [texts.slice(k * n, n) for k in range(len(columns))]


def json_texts(values, digits: int = 4) -> pa.StringArray:
    """The numbers as `json` writes them rounded (repr(round(v, digits))), all at once: null for
    missing, else the shortest decimal with at least one digit after the point (digits >= 1).

    Each number is the integer nearest v x 10^digits, written as whole and fraction digits with
    the fraction's trailing zeros cut, by Arrow's string kernels. Where the product lies within a
    hair of a half (its own rounding may have carried it across) or is too large for an exact
    integer, the number is formatted alone, as json would."""
    v = np.asarray(values, dtype=float)
    scale = 10**digits
    missing = np.isnan(v)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = v * scale
        clear = (np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) > 1e-6) & (
            np.abs(scaled) < 2.0**52
        )
    doubtful = ~missing & ~clear
    units = np.abs(np.rint(np.where(clear, scaled, 0.0))).astype(np.int64)
    whole = pc.cast(pa.array(units // scale), pa.string())
    fraction = pc.utf8_rtrim(
        pc.utf8_lpad(pc.cast(pa.array(units % scale), pa.string()), digits, "0"), "0"
    )
    fraction = pc.if_else(pc.equal(fraction, ""), "0", fraction)
    text = pc.binary_join_element_wise(whole, fraction, ".")
    text = pc.if_else(pa.array(np.signbit(v)), pc.binary_join_element_wise("-", text, ""), text)
    text = pc.if_else(pa.array(missing), "null", text)
    if doubtful.any():
        exact = [_fixed_text(x, digits) for x in v[doubtful].tolist()]
        text = pc.replace_with_mask(text, pa.array(doubtful), pa.array(exact, pa.string()))
    return text


def _merged(pieces: list) -> list:
    """Adjacent literal strings joined into one (fewer arguments for the row-wise join)."""
    out: list = []
    for piece in pieces:
        if isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _fixed_text(value: float, digits: int) -> str:
    """json's text of one finite number, rounded."""
    return repr(round(value, digits))
