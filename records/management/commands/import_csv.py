from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from records.importing import ImportRejected, district_import


class Command(BaseCommand):
    help = (
        "Import a folder of interchange-format CSV files (docs/data-formats.md). Everything is "
        "checked first; any problem means nothing is written and the problems are listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")

    def handle(self, *args, folder: Path, no_progress: bool, **options):
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        bars: dict[str, tqdm] = {}

        def progress(name: str, done: int, size: int) -> None:
            if no_progress:
                return
            bar = bars.get(name)
            if bar is None:
                for finished in bars.values():
                    finished.close()
                bar = bars[name] = tqdm(
                    total=size, desc=name, unit="B", unit_scale=True, file=self.stderr._out
                )
            bar.update(done - bar.n)

        try:
            result = district_import(folder=folder, progress=progress)
        except ImportRejected as rejected:
            raise CommandError(rejected.report()) from None
        finally:
            for bar in bars.values():
                bar.close()
        for name, counts in result.files.items():
            self.stdout.write(
                f"{name}: {counts.rows} rows: {counts.inserted} inserted, "
                f"{counts.updated} updated, {counts.unchanged} unchanged"
            )
        if result.changed:
            self.stdout.write(self.style.SUCCESS(f"Imported in one transaction ({result.run})."))
        else:
            self.stdout.write(
                self.style.SUCCESS("Nothing to change: the database already matches.")
            )
