"""Production: PostgreSQL, a Redis broker and gunicorn. Differs from base only by environment."""

from edupulse.settings.base import *  # noqa: F403
from edupulse.settings.base import CELERY_BROKER_URL, env, session_engine

SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # no default: refuse to start without one
DEBUG = False
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips a client's own): every
# plain-HTTP request is redirected to HTTPS and browsers are told to use HTTPS only (HSTS).
# Each is a setting, secure by default; turn one off only where the proxy does the same job.
SECURE_PROXY_SSL_HEADER = (
    env.str("DJANGO_SECURE_PROXY_SSL_HEADER", default="HTTP_X_FORWARDED_PROTO"),
    "https",
)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Preloading commits the district's whole registrable domain to HTTPS in every browser for
    # months: the district decides it, not a default (W021 says only that it is off).
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The proxy in front is one hop: the client's address for sign-in lockout is the last entry
# of X-Forwarded-For (students.middleware.client_ip).
EDUPULSE_PROXY_COUNT = env.int("EDUPULSE_PROXY_COUNT", default=1)
# One cache for every app server and worker, so a write anywhere shows on every dashboard at
# once (analytics/page_cache.py): the broker's Redis unless CACHE_URL names another.
CACHES = {"default": env.cache("CACHE_URL", default=CELERY_BROKER_URL or "locmemcache://edupulse")}
CACHES["default"].setdefault("KEY_PREFIX", "edupulse")
SESSION_ENGINE = session_engine(CACHES)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
