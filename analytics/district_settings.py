"""The district's rules as the code reads them (docs/district-settings.md).

`current()` returns the one `DistrictSettings` row as a frozen `District`, or the documented
defaults without a row (the school year's start then comes from EDUPULSE_SCHOOL_YEAR_START, the
install-time default). Every reader goes through here: features (school year, pass mark, GPA
points), the ABC rules and the pages that explain them, the explanations' words and the
generator. Reads are cached for a few seconds in each process (a feature run asks thousands of
times) and dropped whenever this process saves the row.
"""

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection

CACHE_SECONDS = 30
# School grade levels (K-12: 0-12; pre-kindergarten is -1): over-age is measured only here.
K12_GRADES = range(0, 13)


@dataclass(frozen=True)
class Band:
    letter: str
    min: float
    points: float


@dataclass(frozen=True)
class District:
    school_year_start: tuple[int, int]  # (month, day)
    pass_mark: float
    grade_bands: tuple[Band, ...]  # highest first
    chronic_absence_share: float
    abc_incidents_at_least: int
    abc_severity_at_least: int
    abc_gpa_below: float

    @property
    def attendance_below(self) -> float:
        """An attendance rate below this is chronic absence (the ABC attendance indicator)."""
        return round(1.0 - self.chronic_absence_share, 6)

    def points(self, averages: pd.Series) -> pd.Series:
        """Course averages to GPA points by the letter bands (below the last band: 0)."""
        return pd.Series(
            np.select(
                [averages >= band.min for band in self.grade_bands],
                [band.points for band in self.grade_bands],
                0.0,
            ),
            index=averages.index,
        )


def grading_errors(bands) -> list[str]:
    """What is wrong with a grade_bands value, in words (empty when it is usable)."""
    if not isinstance(bands, list) or not bands:
        return ['A list of bands, highest first: [{"letter": "A", "min": 90, "points": 4}, ...].']
    errors = []
    previous = None
    for position, band in enumerate(bands, start=1):
        if not isinstance(band, dict) or set(band) != {"letter", "min", "points"}:
            errors.append(f"Band {position}: needs exactly letter, min and points.")
            continue
        if not all(isinstance(band[k], int | float) for k in ("min", "points")):
            errors.append(f"Band {position} ({band['letter']}): min and points must be numbers.")
            continue
        if previous is not None and band["min"] >= previous:
            errors.append(f"Band {position} ({band['letter']}): minimums must go down.")
        previous = band["min"]
    return errors


def _from_row(row) -> District:
    return District(
        school_year_start=(row.school_year_start_month, row.school_year_start_day),
        pass_mark=float(row.pass_mark),
        grade_bands=tuple(
            Band(str(band["letter"]), float(band["min"]), float(band["points"]))
            for band in row.grade_bands
        ),
        chronic_absence_share=float(row.chronic_absence_share),
        abc_incidents_at_least=int(row.abc_incidents_at_least),
        abc_severity_at_least=int(row.abc_severity_at_least),
        abc_gpa_below=float(row.abc_gpa_below),
    )


def defaults() -> District:
    """The documented defaults (the school year's start from EDUPULSE_SCHOOL_YEAR_START)."""
    from analytics.models import DistrictSettings

    key = ("defaults", tuple(settings.EDUPULSE_SCHOOL_YEAR_START))
    if key not in _cache:
        _cache[key] = _from_row(DistrictSettings())
    return _cache[key]


_cache: dict = {}


def clear() -> None:
    """Forget the cached row (after a save, and between tests)."""
    _cache.clear()


def _table_exists() -> bool:
    key = ("table", connection.alias, connection.settings_dict["NAME"])
    if key not in _cache:
        _cache[key] = "district_settings" in connection.introspection.table_names()
    return _cache[key]


def current() -> District:
    """The district's settings: its row, or the defaults."""
    if not _table_exists():  # before migrate
        return defaults()
    stamp, district = _cache.get("row", (None, None))
    if stamp is None or time.monotonic() - stamp > CACHE_SECONDS:
        from analytics.models import DistrictSettings

        row = DistrictSettings.objects.order_by("pk").first()
        district = None if row is None else _from_row(row)
        _cache["row"] = (time.monotonic(), district)
    return district or defaults()
