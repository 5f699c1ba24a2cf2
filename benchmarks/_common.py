"""Shared bits of the benchmark scripts: Django set-up, timing, text bar charts."""

import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edupulse.settings.local")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (or run: make bench).")
    import django

    django.setup()


def ensure_district(students: int, *extra: str) -> None:
    """Generate and load a district of `students` (not timed) unless the database holds one;
    `extra` goes to generate_district (e.g. --seed=2026, --truth=FILE)."""
    from students.models import Student

    if Student.objects.count() >= students:
        return
    print(
        f"Generating and loading {students:,} students (not timed; ~9 min at 100k)...", flush=True
    )
    Student.objects.all().delete()
    command = [sys.executable, "manage.py", "generate_district", "--load", f"--students={students}"]
    subprocess.run([*command, *extra], cwd=ROOT, check=True)


@contextmanager
def timed(results: dict, name: str):
    started = time.perf_counter()
    yield
    results[name] = time.perf_counter() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bar_chart(title: str, values: dict[str, float], unit: str, width: int = 40) -> str:
    """A horizontal bar chart in text, for terminals and the README."""
    top = max(values.values()) or 1
    label_width = max(map(len, values))
    lines = [title]
    for label, value in values.items():
        bar = "█" * max(1, round(width * value / top))
        lines.append(f"  {label:<{label_width}} {bar} {value:,.0f} {unit}")
    return "\n".join(lines)
