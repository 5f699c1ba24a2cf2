"""Celery entry points of the students app: thin, they take dates and call a service."""

import datetime as dt

from celery import shared_task

from students.digests import digests_send


@shared_task
def send_weekly_digests(scored: dict) -> dict:
    """The weekly chain's last step: the digests of the week just scored (`scored` is
    `mlmodels.tasks.predict_week`'s result, passed on with the digests' counts added).
    Idempotent: a user who got the week's digest gets no second one."""
    report = digests_send(as_of=dt.date.fromisoformat(scored["as_of"]))
    return {**scored, "digests": report.sent}
