"""Session inactivity and absolute timeouts, and what a page does when the
session has ended.

Django's SESSION_COOKIE_AGE alone cannot do both: a session saved again gets a
fresh expiry, so it either never idles out or never ends while in use. This
middleware keeps two times in the session, when the person logged in and when
they last did something, and logs them out when either is too old.

Once the session has ended, a view that needs a login answers with a redirect
to the login page. That is right for a page, wrong for the rest:
- an htmx request (the notification badge's poll) would follow it and swap the
  login page into the top bar: it gets 401 and an `HX-Trigger` event instead,
  which static/js/session.js turns into a message on the page;
- a form posted after the timeout would lose what was typed, and `next` would
  point at a POST-only URL (405 after logging in): the fields are kept in the
  new session, `next` points at the page the form was on, and that page puts
  them back in the form after the login (`pending_form`, below).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

STARTED = "baton_started_at"
LAST_SEEN = "baton_last_seen_at"
# Writing the session on every request would cost a write per request; a
# minute's precision is plenty for a 30-minute idle timeout.
TOUCH_EVERY = 60
# A form posted after the timeout, kept in the new session until its page shows it again.
PENDING_FORM = "baton_pending_form"
PENDING_FORM_MAX_CHARS = 20_000
# Never kept, whatever the form.
NOT_KEPT = {"csrfmiddlewaretoken", "password", "password1", "password2", "old_password"}
ENDED_USER = "baton_session_ended_user"
# The event htmx fires on the page when a request finds the session ended.
SESSION_ENDED_EVENT = "batonSessionEnded"


def is_activity(request: HttpRequest) -> bool:
    """Polling (htmx GETs such as the notification badge) is not the person acting."""
    return not (request.headers.get("HX-Request") and request.method == "GET")


def start_clock(request: HttpRequest | None) -> None:
    """Called at login (`on_login`, below): both clocks start now."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[STARTED] = now
        request.session[LAST_SEEN] = now


@receiver(user_logged_in, dispatch_uid="web_session_clock")
def on_login(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """The session's idle and absolute timeouts count from the login (connected
    by web/apps.py)."""
    start_clock(request)


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self.check(request)
        # Signed out before the view ran (not by it, as the logout view does).
        signed_out = not request.user.is_authenticated
        response = self.get_response(request)
        if not signed_out or not _to_login(response):
            return response
        if request.headers.get("HX-Request"):
            return session_ended()
        if request.method == "POST":
            return keep_form_and_log_in(request)
        return response

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
            user_id = request.user.pk
            logout(request)  # flushes the session; the view sees an anonymous user
            # Whose form a post made now is, to give it back to them alone.
            request.session[ENDED_USER] = user_id
            return
        if is_activity(request) and now - float(last_seen) > TOUCH_EVERY:
            session[LAST_SEEN] = now


def _to_login(response: HttpResponse) -> bool:
    if not isinstance(response, HttpResponseRedirect) or getattr(response, NOT_A_BOUNCE, False):
        return False
    return urlsplit(response.url).path == resolve_url(settings.LOGIN_URL)


NOT_A_BOUNCE = "baton_not_a_login_bounce"


def not_a_login_bounce(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a view that may send anyone back to the login page as the page they
    were on (the language switch on the login page): its redirect is an
    answer, not "sign in first", and keeps its cookies."""

    @wraps(view)
    def marked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        setattr(response, NOT_A_BOUNCE, True)
        return response

    return marked


def session_ended() -> HttpResponse:
    """For htmx: no page to swap in, an event the page's script shows."""
    response = HttpResponse(status=401)
    response["HX-Trigger"] = SESSION_ENDED_EVENT
    return response


def keep_form_and_log_in(request: HttpRequest) -> HttpResponse:
    """Keep the posted fields for the page the form was on, and log in with
    that page (never the POST-only URL) as `next`."""
    page = _form_page(request)
    fields = {name: request.POST.getlist(name) for name in request.POST if name not in NOT_KEPT}
    if not request.FILES and sum(len(v) for vs in fields.values() for v in vs) <= (
        PENDING_FORM_MAX_CHARS
    ):
        request.session[PENDING_FORM] = {
            "page": page,
            "action": request.path,
            "fields": fields,
            "user": request.session.get(ENDED_USER),
        }
    login = resolve_url(settings.LOGIN_URL)
    return HttpResponseRedirect(f"{login}?{urlencode({REDIRECT_FIELD_NAME: page})}")


def _form_page(request: HttpRequest) -> str:
    """The page the form was posted from (same site only), else the home page."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        if parts.path != resolve_url(settings.LOGIN_URL):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return resolve_url("home")


def pending_form(request: HttpRequest) -> dict[str, Any]:
    """Context processor: on the page a form was posted from after the session
    ended, once logged in again, the fields to put back (and the login page
    says why it is shown)."""
    session = getattr(request, "session", None)
    if session is None or PENDING_FORM not in session or request.headers.get("HX-Request"):
        return {}
    pending = session[PENDING_FORM]
    if not request.user.is_authenticated:
        return {"session_ended": request.path == resolve_url(settings.LOGIN_URL)}
    if request.get_full_path() != pending["page"]:
        return {}
    del session[PENDING_FORM]
    if pending["user"] not in (None, request.user.pk):
        return {}  # someone else logged in on this browser
    return {"pending_form": {"action": pending["action"], "fields": pending["fields"]}}
