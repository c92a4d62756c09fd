"""The lead's timeline: what the score counts of each activity (the same
figures as the score breakdown), and who did it apart from how it arrived."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from api import services as api_services
from crm import capture, scoring, services
from crm.imports import engine, reading
from crm.imports.mapping import guess_mapping
from crm.models import Activity, Lead, ScoringRule
from crm.templatetags.scores import points, signed_points
from handoff import work
from tests import factories

pytestmark = pytest.mark.django_db


def card_rule(**fields: object) -> ScoringRule:
    values = {"name_ja": "名刺交換", "kind": "card_exchange", "points": 40, "half_life_days": 30}
    return ScoringRule.objects.create(**{**values, **fields})


def scored(lead: Lead, kind: str, *, days_ago: float) -> Activity:
    """An activity scored by the worker `days_ago` days ago."""
    activity, _ = services.record_activity(
        lead, kind=kind, occurred_at=timezone.now() - timedelta(days=days_ago)
    )
    services.score_activities([activity.pk])
    return activity


def timeline_points(html: str) -> list[str]:
    return re.findall(r'data-testid="activity-points"[^>]*>([^<]*)<', html)


def breakdown_points(html: str) -> list[str]:
    return re.findall(r'data-testid="explanation-activity">[^<]*<strong>([^<]*)<', html)


# --- 10. One set of figures ----------------------------------------------------------------


def test_the_timeline_shows_the_points_the_breakdown_counts(client_as, marketer):
    """The timeline said +0 for a business-card exchange that the breakdown
    credited 25.6: its points were written when it was scored, before the
    rule existed, and never again."""
    lead = factories.lead()
    scored(lead, Activity.Kind.CARD_EXCHANGE, days_ago=18)  # no rule yet: 0 points
    card_rule()
    services.rescore_lead(lead.pk)  # as saving a rule does, set-based
    lead.refresh_from_db()
    page = client_as(marketer).get(lead.get_absolute_url()).content.decode()
    expected = 40 * 0.5 ** (18 / 30)  # 26.39…
    assert timeline_points(page) == ["+26.4"] == breakdown_points(page)
    assert lead.engagement_score == round(expected) == 26
    assert "engagement 26" in page
    assert "40, 26.4 left after decay (half-life 30 days)" in page


def test_a_capped_rule_shares_its_cap_among_its_activities(client_as, marketer):
    lead = factories.lead()
    card_rule(points=30, half_life_days=None, cap=40)
    for days in (1, 2, 3):
        scored(lead, Activity.Kind.CARD_EXCHANGE, days_ago=days)
    page = client_as(marketer).get(lead.get_absolute_url()).content.decode()
    assert timeline_points(page) == ["+13.3"] * 3 == breakdown_points(page)
    assert "13.3 counted (the rule is capped at 40)" in page
    assert Lead.objects.get(pk=lead.pk).engagement_score == 40


def test_an_activity_no_rule_scores_shows_no_points(client_as, rep):
    lead = factories.lead(owner=rep, stage=Lead.Stage.SAL)
    work.log_touch(lead, kind=Activity.Kind.CALL, note="電話しました", by=rep)
    page = client_as(rep).get(lead.get_absolute_url()).content.decode()
    assert timeline_points(page) == []
    assert "+0" not in page


@pytest.mark.parametrize(
    ("value", "signed", "plain"),
    [
        (25.64, "+25.6", "25.6"),
        (25.0, "+25", "25"),
        (-3.26, "\u22123.3", "\u22123.3"),
        (0.04, "0", "0"),
        (None, "0", "0"),
    ],
)
def test_points_are_written_one_way(value, signed, plain):
    assert (signed_points(value), points(value)) == (signed, plain)


def test_a_handoffs_score_summary_rounds_as_the_pages_do():
    rule = scoring.Rule(1, "r", "engagement", "activity", 40, kind="download", half_life_days=30)
    now = datetime(2026, 11, 27, tzinfo=UTC)
    facts = [scoring.ActivityFacts(1, "download", now - timedelta(days=18))]
    summary = scoring.explain(scoring.LeadFacts(), facts, [rule], now=now).summary()
    assert summary["rules"][0]["points"] == 26.4  # type: ignore[index]
    whole = scoring.explain(scoring.LeadFacts(), facts, [rule], now=facts[0].occurred_at)
    assert whole.summary()["rules"][0]["points"] == 40  # type: ignore[index]


RULES = st.lists(
    st.builds(
        scoring.Rule,
        id=st.integers(1, 10_000),
        name=st.just("r"),
        dimension=st.just("engagement"),
        condition=st.just("activity"),
        points=st.integers(-50, 50),
        kind=st.sampled_from(["download", "page_view"]),
        cap=st.one_of(st.none(), st.integers(0, 100)),
        half_life_days=st.one_of(st.none(), st.integers(1, 90)),
    ),
    max_size=4,
)
ACTIVITIES = st.lists(
    st.builds(
        scoring.ActivityFacts,
        id=st.integers(1, 10_000),
        kind=st.sampled_from(["download", "page_view"]),
        occurred_at=st.datetimes(
            min_value=datetime(2026, 1, 1),  # noqa: DTZ001  (hypothesis wants naive bounds)
            max_value=datetime(2026, 11, 27),  # noqa: DTZ001
            timezones=st.just(UTC),
        ),
    ),
    max_size=8,
    unique_by=lambda a: a.id,
)


@settings(max_examples=200, deadline=None)
@given(rules=RULES, activities=ACTIVITIES)
def test_the_timelines_points_add_up_to_the_breakdown_and_the_score(rules, activities):
    now = datetime(2026, 11, 27, tzinfo=UTC)
    explanation = scoring.explain(scoring.LeadFacts(), activities, rules, now=now)
    per_activity = explanation.by_activity()
    assert set(per_activity) <= {a.id for a in activities}
    timeline_total = sum(p.counted for entries in per_activity.values() for p in entries)
    breakdown_total = sum(r.total for r in explanation.engagement)
    assert timeline_total == pytest.approx(breakdown_total, abs=1e-6)
    assert round(breakdown_total) == explanation.engagement_score


# --- 11. Who did it, and how it arrived -----------------------------------------------------


def origin(page: str, n: int = 0) -> str:
    lines = re.findall(r'data-testid="activity-origin">(.*?)</div>', page, re.S)
    return re.sub(r"<[^>]+>", "", lines[n])


def test_an_api_token_does_not_make_the_marketer_the_one_who_did_it(client_as, marketer):
    """Activities recorded with a marketer's API token read as if the
    marketer had viewed the page."""
    lead = factories.lead(family_name="山田", given_name="太郎")
    activity, _ = api_services.record_one_activity(
        lead, kind="page_view", actor=marketer, visible=Lead.objects.all()
    )
    assert activity.channel == Activity.Channel.API
    page = client_as(marketer).get(lead.get_absolute_url()).content.decode()
    line = origin(page)
    assert line.split(" · ")[1] == "山田 太郎"  # the person did it (family name first) …
    assert "through the API, with Hanako Sato’s token" in line  # … the token only brought it


def test_a_batch_through_the_api_is_told_apart_too(marketer):
    lead = factories.lead()
    item = api_services.IncomingActivity(kind="download", lead_id=lead.pk, external_id="x-1")
    api_services.record_activity_batch([item], actor=marketer, leads=Lead.objects.all())
    assert Activity.objects.get(external_id="x-1").channel == Activity.Channel.API


def test_a_call_is_the_reps_and_a_form_submit_the_persons(client_as, campaign, rep, marketer):
    lead, _ = capture.capture_lead(
        campaign, data=capture.CaptureData(email="k@example.jp", family_name="加藤")
    )
    Lead.objects.filter(pk=lead.pk).update(owner=rep, stage=Lead.Stage.SAL)
    work.log_touch(lead, kind=Activity.Kind.CALL, note="", by=rep)
    page = client_as(marketer).get(lead.get_absolute_url()).content.decode()
    call, submit = origin(page, 0), origin(page, 1)
    assert call.endswith(" · Taro Suzuki") and "through" not in call
    assert submit.endswith("加藤 · through a capture form")


def test_an_imported_row_is_the_persons_brought_by_the_importer(client_as, marketer):
    table = reading.read_table(
        "姓,E-mail,名刺交換日\r\n佐藤,sato@example.jp,2026/10/01\r\n".encode(), filename="c.csv"
    )
    planned = engine.plan(table, guess_mapping(table.headers))
    engine.apply(planned, campaign=None, kind="card_exchange", actor=marketer, source="t")
    lead = Lead.objects.get()
    assert lead.activities.get().channel == Activity.Channel.IMPORT
    page = client_as(marketer).get(lead.get_absolute_url()).content.decode()
    assert origin(page).endswith("佐藤 · imported by Hanako Sato")


def test_existing_activities_are_told_their_channel_by_the_migration(marketer, rep, campaign):
    lead = factories.lead()
    rows = {
        "import": Activity(
            lead=lead, kind="card_exchange", external_id="import:abc", actor=marketer
        ),
        "tracking": Activity(lead=lead, kind="email_open", external_id="nurture:open:1"),
        "capture": Activity(lead=lead, kind="form_submit", details={"form": {"email": "x"}}),
        "api": Activity(lead=lead, kind="page_view", actor=marketer),
        "app": Activity(lead=lead, kind="call", actor=rep),
        "": Activity(lead=lead, kind="download"),
    }
    Activity.objects.bulk_create(rows.values())
    migration = importlib.import_module(
        "crm.migrations.0016_merge_aliases_activity_channel_import_rows"
    )
    migration.tell_channels(apps, None)
    found = dict(Activity.objects.values_list("external_id", "channel"))
    assert {a.kind: a.channel for a in Activity.objects.all()} == {
        a.kind: channel for channel, a in rows.items()
    }
    assert found["import:abc"] == "import"
