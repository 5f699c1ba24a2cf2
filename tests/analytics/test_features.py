"""Hand-made cases with known answers for every feature, through the database: the SQL sums
(analytics/selectors.py) and the pandas (analytics/features.py) together, on SQLite and
PostgreSQL alike (the suite runs on both).

As of Sunday 2025-10-05 (school year from 2025-08-01). The four weeks, oldest first:
Sep 8-14, Sep 15-21, Sep 22-28, Sep 29-Oct 5. Labor Day (Sep 1) has no records.
"""

import datetime as dt
import json

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analytics import district_settings
from analytics.features import FEATURE_NAMES, Windows, compute, json_texts, school_year_start
from analytics.models import DistrictSettings, StudentFeatures
from analytics.selectors import chunk_records, cohort_ids, school_days
from analytics.services import features_compute
from tests.records.factories import (
    AttendanceRecordFactory,
    DisciplineIncidentFactory,
    GradeFactory,
)
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db
T = dt.date(2025, 10, 5)


def _weekdays(first: str, last: str) -> list[str]:
    return [d.date().isoformat() for d in pd.bdate_range(first, last)]


def _attend(student, statuses_by_date):
    """Attendance records: {date: [status per period]}; one status is a whole-day record."""
    for date, statuses in statuses_by_date.items():
        periods = [None] if len(statuses) == 1 else range(1, len(statuses) + 1)
        for period, status in zip(periods, statuses, strict=True):
            AttendanceRecordFactory(student=student, date=date, status=status, period=period)


def _grade(student, course, date, value):
    GradeFactory(student=student, course_id=course, submission_date=date, grade_value=value)


def _incident(student, date, severity):
    DisciplineIncidentFactory(student=student, incident_date=date, severity_level=severity)


@pytest.fixture
def students():
    """Students A, B and C, with their records up to T."""
    a = StudentFactory(
        date_of_birth=dt.date(2015, 3, 1), grade_level=5, enrollment_date=dt.date(2020, 8, 15)
    )
    b = StudentFactory(
        date_of_birth=dt.date(2008, 1, 1), grade_level=11, enrollment_date=dt.date(2025, 9, 29)
    )
    c = StudentFactory(
        date_of_birth=dt.date(2012, 6, 1), grade_level=7, enrollment_date=dt.date(2025, 8, 1)
    )
    a_days = {d: ["present"] for d in _weekdays("2025-09-08", "2025-10-03")}
    a_days["2025-09-15"] = ["absent"]
    a_days["2025-09-16"] = ["excused"]
    a_days["2025-09-22"] = ["tardy"]
    for d in ("2025-10-01", "2025-10-02", "2025-10-03"):
        a_days[d] = ["absent"]
    _attend(a, a_days)
    _attend(
        b,
        {
            "2025-09-29": ["excused", "excused"],
            "2025-09-30": ["absent", "present"],
            "2025-10-01": ["present", "present"],
        },
    )
    _grade(a, "MATH", "2025-09-10", 95.0)
    _grade(a, "MATH", "2025-09-24", 85.0)
    _grade(a, "ENG", "2025-09-12", 65.0)
    _grade(a, "ENG", "2025-10-02", 0.0)
    _incident(a, "2025-09-10", 2)
    _incident(a, "2025-10-03", 4)
    _incident(a, "2025-10-05", 1)
    _incident(c, "2025-05-01", 3)
    return {"A": a, "B": b, "C": c}


def _add_records_after_t(students):
    a, c = students["A"], students["C"]
    _attend(a, {"2025-10-06": ["absent"]})
    _attend(c, {"2025-10-07": ["present"]})
    _grade(a, "ENG", "2025-10-07", 100.0)
    _grade(c, "SCI", "2025-10-06", 10.0)
    _incident(a, "2025-10-06", 5)


def _computed(students, as_of=T, **options):
    """{letter: the student's stored row as of `as_of`}."""
    features_compute(as_of=as_of, **options)
    stored = {f.student_id: f for f in StudentFeatures.objects.filter(feature_date=as_of)}
    return {letter: stored[student.pk] for letter, student in students.items()}


@pytest.fixture
def rows(students):
    return _computed(students)


def test_school_year_starts_on_august_first():
    assert school_year_start(dt.date(2025, 10, 5)) == dt.date(2025, 8, 1)
    assert school_year_start(dt.date(2026, 3, 1)) == dt.date(2025, 8, 1)
    assert school_year_start(dt.date(2025, 8, 1)) == dt.date(2025, 8, 1)


def test_weekly_attendance_counts_tardy_as_attended_and_excused_as_missed(rows):
    assert rows["A"].feature_vector["attendance"] == [1.0, 0.6, 1.0, 0.4]


