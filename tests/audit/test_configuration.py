"""Configuration changes (handoff policy, scoring rules, webhooks, KPI targets)
are kept in the audit trail with what changed, and the audit page reads them
in the reader's language: labels, not codes; names, not user ids."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from audit import display
from audit.models import Action, AuditEntry
from crm.models import ScoringRule
from handoff import services
from handoff.models import HandoffPolicy
from kpi.models import Target
from tests import factories
from tests.webhooks.conftest import HOOK_URL, dns, fresh_subscriptions  # noqa: F401 (fixtures)
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db

POLICY = {
    "fit_threshold": 10,
    "engagement_threshold": 40,
    "first_touch_sla_minutes": 60,
    "claim_timeout_minutes": 120,
    "business_day_start": "09:00",
    "business_day_end": "18:00",
    "recycle_cooldown_days": 30,
    "routing": "round_robin",
    "notify_by_email": "on",
    "chat_webhook_url": "",
}


def config_entries(object_type: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action=Action.CONFIGURATION_CHANGED, object_type=object_type
        ).order_by("pk")
    )


def shown(entry: AuditEntry, language: str = "en") -> tuple[str, dict[str, str]]:
    with translation.override(language):
        row = display.present([entry])[0]
        return row.summary, {line.label: line.text for line in row.lines}


def test_a_policy_change_is_kept_with_what_changed(client, manager):
    HandoffPolicy.current()
    client.force_login(manager)
    assert client.post(reverse("handoff:policy"), POLICY).status_code == 302
    (entry,) = config_entries("handoffpolicy")
    assert entry.actor_username == "manager"
    assert entry.changes == {
        "engagement_threshold": [50, 40],
        "fit_threshold": [0, 10],
        "routing": ["open_queue", "round_robin"],
    }
    assert shown(entry) == (
        "Changed",
        {
            "Engagement threshold": "50 → 40",
            "Fit threshold": "0 → 10",
            "Routing": "Open queue: reps claim → Round-robin among available reps",
        },
    )
    # Saving the same policy again changes nothing, and keeps nothing.
    client.post(reverse("handoff:policy"), POLICY)
    assert len(config_entries("handoffpolicy")) == 1


def test_a_chat_webhook_url_is_kept_without_its_token(client, manager, monkeypatch):
    monkeypatch.setattr("handoff.notify.clean_chat_webhook_url", lambda url: url)
    client.force_login(manager)
    url = "https://hooks.slack.com/services/T000/B000/secret-token"
    client.post(reverse("handoff:policy"), {**POLICY, "chat_webhook_url": url})
    (entry,) = config_entries("handoffpolicy")
    assert "secret-token" not in str(entry.changes)
    assert entry.changes["chat_webhook_url"][1].startswith("https://hooks.slack.com/… (")


def test_scoring_rule_changes_are_kept(client, marketer):
    client.force_login(marketer)
    data = {
        "name_en": "Webinar",
        "dimension": "engagement",
        "condition": "activity",
        "kind": "webinar",
        "points": 20,
        "is_active": "on",
    }
    client.post(reverse("handoff:scoring_rule_create"), {**data, "save": "1"})
    rule = ScoringRule.objects.get(name_en="Webinar")
    client.post(
        reverse("handoff:scoring_rule_edit", args=[rule.pk]), {**data, "points": 30, "save": "1"}
    )
    client.post(reverse("handoff:scoring_rule_toggle", args=[rule.pk]))
    created, changed, toggled = config_entries("scoringrule")
    assert created.summary == "created" and created.changes["points"] == [None, 20]
    assert changed.changes == {"points": [20, 30]}
    assert toggled.changes == {"is_active": [True, False]}
    assert shown(created)[1]["Activity kind"] == "Attended a webinar"
    assert shown(toggled) == ("Changed", {"Active": "Yes → No"})


def test_rule_names_read_in_the_readers_language_old_entries_included(client, marketer):
    client.force_login(marketer)
    rule = ScoringRule.objects.get(name_en="Downloaded")
    data = {"name_ja": "資料DL", "name_en": "Downloaded", "dimension": "engagement"}
    data |= {"condition": "activity", "kind": "download", "points": 15, "is_active": "on"}
    data |= {"half_life_days": 30}
    client.post(reverse("handoff:scoring_rule_edit", args=[rule.pk]), {**data, "save": "1"})
    (changed,) = config_entries("scoringrule")
    assert changed.changes == {"name_ja": ["資料ダウンロード", "資料DL"]}
    assert shown(changed, "ja")[1] == {"名前（日本語）": "資料ダウンロード → 資料DL"}
    # An entry kept before rules had two names.
    changed.changes = {"name": ["Downloaded", "Whitepaper"]}
    assert shown(changed, "ja")[1] == {"名前": "Downloaded → Whitepaper"}


@pytest.mark.usefixtures("dns", "fresh_subscriptions")
def test_webhook_changes_are_kept_without_the_secret(client, manager):
    client.force_login(manager)
    client.post(
        reverse("webhooks:endpoint_create"),
        {"name": "CRM sync", "url": HOOK_URL, "events": ["lead.mql"]},
    )
    endpoint = Endpoint.objects.get()
    client.post(
        reverse("webhooks:endpoint_edit", args=[endpoint.pk]),
        {
            "name": "CRM sync",
            "url": HOOK_URL,
            "events": ["lead.mql", "deal.won"],
            "is_active": "on",
        },
    )
    client.post(reverse("webhooks:endpoint_rotate_secret", args=[endpoint.pk]))
    client.post(reverse("webhooks:endpoint_delete", args=[endpoint.pk]))
    created, edited, rotated, deleted = config_entries("endpoint")
    assert [e.summary for e in (created, edited, rotated, deleted)] == [
        "created",
        "changed",
        "secret replaced",
        "deleted",
    ]
    assert edited.changes == {"events": [["lead.mql"], ["deal.won", "lead.mql"]]}
    assert deleted.object_id == str(endpoint.pk)
    trail = str(list(AuditEntry.objects.values_list("changes", "summary")))
    assert endpoint.secret not in trail and "/baton" not in trail
    assert shown(edited)[1]["Events"] == (
        "A lead became a marketing-qualified lead (MQL) → "
        "A deal was won, A lead became a marketing-qualified lead (MQL)"
    )


def test_targets_set_replaced_and_deleted_are_kept(client, manager):
    client.force_login(manager)
    target = {"kpi": "mqls", "span": "month", "month": "2026-10", "value": "30"}
    client.post(reverse("kpi:targets"), target)
    client.post(reverse("kpi:targets"), {**target, "value": "45"})
    client.post(reverse("kpi:target_delete", args=[Target.objects.get().pk]))
    assert not Target.objects.exists()
    _created, replaced, deleted = config_entries("target")
    assert replaced.changes == {"value": ["30.00", "45.00"]}
    assert shown(replaced, "ja") == ("変更", {"目標": "30 → 45"})
    assert shown(deleted)[1]["Starts on"] == "Oct. 1, 2026"
    assert shown(deleted)[1]["KPI"] == "MQLs"


def test_handoff_entries_read_as_labels_and_names(rep, manager, campaign):
    handoff = factories.qualified_handoff(campaign)
    assert services.claim_handoff(handoff, rep=rep)
    assert services.reject_handoff(handoff, rep=rep, reason="bad_timing")
    rejected = AuditEntry.objects.filter(object_type="handoff").order_by("pk").last()
    assert rejected.changes["owner"] == [rep.pk, None]  # codes and ids are what is kept
    assert shown(rejected) == (
        "Bad timing",
        {
            "Status": "Claimed → Rejected",
            "Owner": "Taro Suzuki → —",
            "Lead": f"Lead #{handoff.lead_id}",
        },
    )
    summary, lines = shown(rejected, "ja")
    assert summary == "時期が合わない"
    assert lines == {
        "状態": "担当中 → 差し戻し",
        "担当者": "Suzuki Taro → —",
        "リード": f"リード #{handoff.lead_id}",
    }
    stage = AuditEntry.objects.filter(object_type="lead", summary="rejected: bad_timing").get()
    assert shown(stage, "ja")[0] == "営業が差し戻し：時期が合わない"


def test_the_audit_page_shows_no_codes(client, rep, manager, campaign):
    handoff = factories.qualified_handoff(campaign)
    assert services.claim_handoff(handoff, rep=rep)
    client.force_login(manager)
    html = client.get(reverse("audit:entry_list"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "queued → claimed" not in html and f"{None} → {rep.pk}" not in html
    assert "担当者待ち → 担当中" in html and "— → Suzuki Taro" in html


def test_an_exports_filters_read_as_labels():
    entry = AuditEntry.objects.create(
        action=Action.EXPORTED,
        object_type="leads",
        changes={"filters": {"stage": "mql", "q": "…"}, "rows": 1200},
    )
    assert shown(entry) == ("", {"Filters": "Stage: MQL, q: …", "Rows": "1,200"})
