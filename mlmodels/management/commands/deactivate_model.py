from django.core.management.base import BaseCommand, CommandError

from mlmodels.activation import model_deactivate
from mlmodels.training import ActivationError


class Command(BaseCommand):
    help = (
        "Make VERSION inactive: no version is then active, and the ABC rules score the students "
        "and are shown on the pages (`activate_model abc-rules-v1` makes that explicit)."
    )

    def add_arguments(self, parser):
        parser.add_argument("version")

    def handle(self, *args, version, **options):
        try:
            model = model_deactivate(version)
        except ActivationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{model.model_version} is not active: the ABC rules score.")
