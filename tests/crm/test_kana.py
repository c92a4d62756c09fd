"""Kana folding (issue 20 item 3): hiragana, katakana and half-width kana are
one reading in the lead search, the duplicate rules and the 五十音順 sort."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from crm.dedupe import company_candidates, company_groups, duplicate_groups
from crm.kana import fold_kana
from crm.models import Company, Lead
from crm.normalize import reading_key, search_key
from tests import factories


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("やまぐち", "ヤマグチ"),
        ("やまぐち", "ﾔﾏｸﾞﾁ"),
        ("ｻｲﾄｳ", "サイトウ"),
        ("さとう", "サトー"),  # a long-vowel mark after an o-row kana reads ウ
        ("ｻﾄｰ", "さとう"),
        ("けいこ", "ケーコ"),  # after an e-row kana イ
        ("キョウコ", "ｷﾖｳｺ"),  # bank and card systems have no small kana
        ("いっしき", "イツシキ"),
        ("いすゞ", "イスズ"),  # an iteration mark repeats the kana, voiced
        ("ゑびす", "エビス"),
    ],
)
def test_readings_a_reader_takes_for_one_fold_together(a, b):
    assert fold_kana(a) == fold_kana(b)
    assert search_key(a) == search_key(b)


def test_different_readings_stay_apart():
    assert search_key("おおの") != search_key("おの")
    assert search_key("さとう") != search_key("さど")
    assert search_key("ぢ") != search_key("じ")  # as a dictionary keeps them


def test_kanji_latin_and_email_are_left_as_they_were():
    assert search_key("山田 Taro@Example.JP") == "山田taroexamplejp"


def test_reading_key_orders_family_then_given_and_falls_back_to_the_name():
    assert reading_key("ｻｲﾄｳ", "たろう", "斎藤", "太郎") == "サイトウ タロウ"
    assert reading_key("", "", "Smith", "John") == "smith john"
    assert reading_key("", "", "山田", "") == "山田"


pytestmark = pytest.mark.django_db


@pytest.fixture
def yamaguchi():
    return [
        factories.lead(family_name="山口", family_name_kana="ヤマグチ", email="kata@example.jp"),
        factories.lead(family_name="山口", family_name_kana="ﾔﾏｸﾞﾁ", email="half@example.jp"),
        factories.lead(family_name="山口", family_name_kana="やまぐち", email="hira@example.jp"),
        factories.lead(family_name="山上", family_name_kana="ヤマガミ", email="other@example.jp"),
    ]


def found(client, **params):
    response = client.get(reverse("crm:lead_list"), params)
    assert response.status_code == 200
    return {lead.email for lead in response.context["page"].object_list}


@pytest.mark.parametrize("query", ["やまぐち", "ヤマグチ", "ﾔﾏｸﾞﾁ", "ヤマグチ "])
def test_search_in_any_kana_finds_every_spelling(client_as, marketer, yamaguchi, query):
    assert found(client_as(marketer), q=query) == {
        "kata@example.jp",
        "half@example.jp",
        "hira@example.jp",
    }


@pytest.mark.parametrize("query", ["やま", "ﾔﾏ", "や"])
def test_a_short_kana_search_matches_the_start_of_the_reading(
    client_as, marketer, yamaguchi, query
):
    assert found(client_as(marketer), q=query) == {
        "kata@example.jp",
        "half@example.jp",
        "hira@example.jp",
        "other@example.jp",
    }


def test_the_api_search_folds_kana_too(client_as, marketer, yamaguchi):
    assert {lead.email for lead in Lead.objects.search("ﾔﾏｸﾞﾁ")} == {
        "kata@example.jp",
        "half@example.jp",
        "hira@example.jp",
    }


def test_sorting_by_reading_follows_the_gojuon_order(client_as, marketer):
    for family, kana in [
        ("渡辺", "わたなべ"),
        ("伊藤", "ｲﾄｳ"),
        ("佐藤", "サトウ"),
        ("加藤", "かとう"),
    ]:
        factories.lead(family_name=family, family_name_kana=kana, given_name="")
    page = client_as(marketer).get(reverse("crm:lead_list"), {"sort": "name"}).context["page"]
    assert [lead.family_name for lead in page.object_list] == ["伊藤", "加藤", "佐藤", "渡辺"]


def test_same_reading_in_another_width_is_a_duplicate():
    aoba = Company.objects.create(name="株式会社青葉商事")
    a = factories.lead(
        family_name="斎藤", family_name_kana="ｻｲﾄｳ", given_name_kana="ﾀﾛｳ", company=aoba
    )
    b = factories.lead(
        family_name="齋藤", family_name_kana="サイトウ", given_name_kana="たろう", company=aoba
    )
    factories.lead(
        family_name="斉藤", family_name_kana="サイトウ", company=aoba
    )  # no given reading
    (group,) = duplicate_groups(Lead.objects.all())
    assert {lead.pk for lead in group.leads} == {a.pk, b.pk}
    assert [str(r) for r in group.reasons] == ["same reading at the same company"]


def test_the_capture_form_takes_optional_readings(client, campaign):
    response = client.post(
        reverse("capture", args=[campaign.capture_key]),
        {
            "email": "y@example.jp",
            "family_name": "山口",
            "family_name_kana": "やまぐち",
            "given_name_kana": "はなこ",
        },
    )
    assert response.status_code == 200
    lead = Lead.objects.get()
    assert (lead.family_name_kana, lead.given_name_kana) == ("やまぐち", "はなこ")
    assert lead.reading_key == "ヤマグチ ハナコ"
    assert lead in Lead.objects.search("ﾔﾏｸﾞﾁ")


def test_the_hosted_form_shows_the_reading_fields(client, campaign):
    html = client.get(reverse("capture", args=[campaign.capture_key])).content.decode()
    assert 'name="family_name_kana"' in html
    assert 'name="given_name_kana"' in html


def test_the_migration_folds_stored_leads():
    lead = factories.lead(
        family_name="山口", given_name="", family_name_kana="やまぐち", email="y@example.jp"
    )
    Lead.objects.filter(pk=lead.pk).update(search_text="山口やまぐちy@example.jp", reading_key="")
    importlib.import_module("crm.migrations.0018_lead_reading_key").backfill(apps, None)
    lead.refresh_from_db()
    assert lead.reading_key == "ヤマグチ"
    assert "ヤマグチ" in lead.search_text


def test_a_search_sorted_by_reading_keeps_the_gojuon_order(client_as, marketer):
    kana_of = {}
    for family, kana in [
        ("佐藤", "さとう"),
        ("里見", "サトミ"),
        ("佐藤", "ｻﾄｳ"),
        ("加藤", "かとう"),
    ]:
        kana_of[factories.lead(family_name=family, family_name_kana=kana, given_name="").pk] = kana
    params = {"sort": "name", "q": "さと"}
    page = client_as(marketer).get(reverse("crm:lead_list"), params).context["page"]
    assert [kana_of[row.pk] for row in page.object_list] == ["さとう", "ｻﾄｳ", "サトミ"]


@pytest.mark.parametrize(
    "spellings",
    [
        ["ｻｲﾄｳｼｮｳｼﾞ", "サイトウショウジ", "さいとうしょうじ"],  # half-width, katakana, hiragana
        ["サトーショージ", "サトウショウジ", "ｻﾄｰｼｮｰｼﾞ"],  # long-vowel marks as their vowel
        ["キョウワ", "ｷﾖｳﾜ"],  # bank-transfer kana have no small kana
        ["アオバ ショウジ", "あおば　しょうじ"],  # spaces are no part of a reading
        # A legal form spelt out, at either end, or abbreviated as banks write it.
        ["アオバショウジ", "カブシキガイシャ アオバショウジ", "ｱｵﾊﾞｼｮｳｼﾞ ｶﾌﾞｼｷｶﾞｲｼｬ", "ｶ)ｱｵﾊﾞｼｮｳｼﾞ"],
        ["ミナトキョウカイ", "いっぱんしゃだんほうじん みなときょうかい", "ミナトキョウカイ(シャ)"],
        [
            "ヒカリノイエ",
            "トクテイヒエイリカツドウホウジンヒカリノイエ",
            "エヌピーオーホウジン ヒカリノイエ",
        ],
        ["ユウゲンガイシャ", "ゆうげんがいしゃ"],  # a reading that is only a form stays itself
    ],
)
def test_companies_with_one_reading_in_other_scripts_are_duplicates(spellings):
    companies = [
        Company.objects.create(name=f"会社{n}", name_kana=kana) for n, kana in enumerate(spellings)
    ]
    Company.objects.create(name="別会社", name_kana="ベツガイシャ")
    (group,) = company_groups()
    assert {c.pk for c in group.companies} == {c.pk for c in companies}
    assert [str(r) for r in group.reasons] == ["same reading"]


def test_a_company_entered_with_a_reading_in_another_script_is_a_candidate():
    saito = Company.objects.create(name="斉藤商事", name_kana="ｻｲﾄｳｼｮｳｼﾞ")
    for kana in ["さいとうしょうじ", "サイトウショウジ", "サイトーショージ"]:
        found = company_candidates({"name": "齋藤商事株式会社", "name_kana": kana})
        assert [c.record for c in found] == [saito], kana
        assert [str(r) for r in found[0].reasons] == ["same reading"]
        assert not found[0].blocking
    assert company_candidates({"name": "齋藤商事", "name_kana": "サイトウ"}) == []


def test_company_readings_are_rekeyed_by_the_migration():
    company = Company.objects.create(name="青葉商事", name_kana="カブシキガイシャアオバショウジ")
    Company.objects.filter(pk=company.pk).update(reading_key="カブシキガイシヤアオバシヨウジ")
    importlib.import_module(
        "crm.migrations.0034_company_readings_without_legal_form"
    ).rekey_readings(apps, None)
    company.refresh_from_db()
    assert company.reading_key == "アオバシヨウジ"


def test_the_company_search_finds_a_reading_written_with_its_legal_form():
    aoba = Company.objects.create(name="青葉商事", name_kana="ｶ)ｱｵﾊﾞｼｮｳｼﾞ")
    assert list(Company.objects.search("あおばしょうじ")) == [aoba]
    assert list(Company.objects.search("かぶしきがいしゃあおば")) == [aoba]
