import time

from django.core.management.base import BaseCommand, CommandError

from mlmodels.labels import LabelWindowError
from mlmodels.management.commands._dates import (
    add_period_arguments,
    cutoffs,
    day,
    outcome_list,
    resolve_periods,
)
from mlmodels.models import ModelMetadata
from mlmodels.report import bars, comparison, fairness_summary, grade_band_table
from mlmodels.school_years import SchoolYearError
from mlmodels.training import ActivationError, TrainingError, activate_model, train


class Command(BaseCommand):
    help = (
        "Train an XGBoost risk model on the feature rows of the training as-of dates, stop early "
        "and calibrate on half of the validation date's students, judge it on the other half "
        "beside the ABC rules, audit its fairness, and register it (docs/model.md)."
    )

    def add_arguments(self, parser):
        add_period_arguments(parser, "validate")
        parser.add_argument(
            "--validate-as-of",
            type=day,
            help="a later as-of date, after every training label window (or --validate-year)",
        )
        parser.add_argument(
            "--outcomes",
            type=outcome_list,
            help="adverse outcomes, comma-separated (default: settings)",
        )
        parser.add_argument(
            "--risk-cutoffs", type=cutoffs, help="MEDIUM,HIGH,CRITICAL lowest risk of each category"
        )
        parser.add_argument(
            "--name", dest="model_name", help="the model version's name (default: xgb-TIME)"
        )
        parser.add_argument("--activate", action="store_true", help="make it the active model")
        parser.add_argument(
            "--even-if-worse",
            action="store_true",
            help="with --activate: even if the ABC rules rank the validation students better",
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="with --name: do nothing (but --activate) when that version exists",
        )

    def handle(self, *args, **options):
        name = options["model_name"]
        if (
            options["if_missing"]
            and name
            and ModelMetadata.objects.filter(model_version=name).exists()
        ):
            self.stdout.write(f"Model {name} exists: not trained again.")
            if options["activate"]:
                self._activate(name, options["even_if_worse"])
            return
        started = time.perf_counter()
        try:
            periods = resolve_periods(options, "validate", self.stderr.write)
            self.stderr.write(
                f"Training on {len(periods.train)} as-of dates, validating on "
                f"{len(periods.test)}; the data covers {periods.covered} ({periods.limit})."
            )
            model = train(
                train_as_of=periods.train,
                validate_as_of=periods.test,
                horizon_days=periods.horizon_days,
                outcomes=options["outcomes"],
                cutoffs=options["risk_cutoffs"],
                version=options["model_name"],
                data_through=options["data_through"],
                school_years=periods.school_years,
            )
        except (LabelWindowError, TrainingError, SchoolYearError) as error:
            raise CommandError(str(error)) from None
        metrics = model.performance_metrics
        self.stdout.write(
            f"Model {model.model_version}: {metrics['training_samples']:,} training rows, "
            f"{model.hyperparameters['rounds']} trees, {time.perf_counter() - started:.1f} s"
        )
        self.stdout.write(
            f"Judged on {metrics['validation_samples']:,} student-weeks of "
            f"{metrics['validate_as_of']} (label: {metrics['label']}; base rate "
            f"{metrics['base_rate']:.3f}, {metrics['positives']:,} positives):"
        )
        self.stdout.write(
            comparison({model.model_version: metrics, "ABC rules": metrics["baseline"]})
        )
        self.stdout.write(
            bars(
                "AUC",
                {
                    model.model_version: metrics["auc_roc"],
                    "ABC rules": metrics["baseline"]["auc_roc"],
                },
            )
        )
        self.stdout.write(grade_band_table(metrics.get("by_grade_band")))
        self.stdout.write(fairness_summary(metrics.get("fairness")))
        if options["activate"]:
            self._activate(model.model_version, options["even_if_worse"])

    def _activate(self, version: str, even_if_worse: bool) -> None:
        try:
            activate_model(version, even_if_worse=even_if_worse)
        except ActivationError as error:
            raise CommandError(
                f"{error} The model is stored as {version}; not activated."
            ) from None
        self.stdout.write(f"Activated {version}.")
