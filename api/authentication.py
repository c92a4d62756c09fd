"""Token authentication against hashed keys (api.models.ApiToken)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from api import tokens
from api.models import ApiToken


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's, looked up by the key's digest.

    A read-only token may only read: any other method is refused here, once
    for every endpoint, before the view's own permissions."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        found: tuple[User, ApiToken] | None = super().authenticate(request)
        if found is not None and found[1].read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(
                _("This token is read-only: use a read-and-write token to change anything.")
            )
        return found

    def authenticate_credentials(self, key: Any) -> tuple[User, ApiToken]:
        token = (
            ApiToken.objects.select_related("user").filter(digest=tokens.digest(str(key))).first()
        )
        now = timezone.now()
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("This token expired; create a new one on the API token page.")
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        tokens.record_use(token, now)
        return token.user, token
