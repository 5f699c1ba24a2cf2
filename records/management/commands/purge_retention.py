from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from records.retention import retention_purge


class Command(BaseCommand):
    help = (
        "Delete the students whose enrollment ended more than YEARS ago, with all their "
        "records, features, predictions, feedback and record of access, in one transaction; "
        "prune old entries of the record of access. Prints counts, never names."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=settings.EDUPULSE_RETENTION_YEARS,
            metavar="YEARS",
            help="default: EDUPULSE_RETENTION_YEARS (%(default)s)",
        )
        parser.add_argument(
            "--access-log-years",
            type=int,
            default=settings.EDUPULSE_ACCESS_LOG_YEARS,
            metavar="YEARS",
            help="prune access entries older than this; default EDUPULSE_ACCESS_LOG_YEARS "
            "(%(default)s)",
        )
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args, older_than, access_log_years, dry_run, **options):
        if older_than < 1 or access_log_years < 1:
            raise CommandError("Retention periods are whole years, at least 1.")
        purge = retention_purge(
            older_than_years=older_than,
            access_log_years=access_log_years,
            today=timezone.localdate(),
            dry_run=dry_run,
        )
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"Enrollment ended before {purge.cutoff}: {purge.students:,} students; {verb}:"
        )
        for table, rows in sorted(purge.rows.items()):
            if rows:
                self.stdout.write(f"  {table}: {rows:,}")
        self.stdout.write(
            f"Record of access before {purge.access_log_cutoff}: {verb} "
            f"{purge.access_entries:,} entries."
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was deleted.")
