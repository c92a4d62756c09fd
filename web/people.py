"""How people are named on pages: family name first in Japanese."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils import translation


def person(user: AbstractBaseUser | None) -> str:
    """A user's name in the reader's language order, else their username."""
    if user is None:
        return ""
    first, last = getattr(user, "first_name", ""), getattr(user, "last_name", "")
    if not (first or last):
        return user.get_username()
    if (translation.get_language() or "").startswith("ja"):
        return f"{last} {first}".strip()
    return f"{first} {last}".strip()
