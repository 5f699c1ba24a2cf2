import datetime as dt
import time

from django.core.management.base import BaseCommand

from analytics.attendance_weeks import attendance_weeks_rebuild
from analytics.models import AttendanceWeek


class Command(BaseCommand):
    help = (
        "Recompute the weekly attendance summary (what the attendance trends page reads) from "
        "attendance_records: the whole weeks from --from to --to, by default every week. "
        "Imports and the admin keep it exact; run this after writing records some other way "
        "(raw SQL), or once after upgrading. Atomic and idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", type=dt.date.fromisoformat)
        parser.add_argument("--to", dest="last", type=dt.date.fromisoformat)
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if the summary has rows"
        )

    def handle(self, *args, first, last, if_empty, **options):
        if if_empty and AttendanceWeek.objects.exists():
            self.stdout.write("The weekly attendance summary is filled already.")
            return
        started = time.perf_counter()
        written = attendance_weeks_rebuild(first=first, last=last)
        self.stdout.write(
            f"Weekly attendance summary: {written:,} rows in {time.perf_counter() - started:.1f} s."
        )
