"""Request-level safeguards for shared computers: the client's address for sign-in lockout, an
idle timeout for sessions, no browser or proxy copy of pages with student data, and the CSP
nonce where third-party admin templates look for it."""

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import logout
from django.middleware.csp import get_nonce
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

# The last request's time is written to the session at most this often (seconds), so a busy
# user does not cost a session write per request.
_TOUCH_EVERY = 60
LAST_SEEN = "edupulse_last_seen"


def client_ip(request) -> str | None:
    """The client's address, for django-axes (AXES_CLIENT_IP_CALLABLE).

    Behind EDUPULSE_PROXY_COUNT trusted proxies each appends the address it saw to
    X-Forwarded-For, so the client is that many entries from the right: entries further left
    are whatever the client sent and cannot be trusted. With no proxy, REMOTE_ADDR.
    """
    count = settings.EDUPULSE_PROXY_COUNT
    if count:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def session_started(sender, request, user, **kwargs) -> None:
    """At sign-in the idle clock starts (written with the new session, not by the next page)."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())


class SessionIdleTimeoutMiddleware:
    """Sign out a session that made no request for SESSION_IDLE_TIMEOUT seconds.

    The next request after the timeout finds the user signed out and is sent to the login page
    (which brings them back to the page they asked for).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                login = reverse(settings.LOGIN_URL)
                return redirect(f"{login}?next={quote(request.get_full_path())}")
            if last is None or now - last >= _TOUCH_EVERY:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """Cache-Control: no-store on every page and export Django renders.

    Nearly every page names students (and the rest are the login and error pages), so no page
    may stay in a shared computer's browser cache or a proxy. Static files are served before
    this (WhiteNoise) and keep their long cache lifetimes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


class CspNonceMiddleware:
    """The CSP nonce as `request.csp_nonce`, where django-admin-rangefilter's templates read it
    (Django keeps it as `request._csp_nonce`, and the `csp` context processor as `csp_nonce`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = get_nonce(request)
        return self.get_response(request)
