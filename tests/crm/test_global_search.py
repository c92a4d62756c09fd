"""The global search (crm/search.py, /crm/search/): kana folded, scoped by
role, one and two characters, the results page and the top bar's dropdown."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import search
from crm.models import Campaign, Company, Deal, Lead
from tests import factories

pytestmark = pytest.mark.django_db


def found(text: str, user: User, limit: int = search.PAGE_LIMIT) -> dict[str, list[str]]:
    results = search.global_search(text, user=user, limit=limit)
    return {kind: [hit.label for hit in hits] for kind, _heading, hits in results.groups()}


@pytest.fixture
def yamaguchi(marketer: User) -> Lead:
    """A person whose name and reading are stored in katakana, as a card gives them."""
    company = Company.objects.create(name="株式会社ヤマグチ商事")
    return factories.lead(
        family_name="ヤマグチ",
        given_name="ハナ",
        family_name_kana="ヤマグチ",
        given_name_kana="ハナ",
        email="hana@yamaguchi.example.jp",
        company=company,
        stage=Lead.Stage.MQL,
    )


@pytest.mark.parametrize("typed", ["やまぐち", "ヤマグチ", "ﾔﾏｸﾞﾁ", "やまぐちはな", "ﾔﾏｸﾞﾁ ﾊﾅ"])
def test_hiragana_katakana_and_half_width_kana_find_one_person(
    yamaguchi: Lead, marketer: User, typed: str
) -> None:
    assert yamaguchi.display_name in found(typed, marketer).get("people", [])


@pytest.mark.parametrize("typed", ["や", "ヤマ", "ﾔﾏ", "山", "hana@"[:2]])
def test_one_or_two_characters_find_the_start_of_a_name_reading_or_email(
    yamaguchi: Lead, marketer: User, typed: str
) -> None:
    factories.lead(family_name="山田", given_name="一郎")
    people = found(typed, marketer).get("people", [])
    assert people, typed
    if typed != "山":
        assert yamaguchi.display_name in people


def test_one_character_matches_only_the_start(marketer: User) -> None:
    factories.lead(family_name="中山", given_name="一", email="naka@example.jp")
    assert found("山", marketer).get("people") is None


def test_companies_are_found_by_their_name_without_legal_form_in_any_kana(
    yamaguchi: Lead, marketer: User
) -> None:
    assert found("やまぐち商事", marketer)["companies"] == ["株式会社ヤマグチ商事"]
    assert found("ヤマ", marketer)["companies"] == ["株式会社ヤマグチ商事"]


def test_deals_and_campaigns_are_grouped(yamaguchi: Lead, marketer: User) -> None:
    Deal.objects.create(lead=yamaguchi, company=yamaguchi.company, name="ヤマグチ商事 導入")
    Campaign.objects.create(
        name="やまぐち展示会", channel="exhibition", utm_code="ymg", owner=marketer
    )
    groups = found("やまぐち", marketer)
    assert groups["deals"] == ["ヤマグチ商事 導入"]
    assert groups["campaigns"] == ["やまぐち展示会"]
    assert list(groups) == ["people", "companies", "deals", "campaigns"]


def test_a_rep_finds_waiting_and_own_leads_but_never_another_reps(
    rep: User, other_rep: User, manager: User
) -> None:
    waiting = factories.lead(family_name="サトウ", given_name="待", stage=Lead.Stage.MQL)
    mine = factories.lead(family_name="サトウ", given_name="自", stage=Lead.Stage.SAL, owner=rep)
    theirs = factories.lead(
        family_name="サトウ", given_name="他", stage=Lead.Stage.SAL, owner=other_rep
    )
    marketing = factories.lead(family_name="サトウ", given_name="前", stage=Lead.Stage.LEAD)
    Deal.objects.create(lead=theirs, name="サトウ 他の案件")
    Deal.objects.create(lead=mine, name="サトウ 自分の案件")
    for typed in ["さとう", "さ"]:
        people = found(typed, rep)["people"]
        assert sorted(people) == sorted([waiting.display_name, mine.display_name])
        assert found(typed, rep)["deals"] == ["サトウ 自分の案件"]
    everyone = {waiting, mine, theirs, marketing}
    assert sorted(found("さとう", manager)["people"]) == sorted(p.display_name for p in everyone)


def test_hits_link_to_pages_the_user_may_open(yamaguchi: Lead, marketer: User) -> None:
    deal = Deal.objects.create(lead=yamaguchi, name="ヤマグチ 案件")
    results = search.global_search("やまぐち", user=marketer, limit=5)
    assert results.people[0].url == yamaguchi.get_absolute_url()
    assert results.deals[0].url == search.deal_url(deal) == f"/deals/{deal.pk}/"


def test_each_group_is_capped_and_the_query_count_does_not_grow(marketer: User) -> None:
    for n in range(8):
        factories.lead(family_name="ヤマダ", given_name=f"{n}", family_name_kana="ヤマダ")
    with CaptureQueriesContext(connection) as few:
        search.global_search("やまだ", user=marketer, limit=5)
    for n in range(20):
        factories.lead(family_name="ヤマダ", given_name=f"x{n}", family_name_kana="ヤマダ")
    with CaptureQueriesContext(connection) as many:
        results = search.global_search("やまだ", user=marketer, limit=5)
    assert len(results.people) == 5
    assert len(many) <= len(few) <= 8  # a branch that fills the group ends the search


@pytest.mark.parametrize("typed", ["", "   ", "!!!", "・"])
def test_nothing_to_search_by_finds_nothing(yamaguchi: Lead, marketer: User, typed: str) -> None:
    assert search.global_search(typed, user=marketer, limit=5).count == 0


def test_erased_people_are_not_found(yamaguchi: Lead, marketer: User) -> None:
    from django.utils import timezone

    Lead.objects.filter(pk=yamaguchi.pk).update(erased_at=timezone.now())
    assert "people" not in found("やまぐち", marketer)


# --- The pages -------------------------------------------------------------------


def test_the_results_page_lists_links_grouped(
    client_as: Any, yamaguchi: Lead, marketer: User
) -> None:
    response = client_as(marketer).get("/crm/search/", {"q": "やまぐち"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="search-group-people"' in page
    assert f'href="{yamaguchi.get_absolute_url()}"' in page
    assert "?q=%E3%82%84" in page  # "every match in the lead list" keeps the text


def test_the_dropdown_is_a_listbox_fragment(
    client_as: Any, yamaguchi: Lead, marketer: User
) -> None:
    response = client_as(marketer).get("/crm/search/", {"q": "ﾔﾏ"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert 'role="listbox"' in page and 'role="option"' in page
    assert 'data-search-summary="' in page


def test_nothing_found_says_so_in_the_readers_language(client_as: Any, marketer: User) -> None:
    response = client_as(marketer).get(
        "/crm/search/", {"q": "存在しない"}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert "見つかりませんでした" in response.content.decode()


@pytest.mark.parametrize("typed", ["a\x00b", "x" * 101])
def test_bad_input_is_a_sentence_not_an_error(client_as: Any, marketer: User, typed: str) -> None:
    for htmx in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client_as(marketer).get("/crm/search/", {"q": typed}, **htmx)
        assert response.status_code == 200
        assert "invalid" in response.content.decode() or "text-danger" in response.content.decode()


def test_the_top_bar_has_the_search_box(client_as: Any, rep: User) -> None:
    page = client_as(rep).get("/crm/search/").content.decode()
    assert 'id="global-search"' in page and 'role="combobox"' in page
    assert 'action="/crm/search/"' in page
