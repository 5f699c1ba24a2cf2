import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mlmodels.backtest import backtest, find_truth
from mlmodels.labels import LabelWindowError
from mlmodels.management.commands._dates import (
    add_period_arguments,
    day,
    outcome_list,
    resolve_periods,
)
from mlmodels.report import bars, comparison, grade_band_table
from mlmodels.school_years import SchoolYearError
from mlmodels.training import TrainingError


class Command(BaseCommand):
    help = (
        "Train on the training as-of dates (or school years), score the test dates' (or test "
        "year's) cohorts, and print the learned model's and the ABC rules' numbers on the same "
        "students, overall and per grade band (and, on a generated district, the AUC of the "
        "generator's true probabilities). Feature rows missing for school years are computed "
        "first. Stores no model."
    )

    def add_arguments(self, parser):
        add_period_arguments(parser, "test")
        parser.add_argument("--train-as-of", dest="as_of", type=day, action="extend", nargs="+",
                            help="the same as --as-of")  # fmt: skip
        parser.add_argument("--test-as-of", type=day, action="extend", nargs="+")
        parser.add_argument("--outcomes", type=outcome_list)
        parser.add_argument(
            "--truth",
            type=Path,
            help="a generated district's truth file (default: the newest in var/truth, if any)",
        )
        parser.add_argument("--json", action="store_true", help="one JSON object on stdout")

    def handle(self, *args, **options):
        try:
            periods = resolve_periods(options, "test", self.stderr.write)
            report = backtest(
                train_as_of=periods.train,
                test_as_of=periods.test,
                horizon_days=periods.horizon_days,
                outcomes=options["outcomes"],
                truth=options["truth"] or find_truth(),
                data_through=options["data_through"],
            )
        except (LabelWindowError, TrainingError, SchoolYearError) as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        tested = report["test_as_of"]
        self.stdout.write(
            f"Trained on {report['training_samples']:,} rows of {len(report['train_as_of'])} "
            f"dates in {report['training_seconds']} s ({report['rounds']} trees); tested on "
            f"{len(tested)} dates ({tested[0]} to {tested[-1]}); label: {report['label']} "
            f"({', '.join(report['outcomes'])}); data through {report['data_through']} "
            f"({periods.limit})."
        )
        self.stdout.write(
            comparison({"learned": report["learned"], "ABC rules": report["baseline"]})
        )
        self.stdout.write(grade_band_table(report["by_grade_band"]))
        order = report["ordering"]
        self.stdout.write(
            f"Stored scores against the raw model: Kendall's tau {order['kendall_tau']}, "
            f"{order['distinct_share']:.1%} distinct."
        )
        values = {
            "learned": report["learned"]["auc_roc"],
            "ABC rules": report["baseline"]["auc_roc"],
        }
        truth = report["truth"]
        if truth and truth.get("column"):
            values["true probabilities"] = truth["auc_roc"]
            self.stdout.write(
                f"Generator's true probabilities ({truth['column']}, {truth['matched_rows']:,} "
                f"rows): AUC {truth['auc_roc']:.3f}"
            )
        elif truth:
            self.stdout.write(f"Truth file {truth['file']}: {truth['note']}.")
        self.stdout.write(bars("AUC on the test rows", values))
