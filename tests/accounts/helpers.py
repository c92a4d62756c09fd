"""Second factors for tests, made as a person's authenticator app would."""

from __future__ import annotations

import time

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.contrib.auth.models import User


def enable_totp(user: User) -> str:
    """Give `user` an authenticator app and recovery codes; returns the secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def totp_code(secret: str, *, at: float | None = None) -> str:
    return format_hotp_value(hotp_value(secret, int((at or time.time()) // 30)))


def recovery_codes(user: User) -> list[str]:
    rc = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return RecoveryCodes(rc).get_unused_codes()
