"""Managers and admins (MFA_REQUIRED_ROLES) set up a second factor before
anything else: until they do, every page sends them to the setup page."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from accounts import services

# Set once the requirement is met (or does not apply) for this session's user,
# so that the check costs no query per request; cleared when a second factor
# is removed (accounts/signals.py). A role given later applies from the next login.
CHECKED = "baton_mfa_checked"

# What someone who must still set up a second factor may reach.
ALLOWED = {
    "logout",
    "account_logout",
    "account_reauthenticate",
    "set_language",
    "healthz",
    "readyz",
    "javascript-catalog",
}
ALLOWED_PREFIXES = ("mfa_",)


class MfaRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.BATON_MFA_REQUIRED_ROLES
            and request.user.is_authenticated
            and not request.session.get(CHECKED)
        ):
            if not services.mfa_required(request.user):
                request.session[CHECKED] = True
            elif not self.allowed(request):
                return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def allowed(request: HttpRequest) -> bool:
        try:
            name = resolve(request.path_info).url_name or ""
        except Resolver404:
            return False
        return name in ALLOWED or name.startswith(ALLOWED_PREFIXES)

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse:
        setup = reverse("mfa_index")
        message = _("Set up a second factor (an authenticator app or a security key) first.")
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=403)
        if request.headers.get("HX-Request"):
            # An htmx request would swap the setup page into its target. A
            # poll (the badge, on the setup page too) gets nothing; an action
            # sends the page to the setup.
            if request.method == "GET":
                return HttpResponse(status=204)
            return HttpResponse(status=204, headers={"HX-Redirect": setup})
        messages.warning(request, message)
        return HttpResponseRedirect(setup)
