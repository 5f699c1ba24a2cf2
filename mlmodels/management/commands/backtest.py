import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mlmodels.backtest import backtest, find_truth
from mlmodels.labels import LabelWindowError
from mlmodels.management.commands._dates import day, outcome_list
from mlmodels.report import bars, comparison
from mlmodels.training import TrainingError


class Command(BaseCommand):
    help = (
        "Train on the training as-of dates, score the test dates' cohorts, and print the learned "
        "model's and the ABC rules' numbers on the same students (and, on a generated district, "
        "the AUC of the generator's true probabilities). Stores nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--train-as-of", type=day, action="extend", nargs="+", required=True)
        parser.add_argument("--test-as-of", type=day, action="extend", nargs="+", required=True)
        parser.add_argument("--horizon-days", type=int, default=settings.EDUPULSE_HORIZON_DAYS)
        parser.add_argument("--outcomes", type=outcome_list)
        parser.add_argument(
            "--truth",
            type=Path,
            help="a generated district's truth file (default: the newest in var/truth, if any)",
        )
        parser.add_argument("--json", action="store_true", help="one JSON object on stdout")

    def handle(self, *args, **options):
        try:
            report = backtest(
                train_as_of=options["train_as_of"],
                test_as_of=options["test_as_of"],
                horizon_days=options["horizon_days"],
                outcomes=options["outcomes"],
                truth=options["truth"] or find_truth(),
            )
        except (LabelWindowError, TrainingError) as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(
            f"Trained on {report['training_samples']:,} rows of {len(report['train_as_of'])} "
            f"dates in {report['training_seconds']} s ({report['rounds']} trees); tested on "
            f"{', '.join(report['test_as_of'])}; outcomes {', '.join(report['outcomes'])} within "
            f"{report['horizon_days']} days."
        )
        self.stdout.write(
            comparison({"learned": report["learned"], "ABC rules": report["baseline"]})
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
