from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from records.research_export import ResearchExportError, research_export, school_year_start


class Command(BaseCommand):
    help = (
        "Write the interchange files without direct identifiers into DIR: pseudonyms keyed "
        "with EDUPULSE_RESEARCH_SECRET, ages instead of birth dates, no free text, and the "
        "quasi-identifiers generalised until every combination covers at least k students."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, metavar="DIR")
        parser.add_argument(
            "--k", type=int, default=settings.EDUPULSE_RESEARCH_K, help="default %(default)s"
        )
        parser.add_argument(
            "--max-suppressed",
            type=float,
            default=settings.EDUPULSE_RESEARCH_MAX_SUPPRESSED,
            help="share of students that may be left out rather than generalise further "
            "(default %(default)s)",
        )
        parser.add_argument(
            "--school-year-start",
            dest="year_start",
            type=lambda v: timezone.datetime.fromisoformat(v).date(),
            help="ages are given on this date; default 1 August of the current school year",
        )

    def handle(self, *args, folder, k, max_suppressed, year_start, **options):
        start = year_start or school_year_start(timezone.localdate())
        try:
            report = research_export(
                folder=folder,
                secret=settings.EDUPULSE_RESEARCH_SECRET,
                k=k,
                max_suppressed=max_suppressed,
                year_start=start,
            )
        except ResearchExportError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"k = {report.k}. Generalised:")
        for line in report.describe():
            self.stdout.write(f"  {line}")
        self.stdout.write(
            f"Suppressed {report.suppressed:,} students (their rows in every file); "
            f"wrote {report.students:,} students to {folder}."
        )
