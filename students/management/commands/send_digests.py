from django.core.management.base import BaseCommand
from django.utils import timezone

from analytics.selectors import last_completed_week
from mlmodels.management.commands._dates import day
from students.digests import digests_send


class Command(BaseCommand):
    help = (
        "Send the weekly digests of a scoring week (what the weekly job does after scoring): "
        "each counselor's and educator's students newly high or critical, and check-ins due."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=day, help="default: the last completed week's Sunday")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print who would get a digest and what it says; send and record nothing",
        )

    def handle(self, *args, as_of, dry_run, **options):
        as_of = as_of or last_completed_week(timezone.localdate())
        report = digests_send(as_of=as_of, dry_run=dry_run)
        if report.model_version is None:
            self.stdout.write("No active model: no digests.")
            return
        for digest in report.digests:
            # The digest goes to the screen only on request (--dry-run): names stay off logs.
            if dry_run:
                self.stdout.write(f"--- to {digest.to}\nSubject: {digest.subject}\n{digest.body}")
        verb = "would be sent" if dry_run else "sent"
        self.stdout.write(
            f"As of {as_of}: {len(report.digests)} digest(s) {verb}"
            + ("" if dry_run else f", {report.sent} sent, {report.failed} failed")
            + "."
        )
