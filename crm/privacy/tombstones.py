"""Tombstones: what keeps an erased person from coming back unasked.

Erasure leaves a keyed hash (HMAC-SHA256 with the SECRET_KEY, so that a list
of guessed addresses cannot be checked against the table) of the person's
folded email, and of their mobile number (070/080/090: a person's own;
landlines are often a company's switchboard, shared by many). Then:

- an import never brings them back: their rows are refused, keeping no value
  of the row (any other path that creates people asks `is_erased`);
- a capture without consent records nothing (and answers as usual, so the
  public form tells nobody who asked to be erased); a capture with a new
  consent is the person coming back: a fresh lead, joined to nothing of the
  erased one, and the tombstone is lifted;
- tracking never joins them: the erased lead keeps no visitor ids, and signed
  tokens from old emails name a lead marked erased.

The keys tried are the SECRET_KEY and its SECRET_KEY_FALLBACKS, so that a
rotated key keeps its tombstones.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_noop

from crm import normalize
from crm.imports.rows import Candidate, Rejection
from crm.models import Tombstone
from crm.privacy.identity import MOBILE

SALT = "baton.crm.privacy.tombstone"
CHUNK = 5000


def _identities(email: str, *phones: str) -> list[str]:
    found = []
    if email_key := normalize.email_key(email):
        found.append(f"email:{email_key}")
    for phone in phones:
        digits = normalize.phone_digits(phone)
        if MOBILE.fullmatch(digits):
            found.append(f"mobile:{digits}")
    return found


def _digest(identity: str, key: str) -> str:
    return salted_hmac(SALT, identity, secret=key, algorithm="sha256").hexdigest()


def _digests(identities: Iterable[str]) -> dict[str, str]:
    """digest -> identity, under the current key and every fallback."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return {_digest(identity, key): identity for identity in identities for key in keys}


def bury(*, email: str, phone: str) -> None:
    """Leave the erased person's tombstones (under the current key)."""
    Tombstone.objects.bulk_create(
        [
            Tombstone(digest=_digest(identity, settings.SECRET_KEY))
            for identity in _identities(email, phone)
        ],
        ignore_conflicts=True,
    )


def is_erased(*, email: str = "", phone: str = "") -> bool:
    """Whether this email (or mobile number) belongs to a person erased on request."""
    digests = _digests(_identities(email, phone))
    return bool(digests) and Tombstone.objects.filter(digest__in=digests).exists()


@transaction.atomic
def admit_returning_person(*, email: str, phone: str = "", consented: bool) -> bool:
    """Whether a capture may record this person: True unless they were erased;
    an erased person comes back only with a new consent, which lifts their
    tombstones (the lead made then is a fresh one)."""
    found = Tombstone.objects.filter(digest__in=_digests(_identities(email, phone)))
    if not found.exists():
        return True
    if not consented:
        return False
    found.delete()
    return True


# Kept untranslated with the import's other reasons, read in the reader's language.
ERASED_PERSON = gettext_noop(
    "This person asked to be erased: they come back only by signing up again."
)


def refuse_erased_people(candidates: dict[str, Candidate]) -> list[Rejection]:
    """Import: take the rows about erased people out of `candidates` (by
    email) and answer them as rejections that keep no value of the row."""
    if not Tombstone.objects.exists():  # the usual case: nothing to read
        return []
    wanted = {
        email: _digests(_identities(c.email, c.phone, c.mobile)) for email, c in candidates.items()
    }
    buried = _buried({d for digests in wanted.values() for d in digests})
    refused = [email for email, digests in wanted.items() if buried & set(digests)]
    return [Rejection(candidates.pop(email).line, ERASED_PERSON, []) for email in refused]


def _buried(digests: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(digests)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        found |= set(Tombstone.objects.filter(digest__in=chunk).values_list("digest", flat=True))
    return found
