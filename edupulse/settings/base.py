"""Settings shared by every environment. Each value is read from the environment."""

import datetime as dt
from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; absent on most machines

# --- Core ------------------------------------------------------------------------------------
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="edupulse-insecure-key-for-local-trials-only")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "simple_history",
    "rangefilter",
    "axes",
    "students",
    "records",
    "analytics",
    "mlmodels",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "students.middleware.CspNonceMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Signs out a session idle longer than SESSION_IDLE_TIMEOUT; pages with student data are
    # never stored by browsers or proxies (Cache-Control: no-store).
    "students.middleware.SessionIdleTimeoutMiddleware",
    "students.middleware.NoStoreMiddleware",
    # Records who made each change for the audit trail (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Writes the record of access a request noted (analytics/access_log.py), in bulk.
    "analytics.access_log.AccessLogMiddleware",
    # Sign-in lockout (django-axes): last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "edupulse.urls"
WSGI_APPLICATION = "edupulse.wsgi.application"
ASGI_APPLICATION = "edupulse.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "students.navigation.menu",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
# PostgreSQL in production (DATABASE_URL=postgres://...); an SQLite file for a one-machine trial.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'edupulse.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions avoid "database is locked" upgrades when a web request and an
    # in-process task write at once; WAL lets readers proceed during a write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# Django's own backends, extended to write ON DELETE CASCADE into foreign keys (see the package).
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "edupulse.db_backends.postgresql",
    "django.db.backends.sqlite3": "edupulse.db_backends.sqlite3",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every page needs a login (LoginRequiredMiddleware): the site's own login page, then the risk
