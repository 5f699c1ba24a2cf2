"""School years as training and validation sets: their weekly as-of dates, and the feature rows
they need (computed when missing, with progress).

A school year is named 'YYYY-YYYY' and runs from the district's school year start
(settings.EDUPULSE_SCHOOL_YEAR_START) to the day before the next one. Its weeks are the Sundays
from its first school day to the one before its last school day: on the Sunday after the last
school day the year's decisions are already taken, so that week has nothing left to predict.
"""

import datetime as dt
from collections.abc import Callable, Iterable

from analytics import features, selectors
from analytics.models import StudentFeatures
from analytics.services import features_compute_range


class SchoolYearError(ValueError):
    """A school year that cannot be used; the message says why."""


def school_weeks(label: str) -> list[dt.date]:
    """The as-of dates (Sundays) of the school year `label` that have school days."""
    try:
        first, last = features.school_year_bounds(label)
    except ValueError as error:
        raise SchoolYearError(str(error)) from None
    days = selectors.school_days(first=first, last=last)
    if not days:
        raise SchoolYearError(f"The school year {label} has no attendance records.")
    sunday = days[0] + dt.timedelta(days=6 - days[0].weekday())
    weeks = []
    while sunday < days[-1]:
        weeks.append(sunday)
        sunday += dt.timedelta(days=7)
    return weeks


def weeks_of_years(labels: Iterable[str], every: int = 1) -> list[dt.date]:
    """Every `every`-th school week of each year, oldest first."""
    weeks: list[dt.date] = []
    for label in labels:
        weeks += school_weeks(label)[:: max(every, 1)]
    return sorted(set(weeks))


def ensure_features(
    dates: Iterable[dt.date], progress: Callable[[str], None] | None = None
) -> list[dt.date]:
    """Compute the feature rows of every date that has none yet (in one pass over each chunk's
    records, each date published atomically); return the dates computed."""
    dates = sorted(set(dates))
    stored = set(
        StudentFeatures.objects.filter(feature_date__in=dates)
        .values_list("feature_date", flat=True)
        .distinct()
    )
    missing = [d for d in dates if d not in stored]
    if not missing:
        return []
    if progress:
        progress(
            f"Computing the feature rows of {len(missing)} weeks ({missing[0]} to {missing[-1]})"
        )

    def chunk_done(done: int, total: int) -> None:
        if progress:
            progress(f"  features: {done:,} of {total:,} students")

    written = features_compute_range(dates=missing, progress=chunk_done)
    if progress:
        progress(f"  {sum(written.values()):,} feature rows for {len(missing)} weeks")
    return missing
