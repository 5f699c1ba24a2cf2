"""The one place where every periodic (Celery beat) task is declared.

django-celery-beat's DatabaseScheduler copies these entries into its tables when beat starts, so
operators can see and pause them in the admin; the code here stays the source of truth.
Times are in settings.TIME_ZONE (the district's).
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # Sunday night, after the school week: the feature rows of the week that ended today, then
    # the predictions from them, then each counselor's and educator's digest email (one chain:
    # mlmodels.tasks.weekly_risk -> students.tasks.send_weekly_digests).
    "weekly-risk": {
        "task": "mlmodels.tasks.weekly_risk",
        "schedule": crontab(minute=0, hour=22, day_of_week="sun"),
    },
}
