from django.core.management.base import BaseCommand, CommandError

from mlmodels.training import ActivationError, activate_model


class Command(BaseCommand):
    help = "Make VERSION the one active risk model (it must have validation metrics)."

    def add_arguments(self, parser):
        parser.add_argument("version")
        parser.add_argument(
            "--even-if-worse",
            action="store_true",
            help="activate a learned model whose validation AUC is below the ABC rules'",
        )

    def handle(self, *args, version, even_if_worse, **options):
        try:
            model = activate_model(version, even_if_worse=even_if_worse)
        except ActivationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Active model: {model.model_version} ({model.model_type}).")
