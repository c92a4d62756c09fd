"""How people are named on pages (issue 20 item 6), one rule for leads and
for users (reps, owners, assignees, audit actors) alike.

A name in Japanese script (kanji or kana) is written family name first in
every language: 山田 太郎 on an English page too, as its bearer writes it. A
name in Latin letters follows the reader: family first in Japanese (Smith
John), given first in English (John Smith).
"""

from __future__ import annotations

import unicodedata

from django.contrib.auth.models import AbstractBaseUser
from django.utils import translation


def is_japanese_script(text: str) -> bool:
    """True when `text` has a kanji, hiragana or katakana (either width)."""
    for ch in text:
        code = ord(ch)
        if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
            return True
        if unicodedata.name(ch, "").startswith("CJK"):
            return True
    return False


def full_name(family: str, given: str, *, language: str) -> str:
    """The full name in the order a reader of `language` expects."""
    family_first = language.startswith("ja") or is_japanese_script(family + given)
    parts = (family, given) if family_first else (given, family)
    return " ".join(p for p in parts if p)


def user_name(first: str, last: str, username: str, *, language: str | None = None) -> str:
    """A user's name from its columns (for rows read with `.values()`)."""
    if not (first or last):
        return username
    return full_name(last, first, language=language or translation.get_language() or "")


def person(user: AbstractBaseUser | None) -> str:
    """A user's name as the reader expects it (see above), else their username."""
    if user is None:
        return ""
    first, last = getattr(user, "first_name", ""), getattr(user, "last_name", "")
    return user_name(first, last, user.get_username())
