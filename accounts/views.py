"""Password reset requests, limited per client address and per email address."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account import views as account_views
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import check_for_language
from django.views import i18n
from django.views.decorators.http import require_POST

from accounts.models import LanguagePreference
from web import ratelimit
from web.language import keep
from web.sessions import not_a_login_bounce

PER_IP = ratelimit.Limit("password-reset-ip", "BATON_PASSWORD_RESET_PER_IP_PER_MINUTE")
PER_ADDRESS = ratelimit.Limit(
    "password-reset-address", "BATON_PASSWORD_RESET_PER_ADDRESS_PER_MINUTE"
)


def limit_reset_requests(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse a flood of reset mails to one address, or from one client. The
    refusal reads the same whether or not the address has an account."""

    @wraps(view)
    def limited(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method == "POST":
            address = str(request.POST.get("email", "")).strip().casefold()
            # The counter's key holds a digest, not the address itself.
            digest = hashlib.sha256(address.encode()).hexdigest()
            wait = ratelimit.hit_all(
                [(PER_IP, ratelimit.client_ip(request)), (PER_ADDRESS, digest)]
            )
            if wait:
                response = render(
                    request, "account/password_reset_limited.html", {"wait": wait}, status=429
                )
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return limited


password_reset = limit_reset_requests(account_views.password_reset)


class PasswordResetDoneView(account_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "reset_minutes": reset_minutes()}


def reset_minutes() -> int:
    return int(settings.PASSWORD_RESET_TIMEOUT) // 60


password_reset_done = PasswordResetDoneView.as_view()


@require_POST
@not_a_login_bounce
def choose_language(request: HttpRequest) -> HttpResponse:
    """The language switch: Django's own (cookie, redirect back), and for a
    signed-in person their choice, kept for every browser and every email."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and check_for_language(language):
        LanguagePreference.objects.update_or_create(
            user=request.user, defaults={"language": language}
        )
        keep(request, language)
    return response
