from pathlib import Path

from django.core.management.base import BaseCommand
from tqdm import tqdm

from records.exporting import district_export, formula_cells


class Command(BaseCommand):
    help = "Write the district's data as interchange-format CSV files into a folder."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")

    def handle(self, *args, folder: Path, no_progress: bool, **options):
        bars: dict[str, tqdm] = {}

        def progress(name: str, rows: int) -> None:
            if no_progress:
                return
            if name not in bars:
                for finished in bars.values():
                    finished.close()
                bars[name] = tqdm(desc=name, unit=" rows", file=self.stderr._out, mininterval=0.5)
            bars[name].update(rows - bars[name].n)

        written = district_export(folder=folder, progress=progress)
        for bar in bars.values():
            bar.close()
        for name, rows in written.items():
            self.stdout.write(f"{folder / name}: {rows} rows")
        # The interchange files keep exact values (a re-import must give back the same data),
        # so a cell a spreadsheet would run as a formula is written as it is: say so.
        for name, cells in formula_cells().items():
            self.stderr.write(
                self.style.WARNING(
                    f"Warning: {folder / name} has {cells} cell(s) starting with =, +, -, @, tab "
                    "or carriage return, kept exact for re-import. A spreadsheet may run them as "
                    "formulas: do not open this file in one (docs/data-formats.md)."
                )
            )
