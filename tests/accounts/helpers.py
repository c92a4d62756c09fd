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


def fresh_totp_code(secret: str, *, used_at: float) -> str:
    """The app's code once the one entered at `used_at` has been replaced:
    allauth refuses a code a second time (replay), so a second sign-in in
    the same 30-second step waits for the next one, as a person would."""
    while int(time.time() // 30) == int(used_at // 30):
        time.sleep(0.2)
    return totp_code(secret)


def recovery_codes(user: User) -> list[str]:
    rc = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return RecoveryCodes(rc).get_unused_codes()
