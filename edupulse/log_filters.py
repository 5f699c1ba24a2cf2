"""Logging filters named in settings.LOGGING."""

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """A 4xx answer logged by `django.request` stays one plain WARNING line, without the
    exception's traceback: a 403 for a page outside the user's role and a 404 for a student out
    of reach are the access rules working as meant, not faults. 5xx keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
