"""Lead columns computed from others (search keys, phone digits): Lead.save()
and the bulk paths compute them here alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from crm import normalize

if TYPE_CHECKING:
    pass


def other_phone_digits(*numbers: str) -> str:
    """A lead's other numbers as one searchable column (Lead.other_phone_digits)."""
    return " ".join(d for n in numbers if (d := normalize.phone_digits(n)))[:70]


# Lead columns computed from others in save() (and by the bulk paths alike).
DERIVED_LEAD_COLUMNS = ("phone_digits", "search_text", "reading_key", "other_phone_digits")
# What they are computed from.
DERIVED_FROM = (
    "family_name", "given_name", "family_name_kana", "given_name_kana", "email",
    "phone", "phone_direct", "phone_department", "mobile",
)  # fmt: skip


def derived_lead_columns(values: Mapping[str, Any]) -> dict[str, str]:
    """The DERIVED_LEAD_COLUMNS of a lead with these values (names, readings,
    email, phones): Lead.save() and the bulk paths (crm/people.py's lead_row)
    compute them here, so they never differ."""

    def get(name: str) -> str:
        return values.get(name) or ""

    return {
        "phone_digits": normalize.phone_digits(get("phone")),
        "search_text": normalize.search_key(
            get("family_name"),
            get("given_name"),
            get("family_name_kana"),
            get("given_name_kana"),
            get("email"),
        )[:600],
        "reading_key": normalize.reading_key(
            get("family_name_kana"), get("given_name_kana"), get("family_name"), get("given_name")
        ),
        "other_phone_digits": other_phone_digits(
            get("phone_direct"), get("phone_department"), get("mobile")
        ),
    }
