"""Japanese juridical-person forms (法人格) and how people abbreviate them.

A company key (crm.normalize.company_key) drops the form, so that
一般社団法人青葉協会, (一社)青葉協会 and 青葉協会（一社） all find one
company, and so do 株式会社アオバ and the bank-transfer spelling ｶ)ｱｵﾊﾞ.
The text given here has been through NFKC and case folding: full-width
brackets are ASCII, ㈱ is (株) and half-width kana are full-width.
"""

from __future__ import annotations

import re

# Each form: its formal name, then the abbreviations written in brackets
# (kanji, as on letterheads and cards), then the bank-transfer (全銀) kana
# abbreviation, as in ｶ)ｱｵﾊﾞｼｮｳｼﾞ and ｱｵﾊﾞｼｮｳｼﾞ(ｶ.
JURIDICAL_FORMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "株式会社": (("株", "株式"), ("カ",)),
    "有限会社": (("有",), ("ユ",)),
    "合同会社": (("同", "合"), ("ド",)),
    "合資会社": (("資",), ("シ",)),
    "合名会社": (("名",), ("メ",)),
    "相互会社": (("相",), ("ソ",)),
    "一般社団法人": (("一社", "一般社団"), ()),
    "一般財団法人": (("一財", "一般財団"), ()),
    "公益社団法人": (("公社", "公益社団"), ()),
    "公益財団法人": (("公財", "公益財団"), ()),
    # Before 2008 every association was a 社団法人 or 財団法人.
    "社団法人": (("社", "社団"), ("シヤ", "シャ")),
    "財団法人": (("財", "財団"), ("ザイ",)),
    # 認定 NPO: a certified non-profit (tax relief), still the same person.
    "認定特定非営利活動法人": (("認定特非", "認定npo"), ()),
    "認定npo法人": ((), ()),
    "特定非営利活動法人": (("特非", "特", "npo", "npo法人"), ("トクヒ",)),
    "npo法人": ((), ()),
    "医療法人社団": (("医社",), ()),
    "医療法人財団": (("医財",), ()),
    "社会医療法人": (("社医",), ()),
    "医療法人": (("医",), ("イ",)),
    "学校法人": (("学", "学校"), ("ガク",)),
    "社会福祉法人": (("福", "社福"), ("フク",)),
    "宗教法人": (("宗",), ("シユウ", "シュウ")),
    "地方独立行政法人": (("地独",), ()),
    "独立行政法人": (("独", "独法"), ("ドク",)),
    "国立大学法人": (("国大", "大"), ("ダイ",)),
}

# ㊑ and its kin lose their circle to NFKC and would leave a bare 株 behind:
# they become the bracketed spelling first.
CIRCLED = str.maketrans(
    {
        "㊑": "(株)",
        "㊒": "(有)",
        "㊓": "(社)",
        "㊔": "(名)",
        "㊕": "(特)",
        "㊖": "(財)",
        "㊩": "(医)",
        "㊪": "(宗)",
        "㊫": "(学)",
        "㊮": "(資)",
    }
)

# The formal names, longest first (公益社団法人 before 社団法人).
FORMAL_NAMES = sorted(JURIDICAL_FORMS, key=len, reverse=True)

_OPEN = r"[(\[{【〔〈《「『]"
_CLOSE = r"[)\]}】〕〉》」』]"


def _alternatives(words: set[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_ABBREVIATIONS = _alternatives(
    {word for kanji, kana in JURIDICAL_FORMS.values() for word in (*kanji, *kana)}
)
# An abbreviation in brackets anywhere, or with one bracket at either end of
# the name (ｶ)ｱｵﾊﾞ, ｱｵﾊﾞ(ｶ): the bank-transfer style).
BRACKETED = re.compile(
    rf"{_OPEN}\s*(?:{_ABBREVIATIONS})\s*{_CLOSE}"
    rf"|^\s*(?:{_ABBREVIATIONS})\s*{_CLOSE}"
    rf"|{_OPEN}\s*(?:{_ABBREVIATIONS})\s*$"
)

# Every spelling, for tests and for the names that are nothing but a form.
ALL_SPELLINGS = [
    *FORMAL_NAMES,
    *(f"({word})" for kanji, kana in JURIDICAL_FORMS.values() for word in (*kanji, *kana)),
]


def strip_juridical_forms(text: str) -> str:
    """`text` (NFKC, case-folded) with every form replaced by a space."""
    text = BRACKETED.sub(" ", text)
    for form in FORMAL_NAMES:
        text = text.replace(form, " ")
    return text


# How each form is read, for readings (フリガナ) that spell it out: カブシキガイシャ
# アオバ is アオバ. Folded as readings are (crm/kana.py) before comparing.
FORM_READINGS = [
    "カブシキガイシャ", "カブシキカイシャ", "ユウゲンガイシャ", "ユウゲンカイシャ",
    "ゴウドウガイシャ", "ゴウドウカイシャ", "ゴウシガイシャ", "ゴウメイガイシャ",
    "イッパンシャダンホウジン", "イッパンザイダンホウジン", "コウエキシャダンホウジン",
    "コウエキザイダンホウジン", "ニンテイトクテイヒエイリカツドウホウジン",
    "トクテイヒエイリカツドウホウジン", "ニンテイエヌピーオーホウジン", "エヌピーオーホウジン",
    "イリョウホウジンシャダン", "イリョウホウジンザイダン", "イリョウホウジン", "ガッコウホウジン",
    "シャカイフクシホウジン", "シュウキョウホウジン", "ドクリツギョウセイホウジン",
    "コクリツダイガクホウジン", "シャダンホウジン", "ザイダンホウジン",
]  # fmt: skip
