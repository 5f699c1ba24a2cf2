"""Celery entry points for the weekly predictions: thin, they take dates."""

import datetime as dt

from celery import chain, shared_task
from django.utils import timezone

from analytics.selectors import last_completed_week
from analytics.services import features_compute
from analytics.tasks import compute_weekly_features
from mlmodels.scoring import predict
from students.tasks import send_weekly_digests


@shared_task
def predict_week(as_of: str) -> dict:
    """Score T's cohort with the active model; T's previous predictions stay if this fails."""
    model, written = predict(as_of=dt.date.fromisoformat(as_of))
    return {"as_of": as_of, "model_version": model.model_version, "predictions": written}


@shared_task(bind=True)
def weekly_risk(self, as_of: str | None = None, chunk_size: int = 5000):
    """The weekly job: T's feature rows (fanned out over the workers), then T's predictions,
    then the staff's digests of the week (students.tasks.send_weekly_digests).

    One chain: the predictions start only when every feature chunk is done, and do not run at
    all if the features fail, so the dashboards keep showing the last good week; no digest
    goes out about a week that was not scored.
    """
    day = as_of or last_completed_week(timezone.localdate()).isoformat()
    if self.request.is_eager:  # no broker (the embedded default): the same steps, in-process
        features_compute(as_of=dt.date.fromisoformat(day), chunk_size=chunk_size)
        return send_weekly_digests(predict_week(day))
    return self.replace(
        chain(
            compute_weekly_features.si(day, chunk_size=chunk_size),
            predict_week.si(day),
            send_weekly_digests.s(),
        )
    )
