"""The synthetic district: deterministic, realistic rates, a real calendar, an exact truth file."""

import csv
import dataclasses
import datetime as dt
import filecmp

import pandas as pd
import pytest
from django.core.management import call_command

from records.models import AttendanceRecord, StudentOutcome
from records.synthetic import (
    DistrictSpec,
    Quirks,
    generate_district,
    school_calendar,
    school_list,
)
from students.models import Student
from tests.conftest import SMALL

FILES = (
    "students.csv",
    "enrollments.csv",
    "attendance.csv",
    "grades.csv",
    "discipline.csv",
    "outcomes.csv",
)


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """2,000 students over a full 180-day year: enough for the rates to settle."""
    folder = tmp_path_factory.mktemp("full")
    summary = generate_district(DistrictSpec(students=2000, seed=11), folder, folder / "t.csv")
    return folder, summary


def test_the_same_seed_gives_the_same_district(small_district, tmp_path):
    generate_district(SMALL, tmp_path, tmp_path / "truth" / "true_risk.csv")
    for name in FILES:
        assert filecmp.cmp(small_district / name, tmp_path / name, shallow=False), name
    assert filecmp.cmp(
        small_district / "truth" / "true_risk.csv", tmp_path / "truth" / "true_risk.csv", False
    )


def test_another_seed_gives_another_district(small_district, tmp_path):
    other = DistrictSpec(**{**SMALL.__dict__, "seed": SMALL.seed + 1})
    generate_district(other, tmp_path, tmp_path / "t.csv")
    assert (small_district / "attendance.csv").read_bytes() != (
        tmp_path / "attendance.csv"
    ).read_bytes()


def test_the_calendar_has_only_weekdays_and_no_holidays():
    days = school_calendar(dt.date(2025, 8, 18), 180)
    assert len(days) == 180 == len(set(days))
    assert all(d.weekday() < 5 for d in days)
    for holiday in (dt.date(2025, 9, 1), dt.date(2025, 11, 27), dt.date(2025, 12, 25),
                    dt.date(2026, 1, 1), dt.date(2026, 1, 19)):  # fmt: skip
        assert holiday not in days
    assert days[0] == dt.date(2025, 8, 18)


def test_rates_are_realistic(district):
    _, summary = district
    rates = summary.rates
    assert 0.10 <= rates["chronic_absence"] <= 0.20
    assert 0.01 <= rates["high_school_dropout"] <= 0.08
    assert 0.05 <= rates["failing_a_course"] <= 0.15
    assert 0.01 <= rates["transferred"] <= 0.06
    assert 0.02 <= rates["mid_year_entry"] <= 0.07


def test_every_grade_k_to_12_has_a_realistic_share(district):
    folder, _ = district
    students = pd.read_csv(folder / "students.csv")
    shares = students["grade_level"].value_counts(normalize=True)
    assert sorted(shares.index) == list(range(13))
    assert shares.between(0.05, 0.11).all()
    assert set(students["socioeconomic_status"]) == {"low_income", "not_low_income"}


def test_elementary_attendance_is_daily_and_secondary_per_period(district):
    folder, _ = district
    students = pd.read_csv(folder / "students.csv", usecols=["district_id", "grade_level"])
    attendance = pd.read_csv(folder / "attendance.csv", nrows=400_000).merge(students)
    elementary = attendance[attendance["grade_level"] <= 5]
    secondary = attendance[attendance["grade_level"] >= 6]
    assert elementary["period"].isna().all()
    assert not secondary["period"].isna().any()
    assert set(secondary["period"]) <= set(range(1, 8))
    assert set(attendance["status"]) == {"present", "absent", "tardy", "excused"}


def test_secondary_students_take_4_to_7_courses_with_all_assignment_types(district):
    folder, _ = district
    grades = pd.read_csv(
        folder / "grades.csv", usecols=["district_id", "course_id", "assignment_type"]
    )
    students = pd.read_csv(
        folder / "students.csv", usecols=["district_id", "grade_level", "enrollment_date"]
    )
    outcomes = pd.read_csv(folder / "outcomes.csv", usecols=["district_id", "outcome_type"])
    # Students enrolled the whole year (no mid-year entry, no exit) show all their courses.
    whole_year = students.merge(outcomes).query(
        "grade_level >= 6 and enrollment_date <= '2025-08-18' "
        "and outcome_type not in ('dropped_out', 'transferred')"
    )
    courses = grades.merge(whole_year).groupby("district_id")["course_id"].nunique()
    assert len(courses) > 900
    assert courses.between(4, 7).all()
    assert set(courses) == {4, 5, 6, 7}
    assert set(grades["assignment_type"]) == {"homework", "quiz", "test", "project"}


