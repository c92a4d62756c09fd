"""Session inactivity and absolute timeouts.

Django's SESSION_COOKIE_AGE alone cannot do both: a session saved again gets a
fresh expiry, so it either never idles out or never ends while in use. This
middleware keeps two times in the session, when the person logged in and when
they last did something, and logs them out when either is too old.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

STARTED = "baton_started_at"
LAST_SEEN = "baton_last_seen_at"
# Writing the session on every request would cost a write per request; a
# minute's precision is plenty for a 30-minute idle timeout.
TOUCH_EVERY = 60


def is_activity(request: HttpRequest) -> bool:
    """Polling (htmx GETs such as the notification badge) is not the person acting."""
    return not (request.headers.get("HX-Request") and request.method == "GET")


def start_clock(request: HttpRequest | None) -> None:
    """Called at login (audit/signals.py): both clocks start now."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[STARTED] = now
        request.session[LAST_SEEN] = now


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self.check(request)
        return self.get_response(request)

    def check(self, request: HttpRequest) -> None:
        now = time.time()
        session = request.session
        started = session.get(STARTED)
        last_seen = session.get(LAST_SEEN)
        if started is None or last_seen is None:
            # A session from before this middleware.
            session[STARTED] = session.get(STARTED, now)
            session[LAST_SEEN] = now
            return
        idle = settings.BATON_SESSION_IDLE_TIMEOUT.total_seconds()
        absolute = settings.BATON_SESSION_ABSOLUTE_TIMEOUT.total_seconds()
        if now - float(last_seen) > idle or now - float(started) > absolute:
            logout(request)  # flushes the session; the view sees an anonymous user
            return
        if is_activity(request) and now - float(last_seen) > TOUCH_EVERY:
            session[LAST_SEEN] = now
