"""The Celery application. Tasks are discovered in each app's tasks.py.

With no CELERY_BROKER_URL (the embedded default) settings make every task run in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edupulse.settings.local")

app = Celery("edupulse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
