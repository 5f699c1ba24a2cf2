from django.core.management.base import BaseCommand, CommandError

from mlmodels.activation import model_activate
from mlmodels.training import ActivationError


class Command(BaseCommand):
    help = (
        "Make VERSION the one active risk model (a learned one must have validation metrics; "
        "the ABC rules, abc-rules-v1, need none)."
    )

    def add_arguments(self, parser):
        parser.add_argument("version")
        parser.add_argument(
            "--even-if-worse",
            action="store_true",
            help="activate a learned model whose validation AUC is below the ABC rules'",
        )

    def handle(self, *args, version, even_if_worse, **options):
        try:
            model = model_activate(version, even_if_worse=even_if_worse)
        except ActivationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Active model: {model.model_version} ({model.model_type}).")
