"""The signed-in person's language, on every page, in every browser.

A login keeps the person's chosen language in the session
(accounts/signals.py); this middleware, placed just before Django's
LocaleMiddleware, hands it on as if it were the language cookie, so the
choice follows the person to a new browser without a query per request. A
browser that has the cookie already keeps it: the switch that set it saved
the same choice (accounts.views.choose_language).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SESSION_KEY = "baton_language"


def keep(request: HttpRequest, language: str) -> None:
    """Speak `language` to this session from its next request on."""
    if hasattr(request, "session"):
        request.session[SESSION_KEY] = language


class SessionLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.known = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cookie = settings.LANGUAGE_COOKIE_NAME
        session = getattr(request, "session", None)
        if cookie not in request.COOKIES and session is not None:
            language = session.get(SESSION_KEY)
            if language in self.known:
                request.COOKIES[cookie] = language
        return self.get_response(request)
