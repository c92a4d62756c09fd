"""django-allauth adapters: who may sign on, with which roles, and where
Baton differs from allauth's defaults."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.shortcuts import render

from accounts import services
from accounts.roles import roles_from_claims
from audit.trail import Action, record
from web.client import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are made by an admin, or by single sign-on (below).
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # The address django-axes, the rate limits and the audit trail use.
        return client_ip(request)


def claims_of(sociallogin: SocialLogin) -> dict[str, Any]:
    """The ID token's claims, overlaid with the userinfo answer's (Entra ID
    puts groups in the ID token only; others in userinfo)."""
    data = sociallogin.account.extra_data or {}
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def sso_roles(sociallogin: SocialLogin) -> set[str] | None:
    """The roles the sign-on carries; None when roles are kept in Baton
    (no OIDC_ROLES_CLAIM)."""
    claim = settings.BATON_OIDC_ROLES_CLAIM
    if not claim:
        return None
    return roles_from_claims(
        claims_of(sociallogin), claim=claim, role_map=settings.BATON_OIDC_ROLE_MAP
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Who may sign on through OpenID Connect:

    - with OIDC_ROLES_CLAIM set, whoever the claim gives a Baton role; their
      roles follow the claim at every sign-on, and a sign-on whose claim gives
      none is refused (a new person gets no account);
    - without it, only people who already have a Baton account (linked
      before, or matched once by an address the provider marks verified);
      their roles are given in Baton.
    A new person whose address already belongs to a Baton account the
    provider did not vouch for is refused rather than given a second account.
    """

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        roles = sso_roles(sociallogin)
        if roles is not None and not roles:
            refuse(request, sociallogin, "no_role")
        if not sociallogin.is_existing:
            if roles is None:
                refuse(request, sociallogin, "unknown")
            email = claims_of(sociallogin).get("email") or ""
            if email and User.objects.filter(email__iexact=email).exists():
                refuse(request, sociallogin, "email_taken")
        elif roles is not None:
            assert isinstance(sociallogin.user, User)  # nosec B101  # Django's User
            services.sync_roles(sociallogin.user, roles)

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return bool(sso_roles(sociallogin))

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        user = super().save_user(request, sociallogin, form)
        services.sync_roles(user, sso_roles(sociallogin) or set())
        return user


REFUSALS = {"no_role", "unknown", "email_taken"}


def refuse(request: HttpRequest, sociallogin: SocialLogin, reason: str) -> None:
    """End the sign-on with a page that says why, and note the attempt."""
    assert reason in REFUSALS  # nosec B101  # the template knows these
    record(
        Action.LOGIN_FAILED,
        summary=f"single sign-on {sociallogin.account.uid}"[:150],
        object_type="user",
        changes={"sso": sociallogin.account.provider, "reason": reason},
    )
    response = render(request, "account/sso_refused.html", {"reason": reason}, status=403)
    raise ImmediateHttpResponse(response)