def test_attendance_rates_over_the_year_and_30_days(rows):
    features = rows["A"].feature_vector["features"]
    assert rows["A"].attendance_rate == features["attendance_rate_ytd"] == 0.75
    assert features["attendance_rate_30d"] == 0.75


def test_absences_excused_absences_and_tardies_in_30_days(rows):
    features = rows["A"].feature_vector["features"]
    assert features["absences_30d"] == 5
    assert features["excused_absences_30d"] == 1
    assert features["tardies_30d"] == 1


def test_longest_absence_streak_counts_consecutive_school_days(rows):
    assert rows["A"].feature_vector["features"]["longest_absence_streak"] == 3


def test_a_holiday_is_not_a_school_day():
    """Friday Sep 19 is a holiday: nobody in the district has a record. It does not count in
    week 2's rate, in the school days expected of D, nor as a break in D's absence streak
    (Thu Sep 18 and Mon Sep 22 are consecutive school days). Wed Oct 1 is a school day (E has a
    record) on which D has none: missing data, not an absence."""
    enrolled = dt.date(2025, 8, 1)
    d = StudentFactory(date_of_birth=dt.date(2012, 1, 1), grade_level=8, enrollment_date=enrolled)
    e = StudentFactory(date_of_birth=dt.date(2012, 1, 1), grade_level=8, enrollment_date=enrolled)
    school = [day for day in _weekdays("2025-09-08", "2025-10-03") if day != "2025-09-19"]
    _attend(e, {day: ["present"] for day in school})
    d_days = {day: ["present"] for day in school if day != "2025-10-01"}
    d_days["2025-09-18"] = ["absent"]
    d_days["2025-09-22"] = ["absent"]
    _attend(d, d_days)
    row = _computed({"D": d})["D"]
    vector = row.feature_vector
    # Week 2: Sep 15-18 (4 school days, 1 missed); week 3: 1 of 5 missed; week 4: 4 recorded.
    assert vector["attendance"] == [1.0, 0.75, 0.8, 1.0]
    assert vector["features"]["longest_absence_streak"] == 2
    # 19 school days, 18 of them recorded for D, 16 attended.
    # The grade and school on T (no enrollment history here: the current values).
    assert vector["metadata"] == {
        "weeks_of_data": 4,
        "data_quality": round(18 / 19, 4),
        "grade_level": 8,
        "school": None,
    }
    assert row.attendance_rate == pytest.approx(16 / 18, abs=1e-4)


def test_per_period_days_count_each_period_and_half_a_day_missed_is_a_missed_day(rows):
    vector = rows["B"].feature_vector
    assert vector["attendance"] == [None, None, None, 0.5]
    assert vector["features"]["absences_30d"] == 2
    assert vector["features"]["excused_absences_30d"] == 1


def test_a_student_with_no_records_has_missing_values_not_zeros(rows):
    vector = rows["C"].feature_vector
    assert rows["C"].attendance_rate is None
    assert vector["attendance"] == [None, None, None, None]
    assert rows["C"].gpa_current is None
    assert vector["academic"] == [None, None, None, None]
    assert vector["features"]["courses_failing"] is None
    assert vector["features"]["missing_assignments_30d"] is None
    # No attendance feed is not perfect attendance: every attendance count is missing too.
    for name in ("absences_30d", "excused_absences_30d", "tardies_30d", "longest_absence_streak"):
        assert vector["features"][name] is None, name
    assert vector["features"]["incidents_ytd"] == 0  # no incident record: no incident
    assert _coverage(vector) == {"weeks_of_data": 0, "data_quality": 0.0}
    assert vector["trends"][:2] == [None, None]


def test_gpa_comes_from_course_averages_as_grade_points(rows):
    vector = rows["A"].feature_vector
    # MATH averages 90 (A, 4 points); ENG 65 (D, 1) until a missing homework (0) makes it 32.5 (F).
    assert rows["A"].gpa_current == 2.0
    assert vector["academic"] == [2.5, 2.5, 2.5, 2.0]
    assert vector["features"]["courses_failing"] == 1
    assert vector["features"]["lowest_course_average"] == 32.5
    assert vector["features"]["missing_assignments_30d"] == 1


def test_gpa_changes_are_missing_without_grades_to_compare_with(rows):
    features = rows["A"].feature_vector["features"]
    assert features["gpa_change_6w"] is None  # no grade before Aug 24
    assert features["gpa_change_ytd"] is None  # no grade in the year's first 4 weeks


def test_gpa_changes_over_six_weeks_and_the_year(students):
    features = _computed(students, as_of=dt.date(2025, 11, 9))["A"].feature_vector["features"]
    assert features["gpa_change_6w"] == -0.5  # 2.5 on Sep 28, 2.0 on Nov 9


