"""A messy district against a tidy one (issue 12): the same students and outcomes (both with
school years starting in October), but in the messy one a school sends no attendance, one course
grades harshly, quizzes come three a day with assignment ids and the pass mark is 40.

Usage: make bench-messy [STUDENTS=2000]
   or: DATABASE_URL=postgres://... python benchmarks/messy_district.py --students 2000

For each district in turn (the database is emptied first): generate it (kept under var/bench/),
import it, compute the feature rows of its school weeks, train on the first two school years
and judge on the third (train_model's own path: the evaluation half of the third year's
students). The messy district is imported and trained twice, to show identical metrics.
Then, on the messy district's rows: the AUC with and without the course standings (the same
rows, the same split; "without" blanks those two inputs), and the factors of one week's scores
for the students of the school without attendance.

Targets: the messy district's AUC within 0.01 of the tidy one's; no attendance factor for a
student of the school without attendance; two imports give identical metrics.
"""

import argparse
import dataclasses
import datetime as dt
import time

from _common import ROOT, peak_rss_mb, setup_django

setup_django()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402

from analytics import district_settings  # noqa: E402
from analytics.models import DistrictSettings  # noqa: E402
from mlmodels.dataset import feature_rows  # noqa: E402
from mlmodels.explain import MISSING_RECORDS  # noqa: E402
from mlmodels.metrics import auc  # noqa: E402
from mlmodels.report import bars, grade_band_table  # noqa: E402
from mlmodels.school_years import ensure_features, weeks_of_years  # noqa: E402
from mlmodels.scoring import score  # noqa: E402
from mlmodels.training import fit, in_tuning_half, labelled, train  # noqa: E402
from records.importing import district_import  # noqa: E402
from records.synthetic import DistrictSpec, Quirks, generate_district, school_list  # noqa: E402

YEARS = ["2023-2024", "2024-2025", "2025-2026"]
QUIRKS = Quirks(no_attendance_school=0, harsh_course="MATH", quizzes_per_day=3, pass_mark=40.0)
STANDINGS = ("course_standing_mean", "course_standing_lowest")
ATTENDANCE = {name for name, kind in MISSING_RECORDS.items() if kind == "attendance"}


def _district(name: str, spec: DistrictSpec):
    folder = ROOT / "var" / "bench" / f"messy_{name}_{spec.students}_{spec.start}_seed{spec.seed}"
    if not (folder / "grades.csv").exists():
        print(f"  generating {name} district ({spec.students:,} students, 3 years)", flush=True)
        generate_district(spec, folder, folder / "truth" / "true_risk.csv")
    return folder


def _load(folder, settings: dict) -> float:
    """Empty the database, set the district's settings, import the files; seconds taken."""
    call_command("flush", interactive=False, verbosity=0)
    DistrictSettings.objects.create(**settings)
    district_settings.clear()
    started = time.perf_counter()
    district_import(folder=folder)
    return time.perf_counter() - started


def _run(name: str, folder, settings: dict, every: int) -> dict:
    seconds = _load(folder, settings)
    train_weeks = weeks_of_years(YEARS[:2], every)
    validate_weeks = weeks_of_years(YEARS[2:], every)
    ensure_features([*train_weeks, *validate_weeks], progress=lambda line: print(line, flush=True))
    data_through = district_settings.current().school_year_start
    last = dt.date(int(YEARS[2][-4:]), *data_through) - dt.timedelta(days=1)
    model = train(train_as_of=train_weeks, validate_as_of=validate_weeks, version=f"messy-{name}",
                  data_through=last)  # fmt: skip
    print(f"  {name}: imported in {seconds:.0f} s, AUC {model.performance_metrics['auc_roc']:.4f}")
    return {"model": model, "train": train_weeks, "validate": validate_weeks}


