"""The one place where every periodic (Celery beat) task is declared.

django-celery-beat's DatabaseScheduler copies these entries into its tables when beat starts, so
operators can see and pause them in the admin; the code here stays the source of truth.
The weekly feature and prediction tasks are added here as they are built.
"""

BEAT_SCHEDULE: dict[str, dict] = {}
