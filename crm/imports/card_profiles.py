"""Business-card service exports (Sansan, Eight), recognised from their
headers: every column they carry is mapped to a field or deliberately
ignored, with the reason shown in the mapping step."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm import normalize


@dataclass(frozen=True)
class Ignored:
    """A column a profile knows and leaves out on purpose."""

    reason: Promise


@dataclass(frozen=True)
class CardProfile:
    name: str  # the service's own name, not translated
    # Header spelling → field, or why it is ignored.
    columns: dict[str, str | Ignored]
    # Headers only this export has: a file with any of them is this export.
    signature: tuple[str, ...]

    def __post_init__(self) -> None:
        keyed = {normalize.name_key(h): target for h, target in self.columns.items()}
        object.__setattr__(self, "_keyed", keyed)

    def target(self, header: str) -> str | Ignored | None:
        """The column's field, Ignored, or None for a column the profile does not know."""
        keyed: dict[str, str | Ignored] = self._keyed  # type: ignore[attr-defined]
        return keyed.get(normalize.name_key(header))

    def matches(self, headers: list[str]) -> bool:
        keys = {normalize.name_key(h) for h in headers}
        return any(normalize.name_key(s) in keys for s in self.signature)


OWNER = Ignored(
    _("The card's owner in the card service; in Baton a lead's owner is the rep who claims it.")
)
SERVICE_ID = Ignored(_("The card service's own record number; Baton knows a person by email."))
IMAGE = Ignored(_("A link to the card's image in the card service, which needs its login."))
TAGS = Ignored(_("The card service's tags; use a campaign for the group instead."))
UPDATED = Ignored(_("When the card service last changed the record, not when you met."))

EIGHT = CardProfile(
    name="Eight",
    columns={
        "会社名": "company",
        "部署名": "department",
        "役職": "title",
        "姓": "family_name",
        "名": "given_name",
        "氏名": "full_name",
        "姓(かな)": "family_name_kana",
        "名(かな)": "given_name_kana",
        "e-mail": "email",
        "郵便番号": "postal_code",
        "住所": "address",
        "TEL会社": "phone",
        "TEL部門": "phone_department",
        "TEL直通": "phone_direct",
        "Fax": "fax",
        "携帯電話": "mobile",
        "URL": "url",
        "名刺交換日": "occurred_on",
        "メモ": "note",
        "所有者": OWNER,
        "名刺画像": IMAGE,
        "名刺画像URL": IMAGE,
        "タグ": TAGS,
        "更新日": UPDATED,
    },
    signature=("TEL直通", "TEL部門"),
)

SANSAN = CardProfile(
    name="Sansan",
    columns={
        "名刺交換日": "occurred_on",
        "会社名": "company",
        "会社名カナ": "company_kana",
        "部署名": "department",
        "役職": "title",
        "氏名": "full_name",
        "氏名[姓]": "family_name",
        "氏名[名]": "given_name",
        "氏名カナ": "full_name_kana",
        "氏名カナ[姓]": "family_name_kana",
        "氏名カナ[名]": "given_name_kana",
        "氏名(カナ)[姓]": "family_name_kana",
        "氏名(カナ)[名]": "given_name_kana",
        "メールアドレス": "email",
        "e-mail": "email",
        "郵便番号": "postal_code",
        "住所": "address",
        "TEL": "phone",
        "電話番号": "phone",
        "直通TEL": "phone_direct",
        "部署TEL": "phone_department",
        "FAX": "fax",
        "携帯電話": "mobile",
        "URL": "url",
        "メモ": "note",
        "名刺所有者": OWNER,
        "名刺所有者ユーザID": OWNER,
        "名刺所有者名": OWNER,
        "名刺ID": SERVICE_ID,
        "人物ID": SERVICE_ID,
        "名刺画像": IMAGE,
        "タグ": TAGS,
        "更新日時": UPDATED,
    },
    signature=("氏名[姓]", "名刺所有者", "名刺所有者ユーザID", "名刺ID"),
)

PROFILES = (SANSAN, EIGHT)


def detect(headers: list[str]) -> CardProfile | None:
    """The card service whose export these headers are, if any."""
    return next((p for p in PROFILES if p.matches(headers)), None)