# dashboard. The admin keeps its own login form, which signs in to the same session.
LOGIN_URL = "login"
AUTHENTICATION_BACKENDS = [
    # Refuses a sign-in while its user name or address is locked out, on both login pages.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout after repeated failed sign-ins (django-axes, README "Sign-in lockout"): a user name
# that failed AXES_FAILURE_LIMIT times is locked, from every address, and so is an address that
# failed that often, for whichever user names. Districts whose staff all reach EduPulse from
# one address (a school's NAT) can lock by user name alone: EDUPULSE_LOCKOUT_BY_ADDRESS=false.
AXES_FAILURE_LIMIT = env.int("EDUPULSE_LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("EDUPULSE_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = (
    ["username", "ip_address"]
    if env.bool("EDUPULSE_LOCKOUT_BY_ADDRESS", default=True)
    else ["username"]
)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address: REMOTE_ADDR, or behind a TLS proxy (production) the address that proxy
# appended to X-Forwarded-For (students.middleware.client_ip).
AXES_CLIENT_IP_CALLABLE = "students.middleware.client_ip"
EDUPULSE_PROXY_COUNT = env.int("EDUPULSE_PROXY_COUNT", default=0)
# Failed sign-ins name the user tried, never the password.
AXES_SENSITIVE_PARAMETERS = ["password"]

# --- Sessions: shared classroom computers ----------------------------------------------------
# A session ends when the browser closes, and after SESSION_IDLE_TIMEOUT seconds without a
# request (students.middleware.SessionIdleTimeoutMiddleware). SESSION_COOKIE_AGE bounds a
# session that is kept busy.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30) * 60
SESSION_COOKIE_AGE = env.int("SESSION_MAX_HOURS", default=12) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Each role's own start page (students.navigation.home_url); this is only Django's fallback.
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- Content Security Policy (Django's own, django.middleware.csp) ---------------------------
# Everything comes from this site, and nothing inline: our templates load app.css and carry no
# <script>, <style> or style="" (tests/web/test_browser.py fails on any CSP violation). The one
# exception is the admin's date-range filter (django-admin-rangefilter), whose <style> and
# <script> carry the request's nonce; the nonce is in the header only on pages that use it.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"

# --- I18N / time -----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
# A district's school days are local dates: set TIME_ZONE to the district's zone.
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files (served by WhiteNoise; nothing is loaded from a CDN) ------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Cache: the dashboards' rendered parts and aggregates (analytics/page_cache.py) ----------
# Per process by default; set CACHE_URL (e.g. redis://...) to share it between app servers
# (production defaults to the Celery broker's Redis).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://edupulse")}


def session_engine(caches: dict) -> str:
    """Sessions are read from the cache only when every app server shares it: a per-process
    cache would keep a logged-out session alive in the other processes."""
    backend = caches["default"]["BACKEND"]
    per_process = backend.endswith(("LocMemCache", "DummyCache"))
    return f"django.contrib.sessions.backends.{'db' if per_process else 'cached_db'}"


SESSION_ENGINE = session_engine(CACHES)

# --- Uploads ---------------------------------------------------------------------------------
# The most the admin's CSV upload accepts in one request; import_csv takes files of any size.
EDUPULSE_UPLOAD_MAX_BYTES = env.int("EDUPULSE_UPLOAD_MAX_MB", default=200) * 1_000_000

# --- Celery ----------------------------------------------------------------------------------
# No broker configured (the embedded default): tasks run in-process, so a trial needs no Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The whole periodic schedule lives in one place: edupulse/schedule.py.
from edupulse.schedule import BEAT_SCHEDULE as CELERY_BEAT_SCHEDULE  # noqa: E402, F401

# --- Logging ---------------------------------------------------------------------------------
# Log lines name students by their UUID only: names, contacts and birth dates never reach logs.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {
        "client_error_without_traceback": {
            "()": "edupulse.log_filters.ClientErrorWithoutTraceback"
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's default config gives "django" its own console handler (under DEBUG) on top of
        # ours: every line, traceback and all, was written twice. One handler, the root's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A 403 or 404 is one WARNING line, not an error with a traceback.
        "django.request": {"filters": ["client_error_without_traceback"], "propagate": True},
        # SQL parameters would carry names; never log them, whatever LOG_LEVEL says.
        "django.db.backends": {"level": "WARNING", "propagate": True},
    },
}

# --- The risk model (docs/model.md) ---------------------------------------------------------------
# Outcomes that count as adverse when labelling and judging predictions.
EDUPULSE_ADVERSE_OUTCOMES = env.list(
    "EDUPULSE_ADVERSE_OUTCOMES", default=["dropped_out", "withdrawn", "failed", "retained"]
)
# The default label: an adverse outcome between the as-of date and the end of its school year
# (None). A number of days gives a fixed window instead (docs/model.md, "Labels").
EDUPULSE_HORIZON_DAYS = env.int("EDUPULSE_HORIZON_DAYS", default=None)
# The first day of the district's school year, MM-DD: features' "year to date" and the
# end-of-year label start and end here.
EDUPULSE_SCHOOL_YEAR_START = tuple(
    int(part) for part in env.str("EDUPULSE_SCHOOL_YEAR_START", default="08-01").split("-")
)
# Calibrated risk at or above each cut-off gives the category (below "medium" is low). A model
# stores the cut-offs it was trained with; these are the defaults.
EDUPULSE_RISK_CUTOFFS = {
    "medium": env.float("EDUPULSE_RISK_MEDIUM", default=0.10),
    "high": env.float("EDUPULSE_RISK_HIGH", default=0.25),
    "critical": env.float("EDUPULSE_RISK_CRITICAL", default=0.50),
}

# Scores older than this (days from the latest run's as-of date; two school weeks) are shown
# with a warning on the dashboard and the work list: the weekly scoring may have stopped.
EDUPULSE_STALE_AFTER_DAYS = env.int("EDUPULSE_STALE_AFTER_DAYS", default=14)

# --- Interventions and the weekly digest -------------------------------------------------------
# An open intervention is "due" when its last check-in (or its start) is older than this.
EDUPULSE_CHECK_IN_DAYS = env.int("EDUPULSE_CHECK_IN_DAYS", default=14)
# The site's address, for the links in the digest emails.
EDUPULSE_SITE_URL = env.str("EDUPULSE_SITE_URL", default="http://127.0.0.1:8000")

# Email (the weekly digests). EMAIL_URL (e.g. smtp+tls://user:password@mail.district.org:587)
# or EMAIL_HOST and friends; with neither, the digests are written as files into var/digests/
# (Django's file backend: nothing reaches a log), which suits a trial.
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "digests")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="EduPulse <edupulse@localhost>")

# --- Privacy and operations (README, "Privacy and operations") -------------------------------
# The research export's pseudonyms are a keyed hash (HMAC-SHA256) of the district ID with this
# secret: the same secret gives the same pseudonyms in every export; without it nobody can link
# a pseudonym back. Unset, `export_research` refuses to run. Keep it out of the repository.
EDUPULSE_RESEARCH_SECRET = env.str("EDUPULSE_RESEARCH_SECRET", default="")
# Every combination of quasi-identifiers in a research export covers at least k students.
EDUPULSE_RESEARCH_K = env.int("EDUPULSE_RESEARCH_K", default=5)
# At most this share of the students may be suppressed before another generalisation is chosen.
EDUPULSE_RESEARCH_MAX_SUPPRESSED = env.float("EDUPULSE_RESEARCH_MAX_SUPPRESSED", default=0.02)
# purge_retention deletes students whose enrollment ended more than this many years ago.
EDUPULSE_RETENTION_YEARS = env.int("EDUPULSE_RETENTION_YEARS", default=5)
# ... and entries of the record of access older than this many years.
EDUPULSE_ACCESS_LOG_YEARS = env.int("EDUPULSE_ACCESS_LOG_YEARS", default=5)
