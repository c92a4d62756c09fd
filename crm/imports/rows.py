"""One mapped row to a person we can import, or the reason we cannot."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, fields
from dataclasses import field as dataclass_field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm import normalize
from crm.imports import names
from crm.imports.mapping import ANSWER_PREFIX, FIELDS, FREE_ANSWER

_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


@dataclass
class Candidate:
    """A person as the file describes them (text NFKC-normalised)."""

    line: int  # the row's line in the file; the header is line 1
    email: str
    # May be empty for a row about someone already known (the file or the
    # database); engine.plan rejects it otherwise.
    family_name: str = ""
    given_name: str = ""
    family_name_kana: str = ""
    given_name_kana: str = ""
    company: str = ""
    company_kana: str = ""
    department: str = ""
    title: str = ""
    phone: str = ""
    phone_direct: str = ""
    phone_department: str = ""
    mobile: str = ""
    fax: str = ""
    postal_code: str = ""
    address: str = ""
    url: str = ""
    note: str = ""
    occurred_on: date | None = None
    # Cells of columns mapped to the question ledger, by column target
    # ("answer:budget", "answer:other:<header>"): crm/imports/answers.py.
    answers: dict[str, str] = dataclass_field(default_factory=dict)

    def fill_from(self, later: Candidate) -> None:
        """Fold a later row about the same person in: its values win where it has them."""
        self.answers.update(later.answers)
        for f in fields(self):
            if f.name in ("line", "email", "answers"):
                continue
            value = getattr(later, f.name)
            if value:
                setattr(self, f.name, value)


@dataclass(frozen=True)
class Rejection:
    """A row that cannot be imported. The reason is kept untranslated (its
    message id and values): the import runs in a worker, and the page and the
    file of rejected rows give it in the language of whoever reads them."""

    line: int
    reason: str  # a message id of REASONS
    values: list[str]
    params: dict[str, str] = dataclass_field(default_factory=dict)

    def message(self) -> str:
        return reason_text(self.reason, self.params)

    def as_json(self) -> dict[str, object]:
        return {
            "line": self.line,
            "reason": self.reason,
            "params": self.params,
            "values": self.values,
        }


NAME_MISSING = gettext_noop("The name is missing.")
EMAIL_MISSING = gettext_noop("The email address is missing.")
EMAIL_INVALID = gettext_noop("“%(email)s” is not a valid email address.")
DATE_NOT_UNDERSTOOD = gettext_noop("The date “%(date)s” is not understood.")
TOO_LONG = gettext_noop("Too long: %(fields)s.")


def reason_text(reason: str, params: dict[str, str] | None = None) -> str:
    """A stored reason in the current language. Jobs stored before reasons
    were kept untranslated hold text, which comes back as it was."""
    params = dict(params or {})
    if "fields" in params:  # field names, shown as the mapping form names them
        params["fields"] = ", ".join(
            str(FIELDS.get(name, name)) for name in params["fields"].split(",") if name
        )
    text = _(reason)
    return text % params if params else text


def name_missing(candidate: Candidate, values: list[str]) -> Rejection:
    return Rejection(candidate.line, NAME_MISSING, values)


def check_row(values: list[str], mapping: list[str], *, line: int) -> Candidate | Rejection | None:
    """The row as a candidate, a rejection with its reason, or None when it is empty."""
    texts = [normalize.nfkc(value) for value in values]
    if not any(texts):
        return None
    cells: dict[str, str] = {}
    for field, text in zip(mapping, texts, strict=True):
        if field and text:
            cells.setdefault(field, text)
    if "full_name" in cells and "family_name" not in cells:
        cells["family_name"], cells["given_name"] = _split_name(
            cells.pop("full_name"), cells.get("given_name", "")
        )
    if "full_name_kana" in cells and "family_name_kana" not in cells:
        kana = cells.pop("full_name_kana")
        cells["family_name_kana"], cells["given_name_kana"] = _split_name(
            kana, cells.get("given_name_kana", "")
        )
    cells.pop("full_name", None)
    cells.pop("full_name_kana", None)
    email = normalize.email_key(cells.pop("email", ""))
    if not email:
        return Rejection(line, EMAIL_MISSING, values)
    try:
        validate_email(email)
    except ValidationError:
        return Rejection(line, EMAIL_INVALID, values, {"email": email})
    occurred_on = None
    if raw_date := cells.pop("occurred_on", ""):
        occurred_on = parse_date(raw_date)
        if occurred_on is None:
            return Rejection(line, DATE_NOT_UNDERSTOOD, values, {"date": raw_date})
    answers = {name: cells.pop(name) for name in list(cells) if name.startswith(ANSWER_PREFIX)}
    too_long = [name for name, limit in LIMITS.items() if len(cells.get(name, "")) > limit]
    too_long += [
        FREE_ANSWER if name.startswith(FREE_ANSWER) else name
        for name, text in answers.items()
        if len(text) > ANSWER_LIMIT
    ]
    if too_long:
        return Rejection(line, TOO_LONG, values, {"fields": ",".join(dict.fromkeys(too_long))})
    return Candidate(line=line, email=email, occurred_on=occurred_on, answers=answers, **cells)


# Column limits of the model fields the values go into.
LIMITS = {
    "family_name": 100, "given_name": 100, "family_name_kana": 100, "given_name_kana": 100,
    "company": 200, "company_kana": 200, "department": 100, "title": 100, "phone": 30,
    "phone_direct": 30, "phone_department": 30, "mobile": 30, "fax": 30, "postal_code": 10,
    "address": 300, "url": 200, "note": 2000,
}  # fmt: skip


# An answer in the question ledger (crm.ledger.ANSWER_MAX_LENGTH).
ANSWER_LIMIT = 2000


@functools.lru_cache(maxsize=4096)  # a file's rows share a few hundred dates
def parse_date(text: str) -> date | None:
    match = _DATE.match(text.strip())
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _split_name(full: str, given: str) -> tuple[str, str]:
    """山田 太郎 → (山田, 太郎); 山田太郎, without a space, is split by the rule
    in crm/imports/names.py (a known family name at its start)."""
    parts = full.split(maxsplit=1)
    if len(parts) == 2:
        return parts[0], given or parts[1]
    if given:
        return full, given
    return names.split_full_name(full)
