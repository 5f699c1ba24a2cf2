"""Celery wiring: tasks found in the apps, in-process without a broker, beat from the database."""

import importlib

from django.conf import settings

from edupulse import schedule
from edupulse.celery import app


def test_without_a_broker_tasks_run_in_process():
    assert settings.CELERY_BROKER_URL == ""
    assert app.conf.task_always_eager is True

    @app.task(name="tests.add")
    def add(x, y):
        return x + y

    assert add.delay(2, 3).get(timeout=1) == 5


def test_with_a_broker_tasks_go_to_it(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6399/0")
    from edupulse.settings import base

    reloaded = importlib.reload(base)
    try:
        assert reloaded.CELERY_TASK_ALWAYS_EAGER is False
        assert reloaded.CELERY_RESULT_BACKEND == "redis://127.0.0.1:6399/0"
    finally:
        monkeypatch.delenv("CELERY_BROKER_URL")
        importlib.reload(base)


def test_beat_uses_the_database_scheduler_with_the_schedule_declared_in_code():
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    assert app.conf.beat_schedule == schedule.BEAT_SCHEDULE