def test_incidents_by_week_severity_and_recency(rows):
    vector = rows["A"].feature_vector
    assert vector["behavioral"] == [1, 0, 0, 2]
    assert rows["A"].discipline_incidents == 3
    features = vector["features"]
    assert [features[f"incidents_90d_severity_{s}"] for s in range(1, 6)] == [1, 1, 0, 1, 0]
    assert features["days_since_last_incident"] == 0


def test_last_years_incident_counts_for_recency_but_not_this_year(rows):
    features = rows["C"].feature_vector["features"]
    assert features["incidents_ytd"] == 0
    assert features["days_since_last_incident"] == 157


def test_trends_are_least_squares_slopes_per_week(rows):
    attendance, gpa, incidents = rows["A"].feature_vector["trends"]
    assert attendance == pytest.approx(-0.14)
    assert gpa == pytest.approx(-0.15)
    assert incidents == pytest.approx(0.3)


def test_age_for_grade_and_mid_year_entry(rows):
    assert rows["A"].feature_vector["features"]["overage_years"] == pytest.approx(0.42, abs=0.01)
    assert rows["A"].feature_vector["features"]["mid_year_entry"] == 0
    assert rows["B"].feature_vector["features"]["mid_year_entry"] == 1


def test_data_quality_is_the_share_of_expected_school_days_recorded(rows):
    assert _coverage(rows["A"].feature_vector) == {"weeks_of_data": 4, "data_quality": 1.0}
    # B enrolled on Sep 29: 5 school days expected, 3 recorded.
    assert _coverage(rows["B"].feature_vector) == {"weeks_of_data": 1, "data_quality": 0.6}


def _coverage(vector) -> dict:
    """The data-coverage part of a vector's metadata (the rest is the grade and school on T)."""
    return {k: vector["metadata"][k] for k in ("weeks_of_data", "data_quality")}


def _stored(row):
    return (row.attendance_rate, row.gpa_current, row.discipline_incidents, row.feature_vector)


def test_records_dated_after_the_as_of_date_change_nothing(students, rows):
    _add_records_after_t(students)
    with_later = _computed(students)
    assert {k: _stored(v) for k, v in rows.items()} == {
        k: _stored(v) for k, v in with_later.items()
    }


def test_every_feature_is_in_every_vector(students):
    # Computed, not stored: PostgreSQL's jsonb keeps the keys but not their order.
    windows = Windows(T)
    records = chunk_records(
        windows=windows,
        student_ids=cohort_ids(as_of=T),
        school_days=school_days(first=windows.year_start, last=T),
    )
    for row in compute(windows, records).itertuples(index=False):
        vector = json.loads(row.feature_vector)  # the JSON text, as written
        assert tuple(vector["features"]) == FEATURE_NAMES
        assert set(vector) == {
            "attendance", "academic", "behavioral", "trends", "metadata", "features"
        }  # fmt: skip


def test_grades_averaging_exactly_80_make_a_b(students):
    # Summed as floats, 83.6 + 64.1 + 92.3 over 3 is 79.99999999999999: a C.
    d = StudentFactory(grade_level=9, enrollment_date=dt.date(2025, 8, 18))
    for day, value in (("2025-09-08", 83.6), ("2025-09-15", 64.1), ("2025-09-22", 92.3)):
        _grade(d, "BIO", day, value)
    row = _computed({"D": d})["D"]
    assert row.gpa_current == 3.0
    assert row.feature_vector["features"]["lowest_course_average"] == 80.0


def test_school_days_are_the_districts_whichever_students_a_chunk_holds(students):
    # Alone in its chunk, B still expects the 5 school days from Sep 29 on that A attended.
    rows = _computed(students, chunk_size=1)
    assert _coverage(rows["B"].feature_vector) == {"weeks_of_data": 1, "data_quality": 0.6}
    assert rows["A"].feature_vector["features"]["longest_absence_streak"] == 3


def test_the_districts_grading_scale_and_school_year_drive_the_features(students):
    """A pass mark of 40, its own letter bands and a school year starting in October (district
    settings): ENG at 65 then 32.5 passes; GPA points follow the district's bands."""
    DistrictSettings.objects.create(
        school_year_start_month=9,
        school_year_start_day=1,
        pass_mark=40,
        grade_bands=[
            {"letter": "A", "min": 85, "points": 4.0},
            {"letter": "B", "min": 70, "points": 3.0},
            {"letter": "C", "min": 55, "points": 2.0},
            {"letter": "D", "min": 40, "points": 1.0},
        ],
    )
    assert school_year_start(T) == dt.date(2025, 9, 1)
    features = _computed(students)["A"].feature_vector["features"]
    # MATH: grades from Sep 10 on, average 90 (A, 4); ENG 65 then 32.5 with the 0 (F below 40).
    assert features["gpa_current"] == 2.0
    assert features["courses_failing"] == 1
    bands = [{"letter": "P", "min": 30, "points": 1}]
    DistrictSettings.objects.update(pass_mark=30, grade_bands=bands)
    district_settings.clear()  # update() sends no signal
    features = _computed(students)["A"].feature_vector["features"]
    assert features["courses_failing"] == 0
    assert features["gpa_current"] == 1.0


