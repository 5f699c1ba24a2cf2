"""Weekly feature vectors, computed from a chunk of students' per-student sums (docs/features.md).

Plain pandas/numpy, no ORM. Every window (its first and last day as of T) is defined once, in
`Windows`; `analytics/selectors.py` sums each student's records over those windows in SQL, taking
the dates as parameters, so about one row per student (per student and course for grades) reaches
this module, which turns the sums into rates, GPAs, trends and the JSON documents. Nothing dated
after T is summed, so a record dated later can never reach T's row.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

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
                 None without any) (attended = present + tardy records; a day is missed when at
                 least half of its records are absent or excused)
    grades:      one row per student and course with grades this year up to T: student_id,
                 course_id, and for each key of `Windows.gpa_cutoffs`, value_<key> (the sum of
                 grade_value up to that day, in GRADE_UNITS) and graded_<key> (how many); zeros_30d
    incidents:   one row per student with incidents from `incidents_from` to T: student_id,
                 incidents_ytd, severity_1_90d..severity_5_90d, incidents_w1..4, last_incident
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
    (analytics.selectors.chunk_daily), from which `records_as_of` gives each as-of date's sums.

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


def records_as_of(
    daily: Daily,
    windows: Windows,
    students: pd.DataFrame,
    school_days: list[dt.date],
    courses: pd.DataFrame | None = None,
) -> Records:
    """T's per-student sums (the `Records` that analytics.selectors.chunk_records reads in SQL)
    from a chunk's daily sums: the same windows, the same integers, for the students given."""
    wanted = set(students["student_id"])
    t = pd.Timestamp(windows.as_of)
    start = pd.Timestamp(windows.year_start)
    last_30 = pd.Timestamp(windows.last_30)
    weeks = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in windows.weeks]

    days = _between(daily.attendance, pd.Timestamp(windows.first_day), t, wanted)
    attended = days["records"] - days["absent"] - days["excused"]
    missed = ((days["absent"] + days["excused"]) * 2 >= days["records"]).astype(int)
    missed_excused = missed * (days["excused"] >= days["absent"]).astype(int)
    ytd = (days["date"] >= start).astype(int)
    recent = (days["date"] >= last_30).astype(int)
    sums = pd.DataFrame({"student_id": days["student_id"]})
    sums["records_ytd"] = days["records"] * ytd
    sums["attended_ytd"] = attended * ytd
    sums["records_30d"] = days["records"] * recent
    sums["attended_30d"] = attended * recent
    sums["absences_30d"] = missed * recent
    sums["excused_absences_30d"] = missed_excused * recent
    sums["tardies_30d"] = days["tardy"] * recent
    for k, (first, last) in enumerate(weeks, start=1):
        inside = days["date"].between(first, last).astype(int)
        sums[f"records_w{k}"] = days["records"] * inside
        sums[f"attended_w{k}"] = attended * inside
    sums["days_ytd"] = ytd
    attendance = sums.groupby("student_id", sort=False).sum()
    week = (days["date"] - _WEEK_ZERO).dt.days // 7
    attendance["weeks_of_data"] = (
        week[ytd == 1].groupby(days["student_id"][ytd == 1]).nunique()
    ).reindex(attendance.index, fill_value=0)
    missed_ytd = days[(ytd == 1) & (missed == 1)]
    attendance["missed_days"] = (
        missed_ytd["date"].dt.strftime("%Y-%m-%d").groupby(missed_ytd["student_id"]).agg(" ".join)
    ).reindex(attendance.index)
    attendance = attendance.reset_index()

    graded = _between(daily.grades, start, t, wanted)
    by_course = pd.DataFrame({"student_id": graded["student_id"], "course_id": graded["course_id"]})
    for key, day in windows.gpa_cutoffs.items():
        before = (graded["date"] <= pd.Timestamp(day)).astype(int) if day < windows.as_of else 1
        by_course[f"value_{key}"] = graded["units"] * before
        by_course[f"graded_{key}"] = graded["graded"] * before
    by_course["zeros_30d"] = graded["zeros"] * (graded["date"] >= last_30).astype(int)
    grades = by_course.groupby(["student_id", "course_id"], sort=False).sum().reset_index()

    events = _between(daily.incidents, pd.Timestamp(windows.incidents_from), t, wanted)
    counts = pd.DataFrame({"student_id": events["student_id"]})
    last_90 = events["date"] >= pd.Timestamp(windows.last_90)
    for level in range(1, 6):
        counts[f"severity_{level}_90d"] = (last_90 & (events["severity_level"] == level)).astype(
            int
        )
    for k, (first, last) in enumerate(weeks, start=1):
        counts[f"incidents_w{k}"] = events["date"].between(first, last).astype(int)
    counts["incidents_ytd"] = (events["date"] >= start).astype(int)
    incidents = counts.groupby("student_id", sort=False).sum()
    incidents["last_incident"] = events.groupby("student_id", sort=False)["date"].max()
    incidents = incidents.reset_index()

    return Records(
        students=students,
        attendance=attendance,
        grades=grades,
        incidents=incidents,
        school_days=school_days,
        courses=courses,
    )


def _between(frame: pd.DataFrame, first, last, students: set) -> pd.DataFrame:
    rows = frame[(frame["date"] >= first) & (frame["date"] <= last)]
    return rows[rows["student_id"].isin(students)].reset_index(drop=True)


def compute(windows: Windows, records: Records) -> pd.DataFrame:
    """One row per student: student_id, attendance_rate, gpa_current, discipline_incidents,
    feature_vector (a dict in the schema document's structure, with NaN as None)."""
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
    out["longest_absence_streak"] = _longest_streak(
        attendance["missed_days"], records.school_days
    ).where(recorded_ytd)
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
    """The rows to store. The numbers become JSON values column by column, as plain Python
    floats: going through pandas or numpy student by student is several times slower."""
    features = [_json_values(out[name]) for name in FEATURE_NAMES]
    lists = {
        "attendance": [_json_values(w) for w in weekly_attendance],
        "academic": [_json_values(w, 3) for w in weekly_gpa],
        "behavioral": [_json_values(w) for w in weekly_incidents],
        "trends": [_json_values(t) for t in trends],
    }
    rows = []
    weekly_lists = (zip(*values, strict=True) for values in lists.values())
    per_student = zip(
        ids,
        zip(*features, strict=True),
        on_t["grade_level"],
        on_t["school"],
        *weekly_lists,
        strict=True,
    )
    for student_id, values, grade_level, school, *weekly in per_student:
        named = dict(zip(FEATURE_NAMES, values, strict=True))
        vector = {key: list(v) for key, v in zip(lists, weekly, strict=True)}
        vector["metadata"] = {
            "weeks_of_data": named["weeks_of_data"],
            "data_quality": named["data_quality"],
            "grade_level": None if grade_level is None else int(grade_level),
            "school": school,
        }
        vector["features"] = named
        rows.append(
            (
                student_id,
                named["attendance_rate_ytd"],
                named["gpa_current"],
                named["incidents_ytd"],
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
