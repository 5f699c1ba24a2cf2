import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.selectors import as_of_dates
from mlmodels.management.commands._dates import day
from mlmodels.models import ModelMetadata, Prediction
from mlmodels.scoring import ScoringError, predict


class Command(BaseCommand):
    help = (
        "Score the cohort of an as-of date with the active model (the ABC rules when none is "
        "active) and replace that date's predictions of the model. --from/--to score every 7 "
        "days of a range, oldest first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=day, help="default: the last completed week's Sunday")
        parser.add_argument("--from", dest="first", type=day)
        parser.add_argument("--to", dest="last", type=day)
        parser.add_argument("--model", help="a model version instead of the active one")

    def handle(self, *args, as_of, first, last, model, **options):
        try:
            dates = as_of_dates(as_of=as_of, first=first, last=last, today=timezone.localdate())
        except ValueError as error:
            raise CommandError(str(error)) from None
        chosen = None
        if model:
            chosen = ModelMetadata.objects.filter(model_version=model).first()
            if chosen is None:
                raise CommandError(f"There is no model version {model!r}.")
        for day_ in dates:
            self._score(day_, chosen)

    def _score(self, as_of, chosen) -> None:
        started = time.perf_counter()
        self.stderr.write(f"Scoring the cohort of {as_of}...")
        try:
            used, written = predict(as_of=as_of, model=chosen)
        except ScoringError as error:
            raise CommandError(str(error)) from None
        counts = Counter(
            Prediction.objects.filter(as_of=as_of, model_version=used).values_list(
                "risk_category", flat=True
            )
        )
        shown = ", ".join(
            f"{c} {counts.get(c, 0):,}" for c in ("low", "medium", "high", "critical")
        )
        self.stdout.write(
            f"{as_of}: {written:,} predictions by {used.model_version} in "
            f"{time.perf_counter() - started:.1f} s ({shown})"
        )
