"""The risk model on a generated three-year district: quality against the ABC rules and the
truth, overall and per grade band; training and scoring speed.

Usage: make bench-model [STUDENTS=20000]
   or: DATABASE_URL=postgres://... python benchmarks/model_quality.py --students 20000

Steps (the district is generated and loaded first if the database does not hold it; missing
feature rows are computed; neither is timed):
  1. train_model on the school years 2023-2024 and 2024-2025 (every --every-weeks-th school
     week), validated on 2025-2026, label: an adverse outcome by the end of the school year (the
     default; docs/model.md). The district's data is complete through 2026-07-31
     (--data-through). Timed end to end (reading rows, labels, boosting, calibration, metrics).
  2. on the evaluation half of 2025-2026: the learned model's AUC beside the ABC rules' and the
     generator's true probabilities' (p_adverse), overall and in each grade band; ECE; whether
     the stored scores keep the raw model's order (Kendall's tau) and are distinct.
  3. predict: scoring, explaining and writing the whole cohort of one week, timed.
Targets (issue 11): AUC >= ABC + 0.05 overall and above ABC in each band; within 0.03 of the
truth's AUC overall and 0.05 in each band; ECE <= 0.02; tau >= 0.99; >= 95% distinct scores;
training on two years < 180 s; scoring a week < 30 s.
"""

import argparse
import datetime as dt
import time

from _common import ensure_district, peak_rss_mb, setup_django

setup_django()

from django.conf import settings  # noqa: E402

from mlmodels import baseline  # noqa: E402
from mlmodels.backtest import _truth, ordering  # noqa: E402
from mlmodels.dataset import district_hash  # noqa: E402
from mlmodels.models import ModelMetadata, Prediction  # noqa: E402
from mlmodels.report import bars, comparison, grade_band_table  # noqa: E402
from mlmodels.school_years import ensure_features, weeks_of_years  # noqa: E402
from mlmodels.scoring import predict  # noqa: E402
from mlmodels.training import (  # noqa: E402
    GRADE_BANDS,
    by_grade_band,
    in_tuning_half,
    labelled,
    load,
    train,
)

