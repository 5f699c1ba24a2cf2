"""The risk model on a generated district: quality against the ABC rules and the truth, speed.

Usage: make bench-model [STUDENTS=100000]
   or: DATABASE_URL=postgres://... python benchmarks/model_quality.py --students 100000

Steps (the district is generated and loaded first if the database does not hold it; missing
feature rows are computed; neither is timed):
  1. train_model: 10 weekly training dates (2025-08-24 .. 2025-10-26), validation 2026-02-08,
     label: dropping out within 105 days (docs/model.md, "Judging the model on a generated
     district"); timed end to end (reading rows, labels, boosting, calibration, metrics);
  2. on the evaluation half of 2026-02-08: the learned model's AUC, the ABC rules' and the
     generator's true probabilities' (p_dropout_105d), ECE;
  3. predict: scoring, explaining and writing the whole cohort of 2026-05-24, timed; then the
     same week again, which updates every row in place (feedback on them stays), timed.
Targets (issue 5): AUC >= ABC + 0.05, AUC >= truth - 0.03, ECE < 0.05, training < 120 s,
predicting < 30 s.
"""

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from _common import ROOT, ensure_district, peak_rss_mb, setup_django

setup_django()

from django.conf import settings  # noqa: E402

from analytics.models import StudentFeatures  # noqa: E402
from analytics.services import features_compute  # noqa: E402
from mlmodels import labels  # noqa: E402
from mlmodels.backtest import _truth  # noqa: E402
from mlmodels.models import ModelMetadata, Prediction  # noqa: E402
from mlmodels.report import bars, comparison  # noqa: E402
from mlmodels.scoring import predict  # noqa: E402
from mlmodels.training import in_tuning_half, labelled, load, train  # noqa: E402

TRAIN = [dt.date(2025, 8, 24) + dt.timedelta(days=7 * k) for k in range(10)]
VALIDATE = dt.date(2026, 2, 8)
PREDICT = dt.date(2026, 5, 24)
HORIZON = 105
OUTCOMES = ["dropped_out", "withdrawn"]
CUTOFFS = {"medium": 0.01, "high": 0.03, "critical": 0.10}  # dropping out within 15 weeks is rare


def _write_truth(students: int, seed: int, truth: Path) -> None:
    command = [sys.executable, "manage.py", "generate_district", f"--students={students}",
               f"--seed={seed}", f"--truth={truth}"]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([*command, f"--out={folder}"], cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    truth = settings.VAR_DIR / "truth" / f"bench_true_risk_{args.students}_seed{args.seed}.csv"
    ensure_district(args.students, f"--seed={args.seed}", f"--truth={truth}")
    if not truth.exists() or "p_dropout_105d" not in pd.read_csv(truth, nrows=0).columns:
        print("Writing the generator's truth file again (not timed)...", flush=True)
        _write_truth(args.students, args.seed, truth)
    for day in [*TRAIN, VALIDATE, PREDICT]:
        if not StudentFeatures.objects.filter(feature_date=day).exists():
            started = time.perf_counter()
            written = features_compute(as_of=day)
            print(f"features {day}: {written:,} rows in {time.perf_counter() - started:.0f} s"
                  " (not timed)", flush=True)  # fmt: skip

    Prediction.objects.filter(model_version="bench-xgb").delete()
    ModelMetadata.objects.filter(model_version="bench-xgb").delete()
    started = time.perf_counter()
    model = train(train_as_of=TRAIN, validate_as_of=VALIDATE, horizon_days=HORIZON,
                  outcomes=OUTCOMES, cutoffs=CUTOFFS, version="bench-xgb")  # fmt: skip
    train_seconds = time.perf_counter() - started
    metrics = model.performance_metrics

    valid = labelled([VALIDATE], HORIZON, tuple(OUTCOMES))
    evaluation = valid[~in_tuning_half(valid["student_id"])]
    risk = load(model).risk(evaluation)
    from mlmodels import baseline

    tune = valid[in_tuning_half(valid["student_id"])]
    abc = baseline.score(evaluation, baseline.fit(tune, tune["y"].to_numpy()))
    true = _truth(truth, evaluation, risk, abc, tuple(OUTCOMES), HORIZON, labels.data_end())

    started = time.perf_counter()
    _, scored = predict(as_of=PREDICT, model=model)
    predict_seconds = time.perf_counter() - started
    started = time.perf_counter()  # the same week again: every row updated in place
    predict(as_of=PREDICT, model=model)
    repredict_seconds = time.perf_counter() - started

    learned_auc = metrics["auc_roc"]
    abc_auc = metrics["baseline"]["auc_roc"]
    true_auc = true["auc_roc"]
    print()
    print(
        f"{args.students:,} students; trained on {metrics['training_samples']:,} rows of "
        f"{len(TRAIN)} dates ({model.hyperparameters['rounds']} trees); judged on "
        f"{metrics['validation_samples']:,} students of {VALIDATE} (dropping out within "
        f"{HORIZON} days, base rate {metrics['base_rate']:.4f})"
    )
    print(comparison({"learned": metrics, "ABC rules": metrics["baseline"]}))
    print(f"true probabilities AUC (p_dropout_105d, {true['matched_rows']:,} rows): {true_auc:.3f}")
    aucs = {"learned": learned_auc, "ABC rules": abc_auc, "true probabilities": true_auc}
    print(bars("AUC on the evaluation rows", aucs))
    print()
    gain, gap, ece = learned_auc - abc_auc, true_auc - learned_auc, metrics["ece"]
    checks = [
        (f"AUC - ABC AUC = {gain:+.3f}", "target >= +0.05", gain >= 0.05),
        (f"truth AUC - AUC = {gap:+.3f}", "target <= 0.03", gap <= 0.03),
        (f"ECE = {ece:.4f}", "target < 0.05", ece < 0.05),
        (f"training: {train_seconds:.1f} s", "target < 120 s", train_seconds < 120),
        (
            f"predicting and explaining {scored:,} students: {predict_seconds:.1f} s",
            "target < 30 s",
            predict_seconds < 30,
        ),
        (
            f"the same week again (rows updated in place): {repredict_seconds:.1f} s",
            "target < 30 s",
            repredict_seconds < 30,
        ),
    ]
    for figure, target, met in checks:
        print(f"{figure:<58} {target:<16} {'met' if met else 'MISSED'}")
    print(f"peak memory: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
