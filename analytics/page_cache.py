"""What the dashboards keep between requests, and when it goes stale.

Drawing a dashboard page (fifty rows, two charts, the filter form) costs more than its SQL, and
what it shows changes when students, predictions, models, assignments or interventions (and
their check-ins, which decide "check-in due") are written. Every cached part's key therefore
holds the *data generation*, a token replaced on each such write:

- rows saved or deleted one by one (the admin, activation, assignments, demo users,
  interventions and check-ins): the signals connected by `connect()`;
- bulk writers that bypass signals: the import records an `ImportRun` (a signal too), the weekly
  scoring calls `data_changed()` itself.
Either way the generation changes when the transaction commits, never before: a request running
meanwhile cannot cache the old rows under the new generation.

Entries also expire after PAGE_SECONDS, which bounds how stale a page can be if a write reaches
the database some other way (raw SQL in a shell). With the default per-process cache a write made
by another process (a Celery worker scoring a week) shows after WEEK_SECONDS (a new week) or
PAGE_SECONDS (the same week scored again); with a shared cache (CACHE_URL, which production
points at Redis) it shows on the next request. The cache then holds rendered pages, student
names included: keep it on the district's private network, like the database.
"""

import hashlib
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

GENERATION_KEY = "pages:generation"
# Who is in which scope: replaced when students or assignments are written (not by scoring), so
# aggregates kept longer than a generation (past weeks' counts) follow a student who leaves a
# caseload on the next request.
MEMBERSHIP_KEY = "pages:membership"
PAGE_SECONDS = 600
# The active model and its latest as-of date, read by every dashboard request.
WEEK_SECONDS = 60


def generation() -> str:
    """The current data generation (a new one is made if the cache lost it)."""
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(GENERATION_KEY) or "uncached"
    return token


def membership() -> str:
    """The current membership token (a new one is made if the cache lost it)."""
    token = cache.get(MEMBERSHIP_KEY)
    if token is None:
        cache.add(MEMBERSHIP_KEY, uuid.uuid4().hex, None)
        token = cache.get(MEMBERSHIP_KEY) or "uncached"
    return token


def membership_changed(**_signal_arguments) -> None:
    cache.set(MEMBERSHIP_KEY, uuid.uuid4().hex, None)
    data_changed()


def membership_changed_on_commit(**_signal_arguments) -> None:
    transaction.on_commit(membership_changed)


def data_changed(**_signal_arguments) -> None:
    """Start a new generation: every cached page part is recomputed on its next request."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def key(*parts) -> str:
    """A cache key for `parts` in the current generation (a digest: parts may hold a search
    term or a school name)."""
    readable = repr((generation(), *parts))
    return "pages:" + hashlib.sha256(readable.encode()).hexdigest()


def cached(parts: tuple, compute, seconds: int = PAGE_SECONDS):
    """`compute()`, kept under `parts` for the current generation."""
    name = key(*parts)
    value = cache.get(name)
    if value is None:
        value = compute()
        cache.set(name, value, seconds)
    return value


def lookup(parts: tuple):
    """What `store` kept under `parts` in the current generation, or None."""
    return cache.get(key(*parts))


def store(parts: tuple, value, seconds: int = PAGE_SECONDS) -> None:
    cache.set(key(*parts), value, seconds)


def changed_on_commit(**_signal_arguments) -> None:
    transaction.on_commit(data_changed)


def connect() -> None:
    """Follow the writes of every table the dashboards show (called by AnalyticsConfig.ready)."""
    from mlmodels.models import ModelMetadata, Prediction
    from records.models import ImportRun
    from students.models import Assignment, CheckIn, Intervention, Student

    for model in (Prediction, ModelMetadata, Intervention, CheckIn):
        post_save.connect(changed_on_commit, sender=model, dispatch_uid=f"pages-{model.__name__}")
        post_delete.connect(changed_on_commit, sender=model, dispatch_uid=f"pages-{model.__name__}")
    # Who belongs to which scope (a student's school or grade, an assignment, an import).
    for model in (Student, Assignment, ImportRun):
        uid = f"pages-{model.__name__}"
        post_save.connect(membership_changed_on_commit, sender=model, dispatch_uid=uid)
        post_delete.connect(membership_changed_on_commit, sender=model, dispatch_uid=uid)
