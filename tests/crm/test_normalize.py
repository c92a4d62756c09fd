"""名寄せ keys: different spellings of the same thing compare equal."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crm.normalize import (
    _LEGAL_FORMS_JA,
    company_key,
    email_key,
    name_key,
    nfkc,
    phone_digits,
    search_key,
)


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


# Keys are stored and compared again later (a company's key is looked up by
# the key of another spelling), so a key must be its own key.
@settings(max_examples=300, deadline=None)
@given(st.text())
@example("C:O")  # "co", whose key was "" (the legal form "Co." stripped a second time)
@example("株式:会社青葉")  # 株式会社 appears once the colon is gone
@example("co:rp Acme")
@example("e-\u0301")  # the dash between a letter and its accent goes: é appears
@example("ǰ")  # case folding leaves a string that NFKC changes again
@example("+81 81")
@example("٣٤")  # Arabic-Indic digits
def test_keys_are_idempotent(text):
    for key in (company_key, name_key, email_key, search_key, phone_digits):
        assert key(key(text)) == key(text), key.__name__


LEGAL_FORMS = [*_LEGAL_FORMS_JA, "Co.", "Co., Ltd.", "Inc.", "K.K.", "Corporation", "LLC", "GmbH"]


@pytest.mark.parametrize("name", LEGAL_FORMS)
def test_a_name_that_is_only_a_legal_form_keeps_a_key(name):
    assert company_key(name)
    assert company_key(company_key(name)) == company_key(name)


def test_only_a_legal_form_does_not_swallow_real_names():
    assert company_key("co") != company_key("Acme Co.")
    assert company_key("Acme Co.") == company_key("ACME") == "acme"


@settings(max_examples=300, deadline=None)
@given(st.text())
@example("Co.")
@example("(株)")
def test_a_name_with_a_letter_or_digit_never_gets_an_empty_key(text):
    if any(ch.isalnum() for ch in nfkc(text)):
        assert company_key(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
@example("٣٤")
@example("²")
def test_phone_digits_are_ascii_digits(text):
    assert all(ch in "0123456789" for ch in phone_digits(text))


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


@pytest.mark.django_db
def test_stored_company_keys_are_brought_up_to_date_by_the_migration():
    import importlib

    from django.apps import apps

    from crm.models import Company

    only_form = Company.objects.create(name="Co.")
    settled = Company.objects.create(name="C:O Trading")
    Company.objects.filter(pk=only_form.pk).update(key="Co.")  # as the old function left it
    Company.objects.filter(pk=settled.pk).update(key="cotrading-old")
    migration = importlib.import_module(
        "crm.migrations.0016_merge_aliases_activity_channel_import_rows"
    )
    migration.rekey_companies(apps, None)
    assert Company.objects.get(pk=only_form.pk).key == company_key("Co.") == "co"
    assert Company.objects.get(pk=settled.pk).key == company_key("C:O Trading")


# Every juridical-person form (issue 20 item 4), in every spelling a card, a
# form or a bank statement gives it, before or after the name, with or
# without a space: all of them are the one company 青葉協会.
JURIDICAL_SPELLINGS = {
    "株式会社": ["(株)", "（株）", "㈱", "㊑", "【株】", "(株式)"],
    "有限会社": ["(有)", "（有）", "㈲", "㊒"],
    "合同会社": ["(同)", "（同）", "(合)"],
    "合資会社": ["(資)", "（資）", "㈾", "㊮"],
    "合名会社": ["(名)", "（名）", "㈴", "㊔"],
    "一般社団法人": ["(一社)", "（一社）", "［一社］"],
    "一般財団法人": ["(一財)", "（一財）"],
    "公益社団法人": ["(公社)", "（公社）"],
    "公益財団法人": ["(公財)", "（公財）"],
    "特定非営利活動法人": [
        "(特非)",
        "（特非）",
        "NPO法人",
        "ＮＰＯ法人",
        "(NPO)",
        "㈵",
        "(NPO法人)",
        "（ＮＰＯ法人）",
    ],
    "認定特定非営利活動法人": ["認定NPO法人", "(認定NPO)", "（認定特非）"],
    "医療法人": ["(医)", "（医）", "㊩"],
    "医療法人社団": ["(医)", "(医社)"],
    "学校法人": ["(学)", "（学）", "㈻", "㊫"],
    "社会福祉法人": ["(福)", "（福）", "(社福)"],
    "宗教法人": ["(宗)", "（宗）", "㊪"],
    "独立行政法人": ["(独)", "（独）", "(独法)"],
    "国立大学法人": ["(国大)", "（大）"],
    "社団法人": ["(社)", "㈳", "㊓"],
    "財団法人": ["(財)", "㈶", "㊖"],
}
# The issue's list (item 4), each also written in brackets in full, after
# the name, as lists of members and of grant recipients do: 青葉協会（一般社団法人）.
ISSUE_FORMS = [
    "株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "一般社団法人", "一般財団法人",
    "公益社団法人", "公益財団法人", "特定非営利活動法人", "NPO法人", "医療法人", "学校法人",
    "社会福祉法人", "宗教法人", "独立行政法人", "国立大学法人",
]  # fmt: skip
BRACKETS = ["({})", "（{}）", "【{}】", "［{}］", "[{}]", "〔{}〕"]
PLACEMENTS = [
    "{form}青葉協会",
    "{form} 青葉協会",
    "{form}　青葉協会",
    "青葉協会{form}",
    "青葉協会 {form}",
]


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize(
    "form",
    [spelling for formal, short in JURIDICAL_SPELLINGS.items() for spelling in (formal, *short)],
)
def test_every_juridical_form_is_folded_before_or_after_the_name(form, placement):
    name = placement.format(form=form)
    assert company_key(name) == "青葉協会", name
    assert company_key(company_key(name)) == company_key(name)


@pytest.mark.parametrize("formal", list(JURIDICAL_SPELLINGS))
def test_a_formal_name_and_its_abbreviation_are_one_company(formal):
    for short in JURIDICAL_SPELLINGS[formal]:
        assert company_key(f"{formal}青葉協会") == company_key(f"青葉協会{short}")


@pytest.mark.parametrize(
    "spelling",
    [
        "ｶ)ｱｵﾊﾞｼｮｳｼﾞ",
        "ｱｵﾊﾞｼｮｳｼﾞ(ｶ",
        "ｱｵﾊﾞｼｮｳｼﾞ(ｶ)",
        "アオバショウジ株式会社",
        "株式会社 アオバショウジ",
        "( 株 )アオバショウジ",
    ],
)
def test_bank_transfer_abbreviations_are_folded(spelling):
    assert company_key(spelling) == "アオバショウジ"


def test_similar_words_inside_a_name_are_kept():
    # Only a form, not a word that happens to share its characters.
    assert company_key("株式投資研究所") == "株式投資研究所"
    assert company_key("大学堂書店") == "大学堂書店"
    assert company_key("カメラのカ") == "カメラのカ"
    assert company_key("社会福祉協議会") == "社会福祉協議会"


@pytest.mark.django_db
def test_the_display_name_keeps_its_formal_spelling():
    from crm.models import Company

    company = Company.objects.create(name="一般社団法人 青葉協会")
    assert company.name == "一般社団法人 青葉協会"
    assert company.key == company_key("(一社)青葉協会") == "青葉協会"


@pytest.mark.django_db
def test_companies_stored_with_an_abbreviated_form_are_rekeyed_by_the_migration():
    import importlib

    from django.apps import apps

    from crm.models import Company

    association = Company.objects.create(name="(一社)青葉協会")
    clash = Company.objects.create(name="公益財団法人みなと")
    kept = Company.objects.create(name="placeholder")
    Company.objects.filter(pk=association.pk).update(key="一社青葉協会")  # the old keys
    Company.objects.filter(pk=kept.pk).update(name="（公財）みなと", key="公財みなと")
    importlib.import_module("crm.migrations.0017_rekey_juridical_forms").rekey_companies(apps, None)
    assert Company.objects.get(pk=association.pk).key == "青葉協会"
    assert Company.objects.get(pk=clash.pk).key == "みなと"
    # Already taken by the other spelling: left for the duplicates page.
    assert Company.objects.get(pk=kept.pk).key == "公財みなと"


def test_every_form_of_the_issue_has_its_abbreviations_tested():
    for form in ISSUE_FORMS:
        formal = "特定非営利活動法人" if form == "NPO法人" else form
        assert JURIDICAL_SPELLINGS[formal], form


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("bracket", BRACKETS)
@pytest.mark.parametrize("form", ISSUE_FORMS)
def test_every_form_of_the_issue_is_folded_in_any_bracket(form, bracket, placement):
    name = placement.format(form=bracket.format(form))
    assert company_key(name) == "青葉協会", name


@pytest.mark.parametrize("bracket", BRACKETS)
@pytest.mark.parametrize(
    "short", [short for shorts in JURIDICAL_SPELLINGS.values() for short in shorts if "(" in short]
)
def test_every_abbreviation_is_folded_in_any_bracket(short, bracket):
    inner = short.strip("()")
    assert company_key(bracket.format(inner) + "青葉協会") == "青葉協会", (short, bracket)
    assert company_key("青葉協会" + bracket.format(inner)) == "青葉協会", (short, bracket)


@pytest.mark.django_db
def test_certified_npos_are_rekeyed_by_the_migration():
    import importlib

    from django.apps import apps

    from crm.models import Company

    npo = Company.objects.create(name="認定NPO法人 青葉協会")
    Company.objects.filter(pk=npo.pk).update(key="認定青葉協会")  # the key before 認定 was folded
    migration = importlib.import_module("crm.migrations.0031_rekey_certified_npos")
    migration.rekey_companies(apps, None)
    assert Company.objects.get(pk=npo.pk).key == company_key("特定非営利活動法人青葉協会")