def _with_and_without_standings(run: dict) -> dict[str, float]:
    """The AUC on the evaluation half with every input, and with the standings blanked."""
    outcomes = tuple(run["model"].performance_metrics["outcomes"])
    train_rows = labelled(run["train"], None, outcomes)
    valid = labelled(run["validate"], None, outcomes)
    tuning = in_tuning_half(valid["district_id"])
    out = {}
    for label, blank in (("with course standings", ()), ("without", STANDINGS)):
        rows = [frame.assign(**dict.fromkeys(blank, np.nan)) for frame in (train_rows, valid)]
        tune, evaluation = rows[1][tuning], rows[1][~tuning]
        fitted = fit(rows[0], rows[0]["y"].to_numpy(), tune, tune["y"].to_numpy())
        out[label] = auc(evaluation["y"].to_numpy(), fitted.risk(evaluation))
    return out


def _attendance_factors(run: dict, school: str) -> tuple[int, int]:
    """(students of `school` scored in the middle validation week, those with an attendance
    factor)."""
    week = run["validate"][len(run["validate"]) // 2]
    rows = feature_rows([week])
    scored = score(run["model"], rows)
    mine = (rows["school_on_t"] == school).to_numpy()
    flagged = sum(
        any(f["factor"] in ATTENDANCE for f in factors)
        for factors, here in zip(scored["risk_factors"], mine, strict=True)
        if here
    )
    return int(mine.sum()), flagged


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--every-weeks", type=int, default=2)
    args = parser.parse_args()
    # Both districts start their school years in October (a Monday after October 1st, so every
    # later year starts after it too): the calendar shapes the generator's random draws, and
    # the same calendar keeps the students, their hidden engagement and their outcomes the same.
    messy = DistrictSpec(students=args.students, schools=5, start=dt.date(2023, 10, 9), years=3,
                         seed=args.seed, quirks=QUIRKS)  # fmt: skip
    tidy = dataclasses.replace(messy, quirks=Quirks())
    silent_school = school_list(tidy.schools)[QUIRKS.no_attendance_school][0]
    october = {"school_year_start_month": 10, "school_year_start_day": 1}
    tidy_settings = october
    messy_settings = {
        **october,
        "pass_mark": QUIRKS.pass_mark,
        "grade_bands": QUIRKS.letter_bands(),
    }
    folders = {"tidy": _district("tidy", tidy), "messy": _district("messy", messy)}

    runs = {"tidy": _run("tidy", folders["tidy"], tidy_settings, args.every_weeks)}
    runs["messy"] = _run("messy", folders["messy"], messy_settings, args.every_weeks)
    standings = _with_and_without_standings(runs["messy"])
    students, with_factor = _attendance_factors(runs["messy"], silent_school)
    again = _run("messy-again", folders["messy"], messy_settings, args.every_weeks)

    metrics = {name: run["model"].performance_metrics for name, run in runs.items()}
    identical = again["model"].performance_metrics == metrics["messy"]
    print()
    print(
        f"{args.students:,} students a year, 3 school years; trained on {', '.join(YEARS[:2])} "
        f"(every {args.every_weeks} weeks), judged on the evaluation half of {YEARS[2]}"
    )
    print(bars("AUC on the evaluation rows", {
        "tidy district": metrics["tidy"]["auc_roc"],
        "messy district": metrics["messy"]["auc_roc"],
        "messy, imported again": again["model"].performance_metrics["auc_roc"],
    }))  # fmt: skip
    print(bars("Messy district: AUC with and without the course standings (same rows)", standings))
    for name in ("tidy", "messy"):
        print(f"{name} district, by grade band:")
        print(grade_band_table(metrics[name].get("by_grade_band")))
    gap = abs(metrics["messy"]["auc_roc"] - metrics["tidy"]["auc_roc"])
    twice = "identical metrics" if identical else "metrics differ"
    checks = [
        (f"|messy AUC - tidy AUC| = {gap:.4f}", "target <= 0.01", gap <= 0.01),
        (
            f"students of {silent_school} with an attendance factor: {with_factor} of {students}",
            "target 0",
            with_factor == 0 and students > 0,
        ),
        (f"two imports of the messy files: {twice}", "target identical", identical),
    ]
    print()
    for figure, target, met in checks:
        print(f"{figure:<66} {target:<18} {'met' if met else 'MISSED'}")
    print(f"peak memory: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
