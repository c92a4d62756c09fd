"""API tokens: made, rotated and revoked here, each change in the audit trail.

A key is 256 random bits, shown once; only its SHA-256 digest is stored.
Tokens are independent of the browser session: logging out does not end them
(an integration holding one keeps working); they end when they expire, when
they are revoked, or when their user is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from api.models import LAST_USE_PRECISION, ApiToken
from audit import trail

KEY_PREFIX = "baton_"  # lets secret scanners and people recognise a Baton key
LIFETIMES = (30, 90, 365)  # days a token may live, offered on the token page
DEFAULT_DAYS = 90
MAX_DAYS = 365


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _audit(action: str, token: ApiToken, by: User | None) -> None:
    trail.record(
        action,
        token,
        actor=by,
        changes={
            "user": token.user_id,
            "name": token.name,
            "scope": token.scope,
            "expires_at": token.expires_at.isoformat(),
        },
    )


@transaction.atomic
def create_token(
    user: User,
    *,
    name: str,
    scope: str = ApiToken.Scope.WRITE,
    days: int = DEFAULT_DAYS,
    by: User | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and its key, which is never stored
    and cannot be shown again. Raises IntegrityError when the user has a
    token of that name that is not revoked."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a token lives 1 to {MAX_DAYS} days")
    key, now = _new_key(), timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        prefix=key[: len(KEY_PREFIX) + 4],
        digest=digest(key),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    _audit(trail.Action.API_TOKEN_CREATED, token, by or user)
    return token, key


@transaction.atomic
def rotate_token(token: ApiToken, *, by: User | None = None) -> tuple[ApiToken, str] | None:
    """A new key for the token, for as long as it was made to live; the old key
    stops at once. None when the token was revoked meanwhile."""
    key, now = _new_key(), timezone.now()
    lifetime = max(token.expires_at - token.created_at, timedelta(days=1))
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        prefix=key[: len(KEY_PREFIX) + 4],
        digest=digest(key),
        created_at=now,
        expires_at=now + lifetime,
        last_used_at=None,
    )
    if not changed:
        return None
    token.refresh_from_db()
    _audit(trail.Action.API_TOKEN_ROTATED, token, by or token.user)
    return token, key


@transaction.atomic
def revoke_token(token: ApiToken, *, by: User | None = None) -> bool:
    """The token stops working at once; False when it was revoked already."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        token.refresh_from_db()
        _audit(trail.Action.API_TOKEN_REVOKED, token, by or token.user)
    return bool(revoked)


def record_use(token: ApiToken, now: datetime) -> None:
    """Note that the token was used, at most once per LAST_USE_PRECISION (a
    conditional update: concurrent requests write it once)."""
    if token.last_used_at is not None and token.last_used_at > now - LAST_USE_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USE_PRECISION)
    ).update(last_used_at=now)
    token.last_used_at = now
