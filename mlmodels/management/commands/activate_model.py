from django.core.management.base import BaseCommand, CommandError

from mlmodels.training import ActivationError, activate_model


class Command(BaseCommand):
    help = "Make VERSION the one active risk model (it must have validation metrics)."

    def add_arguments(self, parser):
        parser.add_argument("version")

    def handle(self, *args, version, **options):
        try:
            model = activate_model(version)
        except ActivationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Active model: {model.model_version} ({model.model_type}).")
