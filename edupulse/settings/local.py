"""One-machine trial and development: DEBUG on, SQLite and in-process tasks by default."""

from edupulse.settings.base import *  # noqa: F403
from edupulse.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
