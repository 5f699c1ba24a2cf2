import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from records.importing import ImportRejected, district_import
from records.models import ImportRun
from records.synthetic import DistrictSpec, Quirks, generate_district
from students.models import Student


class Command(BaseCommand):
    help = (
        "Generate a synthetic district (no real children's data): write it as interchange-format "
        "CSV files with --out, or load it into the database with --load. The true risk of each "
        "student goes to a separate file that is never loaded."
    )

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=2000)
        parser.add_argument("--schools", type=int, default=4)
        parser.add_argument("--start", type=dt.date.fromisoformat, default=DistrictSpec.start,
                            help="first school day (YYYY-MM-DD)")  # fmt: skip
        parser.add_argument("--days", type=int, default=180, help="number of school days")
        parser.add_argument("--seed", type=int, default=DistrictSpec.seed)
        parser.add_argument(
            "--years",
            type=int,
            default=1,
            help="consecutive school years; each starts on --start's weekday in its anniversary "
            "week (default 1)",
        )
        parser.add_argument(
            "--through",
            type=dt.date.fromisoformat,
            help="leave out what happened after this day: the last year is then in progress",
        )
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--out", type=Path, help="write the CSV files into this folder")
        where.add_argument("--load", action="store_true", help="load into the database")
        parser.add_argument(
            "--truth",
            type=Path,
            help="where to write the true risk file (default: OUT/truth/true_risk.csv, or "
            "var/truth/true_risk_seed<SEED>.csv with --load)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="with --load: do nothing when the database already has students",
        )
        parser.add_argument("--no-progress", action="store_true")
        messy = parser.add_argument_group(
            "quirks of real districts' files (the students and outcomes stay the same)"
        )
        messy.add_argument("--no-attendance-school", type=int, metavar="N",
                           help="the N-th school (from 0) sends no attendance")  # fmt: skip
        messy.add_argument("--harsh-course", metavar="CODE",
                           help="a course code (e.g. MATH) graded 20 points lower")  # fmt: skip
        messy.add_argument("--quizzes-per-day", type=int, default=1,
                           help="quizzes given N a day, told apart by assignment_id")  # fmt: skip
        messy.add_argument("--pass-mark", type=float, default=60.0,
                           help="marks on a scale whose pass mark is this (the district settings "
                           "must say the same)")  # fmt: skip

    def handle(self, *args, **options):
        if options["students"] < 1 or options["schools"] < 1 or options["days"] < 5:
            raise CommandError("--students and --schools must be at least 1, --days at least 5")
        if not 1 <= options["years"] <= 20:
            raise CommandError("--years must be between 1 and 20")
        silent = options["no_attendance_school"]
        if silent is not None and not 0 <= silent < options["schools"]:
            raise CommandError("--no-attendance-school must name one of the --schools (from 0)")
        if options["quizzes_per_day"] < 1 or not 1 <= options["pass_mark"] <= 99:
            raise CommandError("--quizzes-per-day must be at least 1, --pass-mark within 1-99")
        if options["through"] is not None and options["through"] < options["start"]:
            raise CommandError("--through must not come before --start")
        spec = DistrictSpec(
            students=options["students"],
            schools=options["schools"],
            start=options["start"],
            school_days=options["days"],
            seed=options["seed"],
            years=options["years"],
            through=options["through"],
            quirks=Quirks(
                no_attendance_school=options["no_attendance_school"],
                harsh_course=options["harsh_course"],
                quizzes_per_day=options["quizzes_per_day"],
                pass_mark=options["pass_mark"],
            ),
        )
        quiet = options["no_progress"]
        if options["load"] and options["if_empty"] and Student.objects.exists():
            self.stdout.write("The database already has students: nothing generated.")
            return
        if options["load"]:
            folder = Path(tempfile.mkdtemp(prefix="edupulse-district-", dir=_scratch()))
            truth = (
                options["truth"] or settings.VAR_DIR / "truth" / f"true_risk_seed{spec.seed}.csv"
            )
        else:
            folder = options["out"]
            truth = options["truth"] or folder / "truth" / "true_risk.csv"
        try:
            started = time.perf_counter()
            summary = self._generate(spec, folder, truth, quiet)
            generated = time.perf_counter() - started
            self.stdout.write(
                f"Generated {summary.students} students over {spec.years} school year(s) "
                f"in {generated:.1f} s:"
            )
            for name, rows in summary.rows.items():
                self.stdout.write(f"  {name}.csv: {rows} rows")
            for year in summary.years:
                rates = ", ".join(
                    f"{name.replace('_', ' ')} {rate:.1%}" for name, rate in year.rates.items()
                )
                self.stdout.write(f"  {year.school_year} ({year.students} students): {rates}")
            self.stdout.write(f"True risk (never loaded): {truth}")
            if options["load"]:
                self._load(folder, quiet)
                self.stdout.write(f"Loaded in {time.perf_counter() - started - generated:.1f} s.")
        finally:
            if options["load"]:
                shutil.rmtree(folder, ignore_errors=True)

    def _generate(self, spec, folder, truth, quiet):
        with tqdm(total=spec.students, desc="generating", unit=" students", disable=quiet,
                  file=self.stderr._out) as bar:  # fmt: skip
            return generate_district(
                spec, folder, truth, progress=lambda done, total: bar.update(done - bar.n)
            )

    def _load(self, folder, quiet):
        bars: dict[str, tqdm] = {}

        def progress(name, done, size):
            if name not in bars:
                for finished in bars.values():
                    finished.close()
                bars[name] = tqdm(total=size, desc=f"loading {name}", unit="B", unit_scale=True,
                                  disable=quiet, file=self.stderr._out)  # fmt: skip
            bars[name].update(done - bars[name].n)

        try:
            result = district_import(
                folder=folder, source=ImportRun.Source.GENERATOR, progress=progress
            )
        except ImportRejected as rejected:  # a bug in the generator: say so plainly
            raise CommandError(rejected.report()) from None
        finally:
            for bar in bars.values():
                bar.close()
        for name, counts in result.files.items():
            self.stdout.write(f"  {name}: {counts.inserted} inserted, {counts.updated} updated")


def _scratch() -> Path:
    scratch = settings.VAR_DIR / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    return scratch
