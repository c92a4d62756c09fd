"""Signed tokens in tracking links: nobody can forge an open, a click, an
unsubscribe or a visitor's identity for a message they did not receive."""

from __future__ import annotations

from typing import Any

from django.core import signing

OPEN, UNSUBSCRIBE, CLICK, VISITOR = "open", "unsubscribe", "click", "visitor"


def make(purpose: str, value: Any) -> str:
    """A URL-safe signed token for `value`, valid only for `purpose`."""
    return signing.Signer(salt=f"nurture.{purpose}").sign_object(value, compress=True)


def read(purpose: str, token: str) -> Any:
    """The value behind a token; raises signing.BadSignature when forged."""
    return signing.Signer(salt=f"nurture.{purpose}").unsign_object(token)