def test_discipline_uses_the_schema_severities(district):
    folder, _ = district
    incidents = pd.read_csv(folder / "discipline.csv")
    assert set(incidents["severity_level"]) == {1, 2, 3, 4, 5}
    assert not incidents.duplicated(["district_id", "incident_date", "incident_type"]).any()


def test_decline_precedes_adverse_outcomes(district):
    """Students who end badly missed more school than those who did not."""
    folder, _ = district
    outcomes = pd.read_csv(folder / "outcomes.csv")
    attendance = pd.read_csv(folder / "attendance.csv", usecols=["district_id", "status"])
    missed = attendance.assign(missed=attendance["status"].isin(["absent", "excused"]))
    rate = missed.groupby("district_id")["missed"].mean()
    adverse = outcomes.set_index("district_id")["outcome_type"].isin(
        ["dropped_out", "failed", "retained"]
    )
    assert rate[adverse[adverse].index].mean() > 2 * rate[adverse[~adverse].index].mean()


def test_true_risk_matches_the_outcomes_on_average(district):
    """The truth file's probabilities at the first week are calibrated against what happened."""
    folder, _ = district
    truth = pd.read_csv(folder / "t.csv")
    first = truth[truth["as_of"] == truth["as_of"].min()].set_index("district_id")
    outcomes = pd.read_csv(folder / "outcomes.csv").set_index("district_id")
    adverse = outcomes["outcome_type"].isin(["dropped_out", "failed", "retained"])
    observed = adverse[first.index].mean()
    assert truth["p_adverse"].between(0, 1).all()
    assert abs(first["p_adverse"].mean() - observed) < 0.02
    # ... and it ranks students: the riskier half holds most adverse outcomes.
    risky = first["p_adverse"] > first["p_adverse"].median()
    assert (
        adverse[first.index][risky.to_numpy()].sum()
        > 3 * adverse[first.index][~risky.to_numpy()].sum()
    )


def test_true_dropout_risk_within_105_days_matches_the_dropouts(district):
    """P(dropout within 105 days) predicts the dropouts seen, in number and in who."""
    folder, _ = district
    truth = pd.read_csv(folder / "t.csv", parse_dates=["as_of"])
    outcomes = pd.read_csv(folder / "outcomes.csv", parse_dates=["outcome_date"])
    dropped = outcomes[outcomes["outcome_type"] == "dropped_out"].set_index("district_id")
    when = truth["district_id"].map(dropped["outcome_date"])
    truth["happened"] = (when > truth["as_of"]) & (when <= truth["as_of"] + pd.Timedelta(days=105))
    assert truth["p_dropout_105d"].between(0, 1).all()
    # Windows 15 weeks apart do not overlap: their events are independent draws.
    weeks = sorted(truth["as_of"].unique())[::15]
    apart = truth[truth["as_of"].isin(weeks)]
    expected, seen = apart["p_dropout_105d"].sum(), apart["happened"].sum()
    assert expected > 20
    assert abs(seen - expected) < 3 * expected**0.5  # a Poisson count within 3 sigma
    # Those who dropped out had a far higher true risk than those who did not.
    assert (
        apart.groupby("happened")["p_dropout_105d"].mean().pipe(lambda m: m[True] > 10 * m[False])
    )
    # Nothing is generated after the year: the last weeks' windows are shorter.
    last = truth[truth["as_of"] == truth["as_of"].max()]
    assert last["p_dropout_105d"].mean() < truth["p_dropout_105d"].mean() / 3


def test_the_truth_file_is_not_in_the_interchange_folder(small_district):
    with (small_district / "students.csv").open() as f:
        assert "p_adverse" not in next(csv.reader(f))
    assert not (small_district / "true_risk.csv").exists()


