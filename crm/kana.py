"""Kana folding: how a Japanese reader compares readings.

やまぐち, ヤマグチ and ﾔﾏｸﾞﾁ are one reading; so are サトー and サトウ, ｷﾖｳｺ
(bank and card systems have no small kana) and キョウコ. Search keys, the
duplicate rules and the 五十音順 sort all compare folded text:

1. NFKC: half-width kana become full-width (ｸﾞ is グ), full-width ASCII ASCII.
2. Hiragana become katakana (the script of フリガナ on forms and cards).
3. Small kana become their full-size kana (ャ is ヤ, ッ is ツ, ヵ is カ).
4. A long-vowel mark becomes the vowel it lengthens, as a reading is spelt in
   hiragana: ー after an o-row kana is ウ (サトー is サトウ), after an e-row
   kana イ (ケーコ is ケイコ), otherwise the kana's own vowel (マーヤ is マアヤ).
   A mark after anything else is left for the noise filter of the key.
5. Iteration marks repeat the kana before them (ヽ plain, ヾ voiced).
6. ヰ and ヱ (old spellings) become イ and エ.

Limits: オオノ and オーノ stay apart (the mark is read ウ after an o-row kana);
ヂ/ジ and ヅ/ズ are kept apart, as a dictionary does; kanji are not read (a
lead without a reading sorts by its written name, after every reading).
"""

from __future__ import annotations

import unicodedata

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096  # ぁ … ゖ
_TO_KATAKANA = 0x60

_SMALL = str.maketrans(
    "ァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿヰヱ",
    "アイウエオツヤユヨワカケクシストヌハヒフヘホムラリルレロイエ",
)

# Each full-size katakana's vowel (ン and the rest have none).
_ROWS = {
    "ア": "アカガサザタダナハバパマヤラワ",
    "イ": "イキギシジチヂニヒビピミリ",
    "ウ": "ウクグスズツヅヌフブプムユルヴ",
    "エ": "エケゲセゼテデネヘベペメレ",
    "オ": "オコゴソゾトドノホボポモヨロヲ",
}
_VOWEL = {kana: vowel for vowel, row in _ROWS.items() for kana in row}
# How a long vowel is spelt in a reading: おう and えい, not おお and ええ.
_LENGTHENED = {"ア": "ア", "イ": "イ", "ウ": "ウ", "エ": "イ", "オ": "ウ"}
_LONG_MARKS = "ー－ｰ"  # NFKC leaves the full-width hyphen-minus: people type it for ー
_VOICED = str.maketrans(
    "カキクケコサシスセソタチツテトハヒフヘホウ", "ガギグゲゴザジズゼゾダヂヅデドバビブベボヴ"
)


def fold_kana(text: str) -> str:
    """`text` with every kana folded as above; other characters as NFKC gives them."""
    text = unicodedata.normalize("NFKC", text or "")
    chars: list[str] = []
    for ch in text:
        if _HIRAGANA_START <= ord(ch) <= _HIRAGANA_END:
            ch = chr(ord(ch) + _TO_KATAKANA)
        elif ch in "ゝゞ":
            ch = "ヽ" if ch == "ゝ" else "ヾ"
        ch = ch.translate(_SMALL)
        previous = chars[-1] if chars else ""
        if ch in _LONG_MARKS and previous in _VOWEL:
            ch = _LENGTHENED[_VOWEL[previous]]
        elif ch == "ヽ" and previous in _VOWEL:
            ch = previous
        elif ch == "ヾ" and previous in _VOWEL:
            ch = previous.translate(_VOICED)
        chars.append(ch)
    return "".join(chars)


def is_kana(text: str) -> bool:
    """True when `text` has a kana (either script, either width)."""
    return any(
        0x3041 <= (code := ord(ch)) <= 0x30FF
        or 0xFF66 <= code <= 0xFF9F
        or 0x31F0 <= code <= 0x31FF
        for ch in text
    )
