"""Scoring rules named in Japanese and English (issue 20 item 5): the default
rules carry both names, the rule form edits both, and every page shows a rule
in the reader's language."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import LanguagePreference
from crm import scoring
from crm.models import Activity, ScoringRule
from tests import factories

from .test_scoring_views import NEW_RULE

pytestmark = pytest.mark.django_db


def speaks(user, language):
    LanguagePreference.objects.update_or_create(user=user, defaults={"language": language})


def test_the_default_rules_carry_japanese_and_english_names():
    names = dict(ScoringRule.objects.values_list("name_en", "name_ja"))
    assert names["Decision maker by title"] == "役職が決裁者"
    assert names["Downloaded"] == "資料ダウンロード"
    assert names["Free-mail address"] == "フリーメールのアドレス"
    assert all(ScoringRule.objects.values_list("name_ja", flat=True))


def test_the_migration_names_defaults_in_japanese_and_keeps_a_japanese_name_japanese():
    default = ScoringRule.objects.get(name_en="Form submitted")
    default.name_ja = ""
    default.save(update_fields=["name_ja"])
    marketer_rule = ScoringRule.objects.create(name_en="名刺交換", kind="card_exchange", points=9)
    other = ScoringRule.objects.create(name_en="Trade show", kind="event_visit", points=3)
    importlib.import_module(
        "crm.migrations.0033_default_scoring_rule_names"
    ).name_rules_in_both_languages(apps, None)
    default.refresh_from_db()
    marketer_rule.refresh_from_db()
    other.refresh_from_db()
    assert (default.name_ja, default.name_en) == ("フォーム送信", "Form submitted")
    assert (marketer_rule.name_ja, marketer_rule.name_en) == ("名刺交換", "")
    assert (other.name_ja, other.name_en) == ("", "Trade show")


def test_a_rule_reads_in_the_readers_language_else_in_the_other():
    rule = ScoringRule(name_ja="資料請求", name_en="Asked for material")
    only_ja = ScoringRule(name_ja="名刺交換")
    with translation.override("ja"):
        assert (rule.name, only_ja.name) == ("資料請求", "名刺交換")
    with translation.override("en"):
        assert (rule.name, only_ja.name) == ("Asked for material", "名刺交換")


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [
        ("ja", "役職が決裁者", "Decision maker by title"),
        ("en", "Decision maker by title", "役職が決裁者"),
    ],
)
def test_the_rules_page_shows_each_name_in_the_readers_language(
    client_as, marketer, language, shown, hidden
):
    speaks(marketer, language)
    page = client_as(marketer).get(reverse("handoff:scoring_rules")).content.decode()
    assert shown in page and hidden not in page


def test_the_rule_form_edits_both_names(client_as, marketer):
    rule = ScoringRule.objects.get(name_en="Downloaded")
    url = reverse("handoff:scoring_rule_edit", args=[rule.pk])
    form = client_as(marketer).get(url).content.decode()
    assert 'name="name_ja"' in form and 'value="資料ダウンロード"' in form
    post = {
        **NEW_RULE,
        "kind": "download",
        "url_contains": "",
        "name_ja": "ホワイトペーパー",
        "name_en": "White paper",
        "save": "1",
    }
    assert client_as(marketer).post(url, post).status_code == 302
    rule.refresh_from_db()
    assert (rule.name_ja, rule.name_en) == ("ホワイトペーパー", "White paper")


def test_a_rule_needs_a_name_in_one_language_at_least(client_as, marketer):
    speaks(marketer, "ja")
    response = client_as(marketer).post(
        reverse("handoff:scoring_rule_create"), {**NEW_RULE, "name_en": "", "save": "1"}
    )
    assert response.status_code == 200
    assert (
        "ルールの名前を日本語か英語（または両方）で入力してください。" in response.content.decode()
    )
    post = {**NEW_RULE, "name_en": "", "name_ja": "料金ページ", "save": "1"}
    assert client_as(marketer).post(reverse("handoff:scoring_rule_create"), post).status_code == 302
    assert ScoringRule.objects.filter(name_ja="料金ページ", name_en="").exists()


@pytest.mark.parametrize(("language", "name"), [("ja", "資料ダウンロード"), ("en", "Downloaded")])
def test_the_score_explanation_names_rules_in_the_readers_language(
    client_as, marketer, language, name
):
    lead = factories.lead()
    Activity.objects.create(lead=lead, kind="download")
    speaks(marketer, language)
    page = client_as(marketer).get(lead.get_absolute_url()).content.decode()
    assert name in page


def test_an_explanation_kept_with_a_handoff_is_read_in_the_readers_language():
    from crm.templatetags.scores import rule_name

    rule = ScoringRule.objects.get(name_en="Downloaded").as_rule()
    now = timezone.now()
    facts = [scoring.ActivityFacts(id=1, kind="download", occurred_at=now)]
    with translation.override("en"):
        kept = scoring.explain(scoring.LeadFacts(), facts, [rule], now=now).summary()
    (line,) = kept["rules"]  # type: ignore[misc]
    with translation.override("ja"):
        assert rule_name(line) == "資料ダウンロード"
        assert rule_name({"rule": "Downloaded"}) == "Downloaded"  # kept before rules had two names
    with translation.override("en"):
        assert rule_name(line) == "Downloaded"