@pytest.mark.django_db
def test_the_command_loads_a_district_into_the_database(tmp_path, capsys):
    call_command(
        "generate_district",
        "--load",
        "--students=30",
        "--days=10",
        "--seed=3",
        f"--truth={tmp_path / 'truth.csv'}",
        "--no-progress",
    )
    assert Student.objects.count() == 30
    assert AttendanceRecord.objects.exists()
    assert StudentOutcome.objects.count() == 30
    assert (tmp_path / "truth.csv").exists()
    assert "chronic absence" in capsys.readouterr().out


def test_the_command_writes_a_folder(tmp_path):
    call_command(
        "generate_district", f"--out={tmp_path}", "--students=12", "--days=5", "--no-progress"
    )
    assert {p.name for p in tmp_path.iterdir()} == {*FILES, "truth"}


# --- several school years --------------------------------------------------------------------
YEARS = DistrictSpec(students=1500, schools=5, start=dt.date(2023, 8, 21), seed=5, years=3)


@pytest.fixture(scope="module")
def three_years(tmp_path_factory):
    folder = tmp_path_factory.mktemp("three-years")
    summary = generate_district(YEARS, folder, folder / "truth.csv")
    read = {
        name: pd.read_csv(folder / f"{name}.csv", dtype={"district_id": str}, keep_default_na=False)
        for name in ("students", "enrollments", "outcomes")
    }
    return folder, summary, read


def _by_year(enrollments):
    return {
        year: rows.set_index("district_id") for year, rows in enrollments.groupby("school_year")
    }


def test_students_move_up_a_grade_unless_retained(three_years):
    _, _, read = three_years
    years = _by_year(read["enrollments"])
    outcomes = read["outcomes"]
    retained = set(outcomes.loc[outcomes["outcome_type"] == "retained", "district_id"])
    moved = stayed = 0
    for first, second in (("2023-2024", "2024-2025"), ("2024-2025", "2025-2026")):
        both = years[first].index.intersection(years[second].index)
        before, after = (
            years[first].loc[both, "grade_level"],
            years[second].loc[both, "grade_level"],
        )
        held = before[after == before].index
        # Nobody skips a grade or goes back; everyone held back was retained or repeats 12th.
        assert set((after - before).unique()) <= {0, 1}
        assert all(i in retained or before[i] == 12 for i in held)
        moved += int((after == before + 1).sum())
        stayed += len(held)
    assert moved > 20 * stayed > 0


def test_twelfth_graders_graduate_and_leave(three_years):
    _, _, read = three_years
    years = _by_year(read["enrollments"])
    graduated = read["enrollments"][read["enrollments"]["exit_reason"] == "graduated"]
    assert len(graduated) > 100
    assert set(graduated["grade_level"]) == {12}
    first_year = graduated[graduated["school_year"] == "2023-2024"]["district_id"]
    assert not set(first_year) & set(years["2024-2025"].index)
    outcomes = read["outcomes"]
    assert set(first_year) <= set(
        outcomes.loc[outcomes["outcome_type"] == "graduated", "district_id"]
    )


def test_a_kindergarten_class_and_transfers_arrive_every_year(three_years):
    _, _, read = three_years
    years = _by_year(read["enrollments"])
    for year, rows in years.items():
        newcomers = rows[rows.index.str.startswith(("STU1", "STU2")) & (rows.index.str.len() == 11)]
        if year == "2023-2024":
            assert newcomers.empty
            continue
        assert (newcomers["grade_level"] == 0).sum() > 50
        assert (newcomers["entry_date"] > rows["entry_date"].min()).sum() > 20  # mid-year
    # Students change school between levels: a 6th grader who was in 5th grade last year.
    last, this = years["2023-2024"], years["2024-2025"]
    sixth = this[(this["grade_level"] == 6)].index.intersection(
        last[last["grade_level"] == 5].index
    )
    assert len(sixth) > 20
    assert all("Middle" in this.loc[i, "school"] and "Elementary" in last.loc[i, "school"]
               for i in sixth)  # fmt: skip


def test_outcome_rates_are_realistic_in_every_year(three_years):
    _, summary, _ = three_years
    assert [y.school_year for y in summary.years] == ["2023-2024", "2024-2025", "2025-2026"]
    for year in summary.years:
        rates = year.rates
        assert 0.10 <= rates["chronic_absence"] <= 0.20, year
        assert 0.01 <= rates["high_school_dropout"] <= 0.08, year
        assert 0.05 <= rates["failing_a_course_6_12"] <= 0.15, year
        assert 0.005 <= rates["retained_k_8"] <= 0.035, year


