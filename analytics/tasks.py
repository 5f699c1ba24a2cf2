"""Celery entry points for the weekly features: thin, they take dates and ids."""

import datetime as dt
import uuid

import pandas as pd
from celery import chord, group, shared_task
from django.utils import timezone

from analytics import features
from analytics.selectors import as_of_dates, cohort_ids, course_marks, last_completed_week
from analytics.services import (
    chunks,
    features_compute_chunk,
    features_publish,
    features_stage_range_chunk,
    features_sweep,
    range_courses,
)


@shared_task
def compute_features_chunk(
    as_of: str, student_ids: list[str], run: str, courses: dict | None = None
) -> int:
    """Stage one chunk's rows under the run's id (nothing is published yet). `courses`: the
    courses' marks as of T, read once by compute_weekly_features (a dict of lists)."""
    return features_compute_chunk(
        as_of=dt.date.fromisoformat(as_of),
        student_ids=student_ids,
        run=uuid.UUID(run),
        courses=None if courses is None else pd.DataFrame(courses),
    )


@shared_task
def finish_features(written: list[int], as_of: str, run: str) -> int:
    """The chord's callback, once every chunk is staged: publish the run, T's rows replaced in
    one transaction (serialised per date with any other run of T); the rows published. If
    publishing fails, the run's stage is emptied. If a chunk fails, the callback never runs and
    T's rows stay as they were (the run's stage is swept by a later run after ABANDONED)."""
    return features_publish(as_of=dt.date.fromisoformat(as_of), run=uuid.UUID(run))


@shared_task(bind=True)
def compute_weekly_features(self, as_of: str | None = None, chunk_size: int = 5000):
    """Fan T's cohort out over the workers: one task per chunk, then the callback.

    The task replaces itself with the chord, so a chain that follows it (the predictions) runs
    when the last chunk is done. Default T: the Sunday ending the last completed week.
    """
    day = dt.date.fromisoformat(as_of) if as_of else last_completed_week(timezone.localdate())
    features_sweep()
    run = str(uuid.uuid4())
    parts = chunks(cohort_ids(as_of=day), chunk_size)
    # Every chunk places its course averages against the same courses' marks: read them once.
    courses = course_marks(features.Windows(day)).to_dict("list")
    work = group(compute_features_chunk.s(day.isoformat(), part, run, courses) for part in parts)
    return self.replace(chord(work, finish_features.s(day.isoformat(), run)))


@shared_task
def compute_features_range_chunk(
    dates: list[str], student_ids: list[str], runs: dict[str, str], courses: dict[str, dict]
) -> int:
    """Stage one chunk's rows of every date of a range, each under its date's run: the chunk's
    records read once for all dates (nothing is published yet)."""
    return features_stage_range_chunk(
        dates=[dt.date.fromisoformat(d) for d in dates],
        student_ids=student_ids,
        runs={dt.date.fromisoformat(d): uuid.UUID(run) for d, run in runs.items()},
        courses={dt.date.fromisoformat(d): pd.DataFrame(c) for d, c in courses.items()},
    )


@shared_task
def finish_features_range(written: list[int], runs: dict[str, str]) -> dict[str, int]:
    """The range chord's callback, once every chunk is staged: publish each date's run, each
    date on its own and atomically (as finish_features); the rows published per date. If a
    chunk fails, the callback never runs and every date's rows stay as they were."""
    return {
        day: features_publish(as_of=dt.date.fromisoformat(day), run=uuid.UUID(run))
        for day, run in sorted(runs.items())
    }


@shared_task(bind=True)
def compute_features_range(self, first: str, last: str, chunk_size: int = 5000):
    """Fan a backfill (every 7 days from `first` to `last`) out over the workers: one task per
    chunk of the students of any of the dates' cohorts, each reading its records once for every
    date, then the callback publishing each date. Replaces itself with the chord, as
    compute_weekly_features does."""
    dates = as_of_dates(
        as_of=None,
        first=dt.date.fromisoformat(first),
        last=dt.date.fromisoformat(last),
        today=timezone.localdate(),
    )
    features_sweep()
    runs = {d.isoformat(): str(uuid.uuid4()) for d in dates}
    everyone = sorted(set().union(*(cohort_ids(as_of=d) for d in dates)))
    # Every chunk places its course averages against the same courses' marks: read them once.
    courses = {d.isoformat(): c.to_dict("list") for d, c in range_courses(dates).items()}
    days = list(runs)
    work = group(
        compute_features_range_chunk.s(days, part, runs, courses)
        for part in chunks(everyone, chunk_size)
    )
    return self.replace(chord(work, finish_features_range.s(runs)))
