"""Production: PostgreSQL, a Redis broker and gunicorn. Differs from base only by environment."""

from edupulse.settings.base import *  # noqa: F403
from edupulse.settings.base import CELERY_BROKER_URL, env, session_engine

SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # no default: refuse to start without one
DEBUG = False
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
# One cache for every app server and worker, so a write anywhere shows on every dashboard at
# once (analytics/page_cache.py): the broker's Redis unless CACHE_URL names another.
CACHES = {"default": env.cache("CACHE_URL", default=CELERY_BROKER_URL or "locmemcache://edupulse")}
CACHES["default"].setdefault("KEY_PREFIX", "edupulse")
SESSION_ENGINE = session_engine(CACHES)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
