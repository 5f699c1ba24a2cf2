"""Settings package: `base` holds everything; `local`, `test` and `production` only adjust it.

Every knob is read from the environment through django-environ, with a default that works for the
embedded one-machine setup (SQLite, Celery tasks run in-process).
"""
