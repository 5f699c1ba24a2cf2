"""The test suite: same settings as production, with a fast password hasher.

DATABASE_URL picks the database: unset means SQLite, and `make test` runs the suite a second
time against a throwaway PostgreSQL server.
"""

from edupulse.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the apps' folders, as in development: no collectstatic before tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# On SQLite the test database is a file, not memory, so the real Celery worker processes of the
# task tests can open it too.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    VAR_DIR.mkdir(exist_ok=True)  # noqa: F405  (absent in a fresh clone)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-edupulse.sqlite3")}  # noqa: F405

# No cache between tests: every request computes its aggregates, so the query-count bounds are
# the uncached (worst) case. tests/web/test_dashboard.py checks the cached path on its own.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
