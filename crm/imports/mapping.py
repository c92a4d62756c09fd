"""Which column holds what: headers recognised in Japanese and English,
business-card service exports included."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm import normalize
from crm.models import Answer

# A column mapped to a question of the ledger is "answer:<question>"; the
# plan names a free one by its header ("answer:other:<header>"): the header
# is the question as the file asked it. Several columns may be free ones.
ANSWER_PREFIX = "answer:"
FREE_ANSWER = f"{ANSWER_PREFIX}{Answer.Question.OTHER}"

# Target fields a column can map to, with their labels for the mapping form.
FIELDS = {
    "email": _("Email"),
    "family_name": _("Family name"),
    "given_name": _("Given name"),
    "full_name": _("Full name (family first)"),
    "family_name_kana": _("Family name (kana)"),
    "given_name_kana": _("Given name (kana)"),
    "full_name_kana": _("Full name (kana)"),
    "company": _("Company"),
    "company_kana": _("Company (kana)"),
    "department": _("Department"),
    "title": _("Title"),
    "phone": _("Phone"),
    "phone_direct": _("Direct line"),
    "phone_department": _("Department phone"),
    "mobile": _("Mobile phone"),
    "fax": _("Fax"),
    "postal_code": _("Postal code"),
    "address": _("Address"),
    "url": _("Website"),
    "occurred_on": _("Date met (card exchange)"),
    "note": _("Note"),
    **{
        f"{ANSWER_PREFIX}{value}": format_lazy(
            "{}: {}",
            _("Question ledger"),
            _("other question (the column's header is the question)")
            if value == Answer.Question.OTHER
            else label,
        )
        for value, label in Answer.Question.choices
    },
}

# Header spellings per field, compared after NFKC, case folding and removing
# spaces and punctuation (so 姓（カナ）, 姓(カナ) and 姓 カナ are one).
SYNONYMS: dict[str, list[str]] = {
    "email": [
        "email",
        "e-mail",
        "mail",
        "mailaddress",
        "emailaddress",
        "メール",
        "メールアドレス",
        "eメール",
        "電子メール",
    ],
    "family_name": ["familyname", "lastname", "surname", "姓", "氏", "苗字", "名字", "氏名[姓]"],
    "given_name": ["givenname", "firstname", "名", "名前", "氏名[名]"],
    "full_name": ["name", "fullname", "氏名", "お名前", "担当者名", "名前氏名"],
    "family_name_kana": [
        "姓カナ",
        "姓かな",
        "姓フリガナ",
        "セイ",
        "familynamekana",
        "lastnamekana",
        "氏名カナ[姓]",
        "氏名(カナ)[姓]",
        "フリガナ[姓]",
        "姓(かな)",
    ],
    "given_name_kana": [
        "名カナ",
        "名かな",
        "名フリガナ",
        "メイ",
        "givennamekana",
        "firstnamekana",
        "氏名カナ[名]",
        "氏名(カナ)[名]",
        "フリガナ[名]",
    ],
    "full_name_kana": [
        "フリガナ",
        "ふりがな",
        "氏名カナ",
        "氏名フリガナ",
        "よみがな",
        "namekana",
        "kana",
    ],
    "company": [
        "company",
        "companyname",
        "organization",
        "organisation",
        "会社名",
        "会社",
        "企業名",
        "法人名",
        "組織名",
        "所属",
    ],
    "company_kana": ["会社名カナ", "会社名フリガナ", "companykana"],
    "department": ["department", "dept", "division", "部署", "部署名", "所属部署", "部門"],
    "title": ["title", "jobtitle", "position", "役職", "役職名", "肩書", "肩書き"],
    "phone": [
        "phone",
        "tel",
        "telephone",
        "phonenumber",
        "電話",
        "電話番号",
        "tel会社",
        "会社電話",
        "代表電話",
        "tel代表",
        "会社tel",
        "電話番号(代表)",
    ],
    "phone_direct": ["tel直通", "直通", "直通電話", "直通tel", "directline", "directphone"],
    "phone_department": [
        "tel部門",
        "tel部署",
        "部門電話",
        "部署電話",
        "部署tel",
        "departmentphone",
    ],
    "fax": ["fax", "ファックス", "ファクス", "fax番号", "faxnumber"],
    "postal_code": ["郵便番号", "〒番号", "zip", "zipcode", "postalcode", "postcode"],
    "url": [
        "url",
        "website",
        "webサイト",
        "ウェブサイト",
        "ホームページ",
        "会社url",
        "webサイトurl",
    ],
    "mobile": [
        "mobile",
        "mobilephone",
        "cell",
        "cellphone",
        "携帯",
        "携帯電話",
        "携帯番号",
        "tel携帯",
    ],
    "address": ["address", "住所", "所在地", "会社住所"],
    "occurred_on": ["名刺交換日", "交換日", "接触日", "来場日", "date", "metdate", "exchangedate"],
    "note": ["note", "notes", "memo", "メモ", "備考", "コメント"],
    "answer:budget": ["budget", "予算", "ご予算", "予算感"],
    "answer:authority": ["authority", "決裁権", "決裁者", "決裁権限"],
    "answer:need": ["need", "needs", "課題", "ニーズ", "お困りごと"],
    "answer:timeline": ["timeline", "導入時期", "検討時期", "導入予定時期"],
    "answer:current_tool": ["currenttool", "現在のツール", "利用中のツール", "現在利用中のツール"],
    "answer:headcount": ["headcount", "利用人数", "利用予定人数"],
}

_LOOKUP = {
    normalize.name_key(spelling): field for field, words in SYNONYMS.items() for spelling in words
}
_LOOKUP.pop("", None)  # a header of punctuation only names nothing


def guess_mapping(headers: list[str]) -> list[str]:
    """For each column, the field it most likely holds ("" for none). A
    card service's export (crm/imports/card_profiles.py) is read by its
    profile; other headers by their spellings. A field is given to one
    column only: the first that names it."""
    from crm.imports import card_profiles

    profile = card_profiles.detect(headers)
    taken: set[str] = set()
    guesses = []
    for header in headers:
        known = profile.target(header) if profile else None
        if isinstance(known, card_profiles.Ignored):
            field = ""
        elif known:
            field = known
        else:
            field = _LOOKUP.get(normalize.name_key(header), "")
        if field in taken:
            field = ""
        taken.add(field)
        guesses.append(field)
    return guesses


def missing_fields(mapping: list[str]) -> list[str]:
    """What an import cannot do without: an email and some form of the name."""
    chosen = set(mapping)
    missing = []
    if "email" not in chosen:
        missing.append("email")
    if not chosen & {"family_name", "full_name"}:
        missing.append("family_name")
    return missing
