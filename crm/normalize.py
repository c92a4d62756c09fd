"""Normalisation for 名寄せ (deduplication): keys under which two spellings of
the same person or company compare equal."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from crm import kana, legal_forms

# Legal forms, compared after NFKC (so ㈱ has become (株) and full-width
# letters ASCII) and case folding: every Japanese juridical-person form and
# its abbreviations (crm/legal_forms.py), and the English ones.
_LEGAL_FORMS_JA = legal_forms.ALL_SPELLINGS
_LEGAL_FORMS_EN = re.compile(
    r"\b(?:co\.?,?\s*ltd\.?|company\s+limited|corporation|corp\.?|incorporated|inc\.?|"
    r"limited|ltd\.?|llc|l\.l\.c\.|gmbh|k\.?k\.?|plc|co\.?)(?=\W|$)",
    re.IGNORECASE,
)
# Spaces and punctuation of every script (NFKC has mapped most full-width ones).
_NOISE = re.compile(r"[\s\W_・、。「」『』【】〔〕〈〉《》〜～ー－―‐]+", re.UNICODE)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


# A key is stored and later compared with the key of another spelling, so it
# must be its own key. One pass is not enough: case folding can leave a string
# that NFKC changes again (ǰ), and taking out punctuation can join what was
# apart (C:O becomes "co", a legal form; e-´ becomes é). So every key repeats
# its pass until nothing changes; each pass only removes or folds characters,
# and two or three passes settle it.
_MAX_PASSES = 8


def _settled(one_pass: Callable[[str], str], text: str) -> str:
    for _ in range(_MAX_PASSES):
        again = one_pass(text)
        if again == text:
            break
        text = again
    return text


def _folded(text: str) -> str:
    folded = nfkc(text).casefold()
    return folded if unicodedata.is_normalized("NFKC", folded) else nfkc(folded)


def _is_folded(text: str) -> bool:
    """True when _folded would leave the text as it is (a cheap check: the
    common case then needs one pass instead of two)."""
    return text.casefold() == text == text.strip() and unicodedata.is_normalized("NFKC", text)


def email_key(email: str) -> str:
    """Emails compare case-insensitively, full-width characters included."""
    key = _folded(email)
    return key if _is_folded(key) else _settled(_folded, key)


def web_domain(value: str) -> str:
    """A company's web domain as the duplicate rules compare it: lower case,
    without scheme, www. and trailing slash (https://www.Aoba.jp/ is aoba.jp)."""
    domain = nfkc(value).lower()
    return domain.removeprefix("https://").removeprefix("http://").removeprefix("www.").strip("/")


def phone_digits(phone: str) -> str:
    """Only the digits, as ASCII: ０３－１２３４－５６７８, 03-1234-5678 and
    03(1234)5678 are the same number. A leading +81 becomes the domestic 0."""
    text = nfkc(phone)
    digits = "".join(filter(str.isdigit, text))
    if not digits.isascii():  # other scripts' digits as ASCII; ² and the like dropped
        digits = "".join(
            str(d) for ch in digits if (d := unicodedata.decimal(ch, None)) is not None
        )
    if text.startswith("+81") and digits.startswith("81"):
        digits = "0" + digits[2:]
    return digits


# An import repeats its companies row after row: a few thousand recent names
# serve it. Not more: every capture names a new company, and each web process
# kept up to 65,536 of them (about 16 MiB, growing 0.2 MiB a minute per
# process at 30 captures a second: bench/README.md, soak).
@functools.lru_cache(maxsize=4096)
def company_key(name: str) -> str:
    """A company's name without its legal form, spaces and punctuation, so that
    株式会社青葉商事, ㈱青葉商事 and 青葉商事（株） compare equal; so do
    一般社団法人青葉協会 and (一社)青葉協会, and every other juridical-person
    form and its abbreviations (crm/legal_forms.py).

    A name that is nothing but a legal form (株式会社, "Co.") keeps it: an
    empty key would make every such company one and the same."""
    return _settled(_company_pass, name)


def _company_pass(name: str) -> str:
    text = _folded(name.translate(legal_forms.CIRCLED))
    stripped = legal_forms.strip_juridical_forms(text)
    stripped = _NOISE.sub("", _LEGAL_FORMS_EN.sub(" ", stripped))
    return stripped or _NOISE.sub("", text)


def name_key(text: str) -> str:
    """A person's name or reading, compared without spaces and width."""
    # A pass leaves no noise behind, so a folded result is settled.
    key = _name_pass(text)
    return key if _is_folded(key) else _settled(_name_pass, key)


def _name_pass(text: str) -> str:
    return _NOISE.sub("", _folded(text))


def search_key(*parts: str) -> str:
    """What the lead list searches: names, readings and email run together,
    NFKC-normalised, case-folded, kana folded (crm/kana.py: hiragana,
    katakana and half-width kana as one, long-vowel marks and small kana as
    a reader spells them), without spaces and punctuation, so that 山田 太郎,
    山田太郎, やまだ and ﾔﾏﾀﾞ all find the same person."""
    return _settled(_search_pass, " ".join(parts))


def _search_pass(text: str) -> str:
    return name_key(kana.fold_kana(text))


@functools.cache
def _form_readings() -> tuple[str, ...]:
    # Folded as the readings they are compared with, longest first.
    return tuple(sorted({search_key(r) for r in legal_forms.FORM_READINGS}, key=len, reverse=True))


def company_reading_key(name_kana: str) -> str:
    """A company's reading as the search and the "same reading" rule compare
    it: kana folded (ｱｵﾊﾞ, あおば and アオバ are one), without its legal form,
    whether abbreviated as bank transfers write it (ｶ)ｱｵﾊﾞ) or spelt out at
    either end (カブシキガイシャアオバ, アオバ カブシキガイシャ)."""
    text = legal_forms.BRACKETED.sub(" ", _folded(name_kana))
    key = search_key(text)
    for form in _form_readings():
        if key.startswith(form) and len(key) > len(form):
            key = key[len(form) :]
        elif key.endswith(form) and len(key) > len(form):
            key = key[: -len(form)]
    return key[:READING_LENGTH]


READING_LENGTH = 200


def reading_key(family_kana: str, given_kana: str, family_name: str, given_name: str) -> str:
    """A person's reading as 五十音順 sorts and the duplicate rules compare it:
    the folded family reading, a space, the folded given reading; a name
    written without a reading stands in for it (kana names read as they are;
    Latin names then sort before every reading, kanji after)."""
    family = search_key(family_kana) or search_key(family_name)
    given = search_key(given_kana) or search_key(given_name)
    return f"{family} {given}".strip()[:READING_LENGTH]
