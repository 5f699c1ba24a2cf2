"""Many as-of dates in one pass: the same rows as computing each date alone, each date published
atomically, only the dates asked for replaced."""

import datetime as dt
import json
import threading

import pandas as pd
import pytest

from analytics import features
from analytics.models import StudentFeatures, StudentFeaturesStage
from analytics.services import features_compute, features_compute_range
from records.importing import district_import
from records.synthetic import DistrictSpec, generate_district

pytestmark = pytest.mark.django_db

# Two short school years with holidays, mid-year entries, leavers and records entered late; the
# second in progress. The dates cross the summer and both years.
SPEC = DistrictSpec(
    students=220, schools=3, start=dt.date(2024, 8, 19), school_days=70, seed=9, years=2,
    through=dt.date(2025, 10, 26),
)  # fmt: skip
DATES = [
    dt.date(2024, 8, 19),  # the first day of the first year: windows reaching before it
    dt.date(2024, 9, 1),
    dt.date(2024, 9, 8),
    dt.date(2024, 11, 24),  # Thanksgiving week
    dt.date(2024, 12, 1),
    dt.date(2025, 7, 6),  # the summer: nobody enrolled
    dt.date(2025, 8, 24),
    dt.date(2025, 10, 19),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("range")
    generate_district(SPEC, folder, folder / "truth" / "true_risk.csv")
    return folder


def _rows(dates):
    return {
        (str(r.student_id), r.feature_date): (
            r.attendance_rate,
            r.gpa_current,
            r.discipline_incidents,
            r.feature_vector,
        )
        for r in StudentFeatures.objects.filter(feature_date__in=dates)
    }


def _failing_compute(monkeypatch, on_call: int) -> None:
    """features.compute raises on its `on_call`-th call (from any thread)."""
    real = features.compute
    calls = []

    def failing(windows, records):
        calls.append(windows.as_of)
        if len(calls) == on_call:
            raise RuntimeError("the machine died")
        return real(windows, records)

    monkeypatch.setattr(features, "compute", failing)


def test_a_range_gives_the_same_rows_as_each_date_alone(folder):
    district_import(folder=folder)
    for day in DATES:
        features_compute(as_of=day)
    one_by_one = _rows(DATES)
    standings = [v[3]["features"]["course_standing_lowest"] for v in one_by_one.values()]
    assert sum(s is not None for s in standings) > 1000  # course standings compared too
    StudentFeatures.objects.all().delete()
    written = features_compute_range(dates=DATES, chunk_size=80)  # several chunks
    assert written[dt.date(2025, 7, 6)] == 0
    assert sum(written.values()) == len(one_by_one) > 1000
    assert _rows(DATES) == one_by_one


def test_a_failure_leaves_every_dates_rows_as_they_were(folder, monkeypatch):
    district_import(folder=folder)
    features_compute_range(dates=DATES[:2])
    before = _rows(DATES)
    _failing_compute(monkeypatch, on_call=4)
    with pytest.raises(RuntimeError):
        features_compute_range(dates=DATES, chunk_size=80)
    assert _rows(DATES) == before
    assert not StudentFeaturesStage.objects.exists()


def test_only_the_dates_asked_for_are_replaced(folder):
    district_import(folder=folder)
    features_compute_range(dates=DATES[:3])
    kept = _rows([DATES[0]])
    StudentFeatures.objects.filter(feature_date=DATES[1]).update(gpa_current=None)
    features_compute_range(dates=DATES[1:3])
    assert _rows([DATES[0]]) == kept
    assert StudentFeatures.objects.filter(feature_date=DATES[1], gpa_current__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_chunks_in_two_threads_give_the_same_rows(folder):
    # Outside a transaction, PostgreSQL runs two chunks at once, each in its own connection
    # (SQLite runs them one by one): the rows are those of each date computed alone.
    district_import(folder=folder)
    dates = DATES[-3:]
    for day in dates:
        features_compute(as_of=day)
    one_by_one = _rows(dates)
    StudentFeatures.objects.all().delete()
    written = features_compute_range(dates=dates, chunk_size=60, workers=2)
    assert sum(written.values()) == len(one_by_one) > 300
    assert _rows(dates) == one_by_one


@pytest.mark.django_db(transaction=True)
def test_a_failure_in_a_thread_leaves_every_dates_rows_as_they_were(folder, monkeypatch):
    # The chunks' threads hand rows to one writing transaction: a chunk failing in its thread
    # stops the others, is raised to the caller, and nothing of the range is written.
    district_import(folder=folder)
    dates = DATES[-3:]
    features_compute_range(dates=dates[1:2], workers=2)  # the first is in the summer
    before = _rows(dates)
    assert before
    _failing_compute(monkeypatch, on_call=5)
    threads = threading.active_count()
    with pytest.raises(RuntimeError, match="the machine died"):
        features_compute_range(dates=dates, chunk_size=60, workers=2)
    assert threading.active_count() == threads
    assert _rows(dates) == before


def test_running_totals_of_a_chunk_with_only_an_incident():
    # A chunk without attendance (a school that sends none) or grades: every count from the
    # one incident, no attendance or grade values (missing is missing), no streak.
    empty = {"student_id": pd.Series([], dtype=str), "date": pd.Series([], dtype=str)}
    daily = features.Daily(
        attendance=pd.DataFrame({**empty, "records": [], "absent": [], "excused": [], "tardy": []}),
        grades=pd.DataFrame(
            {**empty, "course_id": pd.Series([], dtype=str), "units": [], "graded": [], "zeros": []}
        ),
        incidents=pd.DataFrame(
            {"student_id": ["a"], "date": ["2025-09-03"], "severity_level": [3]}
        ),
    )
    as_of = dt.date(2025, 9, 14)
    totals = features.RunningTotals(daily, {as_of: []})
    student = {"student_id": ["a"], "date_of_birth": ["2010-01-01"], "grade_level": [9]}
    students = pd.DataFrame({**student, "school": ["X"], "enrollment_date": ["2025-08-18"]})
    records = totals.records(features.Windows(as_of), students, [])
    vector = json.loads(features.compute(features.Windows(as_of), records).feature_vector[0])
    values = vector["features"]
    assert values["incidents_ytd"] == 1 and values["incidents_90d_severity_3"] == 1
    assert values["days_since_last_incident"] == 11
    assert values["attendance_rate_ytd"] is None and values["longest_absence_streak"] is None
    assert values["gpa_current"] is None and values["weeks_of_data"] == 0
