"""What names a person wherever they were copied: their email, phone and full
names, as typed and as URLs and JSON encode them."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from crm import normalize
from crm.models import Lead

ERASED = "[erased]"
# Shorter digit runs would match unrelated numbers.
MIN_PHONE_DIGITS = 8
# A mobile number is a person's own; a landline is often a company's
# switchboard, shared by everyone there.
MOBILE = re.compile(r"0[789]0\d{8}")


@dataclass(frozen=True)
class Identifiers:
    """The person's identifiers, and how to recognise them in text or a table row."""

    strings: tuple[str, ...]
    email: str
    phone_digits: str
    # (family, given) name keys (crm.normalize.name_key), kanji and kana.
    names: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, lead: Lead) -> Identifiers:
        found = {lead.email.strip()}
        if lead.phone.strip():
            found.add(lead.phone.strip())
        digits = normalize.phone_digits(lead.phone)
        if len(digits) >= MIN_PHONE_DIGITS:
            found |= {digits, f"+81{digits[1:]}" if digits.startswith("0") else digits}
        else:
            digits = ""
        # The other numbers a card carried (direct, department, mobile, fax).
        for number in (lead.phone_direct, lead.phone_department, lead.mobile, lead.fax):
            if len(other := normalize.phone_digits(number)) >= MIN_PHONE_DIGITS:
                found |= {number.strip(), other}
        names = []
        for family, given in (
            (lead.family_name, lead.given_name),
            (lead.family_name_kana, lead.given_name_kana),
        ):
            family, given = family.strip(), given.strip()
            if family and given:
                for sep in ("", " ", "\u3000"):
                    found |= {f"{family}{sep}{given}", f"{given}{sep}{family}"}
                names.append((normalize.name_key(family), normalize.name_key(given)))
        return cls(
            strings=tuple(sorted((s for s in found if len(s) >= 3), key=len, reverse=True)),
            email=normalize.email_key(lead.email),
            phone_digits=digits,
            names=tuple(names),
        )

    def forms(self) -> list[str]:
        """Each identifier as typed, URL-encoded (%40, + or %20 for spaces) and
        as JSON escapes non-ASCII text (SQLite keeps JSON that way)."""
        out: set[str] = set()
        for text in self.strings:
            out |= {text, quote(text, safe=""), quote_plus(text), json.dumps(text)[1:-1]}
        return sorted(out, key=len, reverse=True)

    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.regex(), re.IGNORECASE)

    def regex(self) -> str:
        """One alternation of every form, for Python and for the database
        (`iregex`: PostgreSQL reads Python's escapes of punctuation alike)."""
        return "|".join(re.escape(form) for form in self.forms())

    def as_bytes(self) -> list[bytes]:
        """How the identifiers, and each name part, look inside a stored file
        in every encoding imports accept."""
        texts = [*self.strings, *(part for pair in self.names for part in pair)]
        out = []
        for text in texts:
            for encoding in ("utf-8", "cp932", "utf-16-le", "utf-16-be"):
                try:
                    out.append(text.encode(encoding))
                except UnicodeEncodeError:
                    continue
        return out

    def own_row(self, cells: Sequence[str]) -> bool:
        """A table row about the person: their email or mobile number in a
        cell, or their family and given names (or readings) as two cells or one."""
        keys = {normalize.name_key(cell) for cell in cells if cell}
        mobile = self.phone_digits if MOBILE.fullmatch(self.phone_digits) else ""
        for cell in cells:
            if normalize.email_key(cell) == self.email:
                return True
            if mobile and normalize.phone_digits(cell) == mobile:
                return True
        return any(
            {family, given} <= keys or f"{family}{given}" in keys or f"{given}{family}" in keys
            for family, given in self.names
        )


def reduce_url(url: str, pattern: re.Pattern[str]) -> str:
    """A page address without what may name a visitor: the query, the
    fragment and any user in the host go, identifiers in the path too. The
    path stays: scoring rules match pages by it."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return ERASED
    reduced = urlunsplit((parts.scheme, host + port, parts.path, "", ""))
    return pattern.sub(ERASED, reduced)