def test_a_school_year_starting_in_october_and_over_age_only_with_a_k12_grade(students):
    DistrictSettings.objects.create(school_year_start_month=10, school_year_start_day=1)
    assert school_year_start(dt.date(2025, 9, 30)) == dt.date(2024, 10, 1)
    assert school_year_start(T) == dt.date(2025, 10, 1)
    # A learner outside K-12 (an adult programme: no grade level) has no over-age.
    adult = StudentFactory(date_of_birth=dt.date(1990, 1, 1), grade_level=None)
    _attend(adult, {"2025-10-02": ["present"]})
    rows = _computed({**students, "adult": adult})
    assert rows["adult"].feature_vector["features"]["overage_years"] is None
    assert rows["B"].feature_vector["features"]["overage_years"] is not None


def test_course_standing_places_each_average_among_the_same_courses_marks():
    # A harshly graded course: every mark is low, and the student with 40s is below classmates
    # with 50s; a generously graded course where the same student is at the course's mean.
    marks = {
        "low": {"HARD": [40.0, 40.0, 40.0], "EASY": [90.0, 90.0, 90.0]},
        "mid": {"HARD": [50.0, 50.0, 50.0], "EASY": [85.0, 95.0, 90.0]},
        "top": {"HARD": [60.0, 60.0, 60.0], "EASY": [95.0, 85.0, 90.0]},
        "other": {"HARD": [50.0, 50.0, 50.0], "EASY": [90.0, 90.0, 90.0]},
    }
    dates = ["2025-09-10", "2025-09-17", "2025-09-24"]
    students = {}
    for name, courses in marks.items():
        students[name] = StudentFactory(grade_level=9)
        for course, values in courses.items():
            for date, value in zip(dates, values, strict=True):
                _grade(students[name], course, date, value)
    features_compute(as_of=T)
    stored = {f.student_id: f.feature_vector["features"] for f in StudentFeatures.objects.all()}

    hard = pd.Series([v for c in marks.values() for v in c["HARD"]])
    easy = pd.Series([v for c in marks.values() for v in c["EASY"]])
    hard_z = (40.0 - hard.mean()) / hard.std(ddof=0)  # the course's mean 50, spread about 7.07
    low = stored[students["low"].pk]
    assert low["course_standing_lowest"] == pytest.approx(hard_z, abs=1e-4)
    assert low["course_standing_lowest"] < -1.4
    easy_z = (90.0 - easy.mean()) / easy.std(ddof=0)
    assert low["course_standing_mean"] == pytest.approx((hard_z + easy_z) / 2, abs=1e-4)
    assert stored[students["top"].pk]["course_standing_lowest"] == pytest.approx(0.0, abs=1e-4)
    # Absolute marks say the opposite: the harsh course's best student still looks worst there.
    assert stored[students["top"].pk]["lowest_course_average"] == 60.0


def test_a_course_with_too_few_marks_gives_no_standing():
    student = StudentFactory(grade_level=9)
    for date in ("2025-09-10", "2025-09-17"):
        _grade(student, "TINY", date, 30.0)
    features_compute(as_of=T)
    (row,) = StudentFeatures.objects.all()
    assert row.feature_vector["features"]["course_standing_lowest"] is None
    assert row.feature_vector["features"]["lowest_course_average"] == 30.0


@given(
    values=st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=False, width=64),
            st.fractions(max_denominator=64).map(float),  # rates of few days: halves abound
            st.integers(-(10**6), 10**6).map(lambda n: n / 2**5),
        ),
        max_size=60,
    ),
    digits=st.sampled_from([1, 3, 4]),
)
@settings(max_examples=300, deadline=None)
@example(values=[0.00005, -0.00001, -0.0, 0.0, 1e300, 0.28515, 2.5, 0.12345], digits=4)
def test_numbers_in_the_documents_are_written_as_json_writes_them_rounded(values, digits):
    """The documents' numbers are formatted all at once (analytics.features.json_texts); each
    must read exactly as json.dumps(round(v, digits)), null for a missing one."""
    texts = json_texts(pd.Series(values, dtype=float), digits).to_pylist()
    expected = ["null" if v != v else json.dumps(round(v, digits)) for v in values]
    assert texts == expected