def test_the_students_file_holds_the_current_grade_and_school(three_years):
    _, _, read = three_years
    latest = read["enrollments"].sort_values("entry_date").groupby("district_id").last()
    students = read["students"].set_index("district_id")
    assert len(students) == len(latest)
    assert (students.loc[latest.index, "grade_level"] == latest["grade_level"]).all()
    assert (students.loc[latest.index, "school"] == latest["school"]).all()


def test_through_leaves_out_what_had_not_happened_yet(tmp_path):
    spec = DistrictSpec(**{**YEARS.__dict__, "students": 200, "through": dt.date(2025, 11, 30)})
    summary = generate_district(spec, tmp_path, tmp_path / "truth.csv")
    enrollments = pd.read_csv(tmp_path / "enrollments.csv", keep_default_na=False)
    current = enrollments[enrollments["school_year"] == "2025-2026"]
    assert len(current) > 150 and (current["exit_date"] == "").mean() > 0.9
    for name, column in (("attendance", "date"), ("outcomes", "outcome_date")):
        dates = pd.read_csv(tmp_path / f"{name}.csv", usecols=[column])[column]
        assert dates.max() <= "2025-11-30"
    # The year in progress has no year-end outcomes and is not counted as a finished year.
    assert [y.school_year for y in summary.years] == ["2023-2024", "2024-2025"]


def test_the_same_seed_gives_the_same_years(tmp_path):
    spec = DistrictSpec(**{**YEARS.__dict__, "students": 150})
    generate_district(spec, tmp_path / "a", tmp_path / "a.csv")
    generate_district(spec, tmp_path / "b", tmp_path / "b.csv")
    for name in ("students.csv", "enrollments.csv", "attendance.csv", "outcomes.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


QUIRKS = Quirks(no_attendance_school=0, harsh_course="MATH", quizzes_per_day=3, pass_mark=40.0)


def test_quirks_change_what_the_files_say_not_what_happened(tmp_path):
    spec = DistrictSpec(students=150, schools=4, school_days=40, seed=5)
    generate_district(spec, tmp_path / "plain", tmp_path / "plain_truth.csv")
    generate_district(
        dataclasses.replace(spec, quirks=QUIRKS), tmp_path / "quirky", tmp_path / "quirky_truth.csv"
    )
    # The same students, outcomes and true risks: a model can be compared on both.
    for name in ("students.csv", "outcomes.csv", "discipline.csv", "enrollments.csv"):
        assert filecmp.cmp(tmp_path / "plain" / name, tmp_path / "quirky" / name, shallow=False)
    assert filecmp.cmp(tmp_path / "plain_truth.csv", tmp_path / "quirky_truth.csv", shallow=False)

    students = pd.read_csv(tmp_path / "quirky" / "students.csv")
    attendance = pd.read_csv(tmp_path / "quirky" / "attendance.csv")
    plain = pd.read_csv(tmp_path / "plain" / "attendance.csv")
    school = students.set_index("district_id")["school"]
    sending = set(school.reindex(attendance["district_id"]))
    first_school = school_list(4)[0][0]
    assert first_school not in sending and first_school in set(school.reindex(plain["district_id"]))

    grades = pd.read_csv(tmp_path / "quirky" / "grades.csv")
    assert grades["assignment_id"].notna().all()
    assert not grades.duplicated(["district_id", "assignment_id"]).any()
    quizzes = grades[grades["assignment_type"] == "quiz"]
    per_day = quizzes.groupby(["district_id", "course_id", "submission_date"]).size()
    assert (per_day == 3).all()
    # The harsh course grades lower than the others; the scale's pass mark is 40 (a 60 is 40).
    math = grades["course_id"].str.startswith("MATH-")
    assert grades.loc[math, "grade_value"].mean() < grades.loc[~math, "grade_value"].mean() - 10
    assert QUIRKS.mark([0.0, 30.0, 60.0, 80.0, 100.0]).tolist() == [0.0, 20.0, 40.0, 70.0, 100.0]
    assert grades.loc[grades["grade_value"] < 40, "grade_letter"].eq("F").all()
    assert grades.loc[grades["grade_value"].between(40, 54.9), "grade_letter"].eq("D").all()
