"""名寄せ keys: different spellings of the same thing compare equal."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.normalize import company_key, email_key, name_key, phone_digits


@pytest.mark.parametrize(
    "spelling",
    ["０３－１２３４－５６７８", "03-1234-5678", "03(1234)5678", "+81 3 1234 5678", "03 1234 5678"],
)
def test_phone_spellings_share_their_digits(spelling):
    assert phone_digits(spelling) == "0312345678"


@pytest.mark.parametrize(
    "spelling",
    [
        "株式会社青葉商事",
        "㈱青葉商事",
        "(株)青葉商事",
        "青葉商事（株）",
        "青葉商事 株式会社",
        "青葉 商事",
        "ｱｵﾊﾞ"[:0] + "青葉商事",
    ],
)
def test_company_legal_forms_and_spaces_are_ignored(spelling):
    assert company_key(spelling) == "青葉商事"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Inc.", "ACME"),
        ("Acme Co., Ltd.", "acme"),
        ("Acme Corporation", "Ａｃｍｅ"),
        ("有限会社 みなと", "みなと"),
        ("合同会社さくら", "さくら(同)"),
    ],
)
def test_company_keys_match_across_forms(a, b):
    assert company_key(a) == company_key(b)


def test_variant_kanji_stay_distinct():
    # NFKC leaves 髙 and 﨑 alone: 髙橋 and 高橋 may be different people.
    assert name_key("髙橋") != name_key("高橋")
    assert name_key("山﨑") != name_key("山崎")


def test_half_width_kana_reading_matches_full_width():
    assert name_key("ﾔﾏﾀﾞ ﾀﾛｳ") == name_key("ヤマダ　タロウ")


def test_email_key_folds_case_and_width():
    assert (
        email_key(" Taro@Example.JP ")
        == email_key("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ")
        == "taro@example.jp"
    )


@given(st.text())
def test_keys_are_idempotent(text):
    for key in (company_key, name_key, email_key):
        assert key(key(text)) == key(text)
    assert phone_digits(phone_digits(text)) == phone_digits(text) or phone_digits(text).startswith(
        "81"
    )


@given(st.text(alphabet="0123456789０１２３４５６７８９-－() （）", max_size=20))
def test_phone_digits_only_keeps_digits(text):
    assert all(ch in "0123456789" for ch in phone_digits(text))


def test_company_keys_kept_for_reuse_are_bounded_to_a_few_thousand():
    # Each capture names a new company: a web process must not keep them all.
    from crm.normalize import company_key

    company_key.cache_clear()
    for n in range(10_000):
        company_key(f"株式会社テスト{n}")
    assert company_key.cache_info().currsize <= 4096
    company_key.cache_clear()