START = dt.date(2023, 8, 21)
TRAIN_YEARS = ["2023-2024", "2024-2025"]
VALIDATE_YEAR = "2025-2026"
DATA_THROUGH = dt.date(2026, 7, 31)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--every-weeks", type=int, default=2)
    args = parser.parse_args()
    truth = settings.VAR_DIR / "truth" / f"bench_3y_{args.students}_seed{args.seed}.csv"
    ensure_district(
        args.students,
        f"--seed={args.seed}",
        f"--truth={truth}",
        "--years=3",
        f"--start={START}",
    )
    train_weeks = weeks_of_years(TRAIN_YEARS, args.every_weeks)
    validate_weeks = weeks_of_years([VALIDATE_YEAR], args.every_weeks)
    started = time.perf_counter()
    computed = ensure_features(  # each week in one pass over the cohort
        [*train_weeks, *validate_weeks], progress=lambda line: print(line, flush=True)
    )
    if computed:
        print(f"features of {len(computed)} weeks: {time.perf_counter() - started:.0f} s "
              "(not timed)")  # fmt: skip

    Prediction.objects.filter(model_version="bench-xgb").delete()
    ModelMetadata.objects.filter(model_version="bench-xgb").delete()
    started = time.perf_counter()
    model = train(train_as_of=train_weeks, validate_as_of=validate_weeks, version="bench-xgb",
                  data_through=DATA_THROUGH)  # fmt: skip
    train_seconds = time.perf_counter() - started
    metrics = model.performance_metrics

    # The evaluation half again, to set the truth and the ordering beside the model.
    valid = labelled(validate_weeks, None, tuple(metrics["outcomes"]))
    tuning = in_tuning_half(valid["district_id"])
    tune, evaluation = valid[tuning], valid[~tuning]
    fitted = load(model)
    raw = fitted.raw(evaluation)
    risk = fitted.calibration(raw)
    abc = baseline.score(evaluation, baseline.fit(tune, tune["y"].to_numpy()))
    true = _truth(truth, evaluation, risk, abc, tuple(metrics["outcomes"]), None, DATA_THROUGH)
    order = ordering(raw, risk)
    # Distinct scores within one week's cohort (what a dashboard lists).
    last_week = evaluation["as_of"] == evaluation["as_of"].max()
    week_order = ordering(raw[last_week.to_numpy()], risk[last_week.to_numpy()])
    band_metrics = by_grade_band(
        evaluation["grade_band"], evaluation["y"].to_numpy(), risk, abc,
        model.hyperparameters["risk_cutoffs"]["high"],
        (raw, district_hash(evaluation["district_id"])),
    )  # fmt: skip

    started = time.perf_counter()
    _, scored = predict(as_of=validate_weeks[len(validate_weeks) // 2], model=model)
    predict_seconds = time.perf_counter() - started

    print()
    print(
        f"{args.students:,} students a year, 3 school years; trained on "
        f"{metrics['training_samples']:,} student-weeks of {', '.join(TRAIN_YEARS)} "
        f"({len(train_weeks)} weeks, {model.hyperparameters['rounds']} trees); judged on "
        f"{metrics['validation_samples']:,} student-weeks of {VALIDATE_YEAR} "
        f"({metrics['label']}; base rate {metrics['base_rate']:.4f})"
    )
    print(comparison({"learned": metrics, "ABC rules": metrics["baseline"]}))
    print(grade_band_table(band_metrics))
    print(f"true probabilities AUC (p_adverse, {true['matched_rows']:,} rows): "
          f"{true['auc_roc']:.3f}")  # fmt: skip
    aucs = {"learned": metrics["auc_roc"], "ABC rules": metrics["baseline"]["auc_roc"],
            "true probabilities": true["auc_roc"]}  # fmt: skip
    print(bars("AUC on the evaluation rows", aucs))
    for band in GRADE_BANDS:
        b = true["by_grade_band"].get(band)
        if b:
            print(bars(f"AUC in {band} ({b['positives']:,} positive student-weeks)", {
                "learned": b["learned_auc"], "ABC rules": b["baseline_auc"],
                "true probabilities": b["truth_auc"]}))  # fmt: skip
    print()
    gain = metrics["auc_roc"] - metrics["baseline"]["auc_roc"]
    gap = true["auc_roc"] - metrics["auc_roc"]
    checks = [
        (f"AUC - ABC AUC = {gain:+.3f}", "target >= +0.05", gain >= 0.05),
        (f"truth AUC - AUC = {gap:+.3f}", "target <= 0.03", gap <= 0.03),
    ]
    for band in GRADE_BANDS:
        b = true["by_grade_band"].get(band)
        if not b or b["learned_auc"] is None:
            continue
        band_gain = b["learned_auc"] - b["baseline_auc"]
        band_gap = b["truth_auc"] - b["learned_auc"]
        checks.append((f"{band}: AUC - ABC AUC = {band_gain:+.3f}", "target > 0", band_gain > 0))
        checks.append((f"{band}: truth AUC - AUC = {band_gap:+.3f}", "target <= 0.05",
                       band_gap <= 0.05))  # fmt: skip
    checks += [
        (f"ECE = {metrics['ece']:.4f}", "target <= 0.02", metrics["ece"] <= 0.02),
        (
            f"Kendall's tau, stored vs raw = {order['kendall_tau']:.4f}",
            "target >= 0.99",
            order["kendall_tau"] >= 0.99,
        ),
        (
            f"distinct scores in a week's cohort = {week_order['distinct_share']:.1%}",
            "target >= 95%",
            week_order["distinct_share"] >= 0.95,
        ),
        (f"training on two years: {train_seconds:.1f} s", "target < 180 s", train_seconds < 180),
        (
            f"predicting and explaining {scored:,} students: {predict_seconds:.1f} s",
            "target < 30 s",
            predict_seconds < 30,
        ),
    ]
    for figure, target, met in checks:
        print(f"{figure:<58} {target:<16} {'met' if met else 'MISSED'}")
    print(f"peak memory: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
