import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from analytics.models import StudentFeatures
from analytics.selectors import as_of_dates
from analytics.services import CHUNK_SIZE, features_compute, features_compute_range


class Command(BaseCommand):
    help = (
        "Compute the weekly feature rows of every student in the cohort, in-process. "
        "--as-of DATE (default: the Sunday ending the last completed week), or --from/--to to "
        "backfill every 7 days. Re-computing a date replaces its rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat)
        parser.add_argument("--from", dest="first", type=dt.date.fromisoformat)
        parser.add_argument("--to", dest="last", type=dt.date.fromisoformat)
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--skip-existing", action="store_true", help="leave dates that already have rows"
        )

    def handle(self, *args, as_of, first, last, chunk_size, no_progress, skip_existing, **options):
        try:
            dates = as_of_dates(as_of=as_of, first=first, last=last, today=timezone.localdate())
        except ValueError as error:
            raise CommandError(str(error)) from None
        if skip_existing:
            done = set(
                StudentFeatures.objects.filter(feature_date__in=dates)
                .values_list("feature_date", flat=True)
                .distinct()
            )
            dates = [d for d in dates if d not in done]
        if len(dates) > 1:
            self._range(dates, chunk_size, no_progress)
            return
        for day in dates:
            started = time.perf_counter()
            with tqdm(desc=f"features as of {day}", unit=" students", disable=no_progress,
                      file=self.stderr._out) as bar:  # fmt: skip

                def progress(done, total, bar=bar):
                    bar.total = total
                    bar.update(done - bar.n)

                written = features_compute(as_of=day, chunk_size=chunk_size, progress=progress)
            self.stdout.write(
                f"{day}: {written} feature rows in {time.perf_counter() - started:.1f} s"
            )

    def _range(self, dates, chunk_size, no_progress) -> None:
        """Many dates: each chunk of students' records read once for all of them."""
        started = time.perf_counter()
        with tqdm(desc=f"features of {len(dates)} weeks", unit=" students", disable=no_progress,
                  file=self.stderr._out) as bar:  # fmt: skip

            def progress(done, total):
                bar.total = total
                bar.update(done - bar.n)

            written = features_compute_range(dates=dates, chunk_size=chunk_size, progress=progress)
        for day, rows in written.items():
            self.stdout.write(f"{day}: {rows} feature rows")
        self.stdout.write(
            f"{len(dates)} dates in {time.perf_counter() - started:.1f} s "
            f"({(time.perf_counter() - started) / len(dates):.1f} s a date)"
        )
