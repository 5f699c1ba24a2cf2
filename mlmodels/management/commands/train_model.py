import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mlmodels.labels import LabelWindowError
from mlmodels.management.commands._dates import cutoffs, day, outcome_list
from mlmodels.models import ModelMetadata
from mlmodels.report import bars, comparison, fairness_summary
from mlmodels.training import ActivationError, TrainingError, activate_model, train


class Command(BaseCommand):
    help = (
        "Train an XGBoost risk model on the feature rows of the training as-of dates, stop early "
        "and calibrate on half of the validation date's students, judge it on the other half "
        "beside the ABC rules, audit its fairness, and register it (docs/model.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=day,
            action="extend",
            nargs="+",
            required=True,
            help="training as-of dates (repeat or list several)",
        )
        parser.add_argument(
            "--validate-as-of",
            type=day,
            required=True,
            help="a later as-of date, after every training label window",
        )
        parser.add_argument("--horizon-days", type=int, default=settings.EDUPULSE_HORIZON_DAYS)
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
        if options["horizon_days"] <= 0:
            raise CommandError("--horizon-days must be positive")
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
        self.stderr.write(f"Training on {len(options['as_of'])} as-of dates...")
        try:
            model = train(
                train_as_of=options["as_of"],
                validate_as_of=options["validate_as_of"],
                horizon_days=options["horizon_days"],
                outcomes=options["outcomes"],
                cutoffs=options["risk_cutoffs"],
                version=options["model_name"],
            )
        except (LabelWindowError, TrainingError) as error:
            raise CommandError(str(error)) from None
        metrics = model.performance_metrics
        self.stdout.write(
            f"Model {model.model_version}: {metrics['training_samples']:,} training rows, "
            f"{model.hyperparameters['rounds']} trees, {time.perf_counter() - started:.1f} s"
        )
        self.stdout.write(
            f"Judged on {metrics['validation_samples']:,} students of "
            f"{metrics['validate_as_of']} (base rate {metrics['base_rate']:.3f}):"
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
