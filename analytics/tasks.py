"""Celery entry points for the weekly features: thin, they take dates and ids."""

import datetime as dt
import uuid

import pandas as pd
from celery import chord, group, shared_task
from django.utils import timezone

from analytics import features
from analytics.selectors import cohort_ids, course_marks, last_completed_week
from analytics.services import (
    chunks,
    features_compute_chunk,
    features_publish,
    features_sweep,
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
