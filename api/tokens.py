"""API tokens (DRF's authtoken: one per user)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from rest_framework.authtoken.models import Token


@transaction.atomic
def rotate_token(user: User) -> Token:
    """A new token for `user`; the old one, if any, stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def revoke_token(user: User) -> bool:
    """Delete the user's token; False when there was none."""
    deleted, _rows = Token.objects.filter(user=user).delete()
    return bool(deleted)
