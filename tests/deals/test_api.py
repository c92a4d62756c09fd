"""Deals through the API, at parity with the pages: stages and reasons,
moves as of the stage seen, won and lost with a reason, and the webhook
events `deal.stage_changed`, `deal.won` and `deal.lost`."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Deal, DealStage, Lead
from tests.api.conftest import token_client
from tests.deals.conftest import reason, stage
from tests.webhooks.conftest import make_endpoint
from webhooks.models import Event

pytestmark = pytest.mark.django_db
DEALS = "/api/v1/deals/"


def test_stages_and_reasons_are_listed_in_order(rep):
    client = token_client(rep)
    stages = client.get("/api/v1/deal-stages/").json()["results"]
    assert [s["name_en"] for s in stages] == [
        "Discovery", "Proposal", "Quote", "Negotiation", "Won", "Lost",
    ]  # fmt: skip
    assert stages[0] | {"id": 0} == {
        "id": 0, "name_ja": "ヒアリング", "name_en": "Discovery", "order": 10,
        "probability": 10, "kind": "open", "is_retired": False,
    }  # fmt: skip
    reasons = client.get("/api/v1/lost-reasons/").json()["results"]
    assert reasons[0]["name_ja"] == "価格"


def test_a_rep_opens_moves_and_wins_a_deal_with_events(rep, lead):
    make_endpoint()
    client = token_client(rep)
    opened = client.post(
        DEALS,
        {"lead": lead.pk, "name": "導入", "amount": 900000, "next_step": "訪問"},
        format="json",
    )
    assert opened.status_code == 201, opened.content
    body = opened.json()
    assert (body["status"], body["probability"], body["source_campaign"]) == (
        "open",
        10,
        lead.source_campaign_id,
    )
    url = f"{DEALS}{body['id']}/"
    moved = client.post(
        f"{url}move/", {"stage": stage("Quote").pk, "from_stage": body["stage"]}, format="json"
    )
    assert (moved.json()["stage"], moved.json()["probability"]) == (stage("Quote").pk, 50)
    stale = client.post(
        f"{url}move/", {"stage": stage("Proposal").pk, "from_stage": body["stage"]}, format="json"
    )
    assert stale.status_code == 409
    assert "meanwhile" in stale.json()["detail"]
    won = client.post(
        f"{url}win/", {"close_date": str(timezone.localdate()), "amount": "950000"}, format="json"
    )
    assert won.json()["status"] == "won"
    assert Lead.objects.get(pk=lead.pk).stage == Lead.Stage.CUSTOMER
    types = Counter(Event.objects.values_list("type", flat=True))
    assert (types["deal.stage_changed"], types["deal.won"]) == (3, 1)  # opened, moved, won
    moves = {
        (e.data["from_stage"] or {}).get("name_en"): e.data["deal"]["stage"]["name_en"]
        for e in Event.objects.filter(type="deal.stage_changed")
    }
    assert moves == {None: "Discovery", "Discovery": "Quote", "Quote": "Won"}


def test_lost_with_a_reason_and_a_note_emits_deal_lost(rep, deal):
    make_endpoint(event_types=["deal.lost"])
    client = token_client(rep)
    url = f"{DEALS}{deal.pk}/lose/"
    retired = reason("Timing")
    retired.is_retired = True
    retired.save()
    refused = client.post(url, {"reason": retired.pk, "note": "来期"}, format="json")
    assert refused.status_code == 422  # well formed, refused by a rule
    assert "retired" in refused.json()["detail"]
    unknown = client.post(url, {"reason": 999999, "note": "来期"}, format="json")
    assert unknown.json() == {"reason": ["There is no reason with this id."]}
    lost = client.post(url, {"reason": reason().pk, "note": "価格で他社"}, format="json")
    assert lost.json()["lost_note"] == "価格で他社"
    event = Event.objects.get(type="deal.lost").data["deal"]
    assert (event["status"], event["lost_reason"]["name_en"], event["lost_note"]) == (
        "lost",
        "Price",
        "価格で他社",
    )
    again = client.post(f"{DEALS}{deal.pk}/win/", {"close_date": "2026-01-05", "amount": "1"},
                        format="json")  # fmt: skip
    assert again.status_code == 409 and "already closed" in again.json()["detail"]


def test_bad_input_is_answered_in_the_readers_language(rep, deal):
    client = token_client(rep)
    tomorrow = str(timezone.localdate() + timedelta(days=1))
    future = client.post(
        f"{DEALS}{deal.pk}/win/", {"close_date": tomorrow, "amount": "1"}, format="json",
        HTTP_ACCEPT_LANGUAGE="ja",
    )  # fmt: skip
    assert future.status_code == 422
    assert future.json()["detail"] == "まだ来ていない日付で受注にはできません。"
    won_stage = client.post(
        f"{DEALS}{deal.pk}/move/",
        {"stage": stage("Won").pk, "from_stage": deal.stage_id},
        format="json",
    )
    assert won_stage.status_code == 422
    assert "Mark a deal won or lost with its own button" in won_stage.json()["detail"]
    absurd = client.post(
        f"{DEALS}{deal.pk}/win/", {"close_date": "2026-01-05", "amount": "1" * 15}, format="json"
    )
    assert absurd.status_code == 400 and "amount" in absurd.json()
    assert Deal.objects.get(pk=deal.pk).status == "open"


def test_a_stale_patch_is_a_409(rep, other_rep, manager, deal):
    first = token_client(manager).patch(
        f"{DEALS}{deal.pk}/", {"next_step": "訪問", "version": 1}, format="json"
    )
    assert first.json()["version"] == 2
    second = token_client(rep).patch(
        f"{DEALS}{deal.pk}/", {"next_step": "電話", "version": 1}, format="json"
    )
    assert second.status_code == 409
    assert Deal.objects.get(pk=deal.pk).next_step == "訪問"
    assert DealStage.objects.count() == 6


def test_a_stage_id_that_names_no_stage_is_404_as_every_unknown_id(rep, lead):
    client = token_client(rep)
    body = {"lead": lead.pk, "name": "導入", "amount": 900000, "stage": 999999}
    refused = client.post(DEALS, body, format="json")
    assert refused.status_code == 404
    assert refused.json()["stage"] == ["There is no stage with this id."]
    assert not Deal.objects.exists()
