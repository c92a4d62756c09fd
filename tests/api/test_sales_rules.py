"""The API follows the pages' rules: what a rep may see, who logs sales
touches and how they are dated, who edits which lead, what a claim tells."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from crm import services as crm
from crm.models import Activity, Lead
from handoff import services, work
from handoff.models import Handoff
from tests import factories

pytestmark = pytest.mark.django_db

ACTIVITIES = "/api/v1/activities/"
BATCH = "/api/v1/activities/batch/"
SECRET = "社長は来月退任予定 (confidential)"


@pytest.fixture
def theirs(campaign, other_rep) -> Handoff:
    """A lead `other_rep` claimed and noted something confidential about."""
    handoff = factories.qualified_handoff(campaign)
    services.claim_handoff(handoff, rep=other_rep)
    work.record_touch(
        handoff.lead, kind="note", by=other_rep, details={"note": SECRET}, external_id="crm-note-1"
    )
    return handoff


@pytest.fixture
def queued(campaign) -> Handoff:
    return factories.qualified_handoff(campaign)


# --- 15.2: idempotent answers stay in scope -----------------------------------------


def test_a_reused_external_id_does_not_show_another_reps_activity(api_as, rep, theirs, queued):
    body = {"lead": queued.lead_id, "kind": "note", "external_id": "crm-note-1"}
    response = api_as(rep).post(ACTIVITIES, body)
    assert response.status_code == 409
    text = response.content.decode()
    assert SECRET not in text and str(theirs.lead_id) not in text
    assert set(response.json()) == {"detail"}
    assert Activity.objects.filter(external_id="crm-note-1").get().lead_id == theirs.lead_id


def test_a_reused_external_id_in_a_batch_is_rejected_without_the_activity(
    api_as, rep, theirs, queued
):
    items = [
        {"lead": queued.lead_id, "kind": "page_view", "external_id": "crm-note-1"},
        {"lead": queued.lead_id, "kind": "page_view", "external_id": "crm-note-1"},
    ]
    body = api_as(rep).post(BATCH, {"activities": items}).json()
    assert (body["created"], body["already_known"], body["rejected"]) == (0, 0, 2)
    for result in body["results"]:
        assert result["id"] is None
        assert set(result["errors"]) == {"external_id"}
    assert SECRET not in json.dumps(body, ensure_ascii=False)


def test_a_known_external_id_in_scope_is_still_answered_as_known(api_as, other_rep, theirs):
    body = {"lead": theirs.lead_id, "kind": "note", "external_id": "crm-note-1"}
    again = api_as(other_rep).post(ACTIVITIES, body)
    assert again.status_code == 200
    assert again.json()["details"] == {"note": SECRET}


# --- 15.2: sales touches as on the pages ---------------------------------------------


def test_a_marketer_cannot_log_a_sales_touch_on_a_reps_lead(api_as, marketer, rep, queued):
    services.claim_handoff(queued, rep=rep)
    client = api_as(marketer)
    single = client.post(ACTIVITIES, {"lead": queued.lead_id, "kind": "call"})
    assert single.status_code == 403
    assert single.json() == {"detail": "Only sales log calls, sales emails, meetings and notes."}
    batch = client.post(BATCH, {"activities": [{"lead": queued.lead_id, "kind": "meeting"}]})
    assert batch.json()["results"][0]["errors"] == {
        "kind": ["Only sales log calls, sales emails, meetings and notes."]
    }
    queued.refresh_from_db()
    assert queued.first_touch_at is None  # the rep's clocks still run
    assert not Activity.objects.filter(kind__in=Activity.SALES_KINDS).exists()
    # Marketing activities are the marketer's to send, on any lead.
    assert client.post(ACTIVITIES, {"lead": queued.lead_id, "kind": "download"}).status_code == 201


def test_a_touch_cannot_be_dated_before_the_claim(api_as, rep, queued):
    services.claim_handoff(queued, rep=rep)
    queued.refresh_from_db()
    before = (queued.claimed_at - timedelta(hours=1)).isoformat()
    client = api_as(rep)
    item = {"lead": queued.lead_id, "kind": "call", "occurred_at": before}
    single = client.post(ACTIVITIES, item)
    assert single.status_code == 422
    assert "before the lead was claimed" in single.json()["occurred_at"][0]
    result = client.post(BATCH, {"activities": [item]}).json()["results"][0]
    assert result["status"] == "rejected" and set(result["errors"]) == {"occurred_at"}
    queued.refresh_from_db()
    assert queued.first_touch_at is None
    after = (queued.claimed_at + timedelta(minutes=3)).isoformat()
    ok = client.post(ACTIVITIES, {"lead": queued.lead_id, "kind": "call", "occurred_at": after})
    assert ok.status_code == 201, ok.content
    queued.refresh_from_db()
    assert queued.first_touch_at == queued.claimed_at + timedelta(minutes=3)


def test_a_touch_cannot_be_dated_in_the_future_beyond_a_small_skew(api_as, rep, queued):
    services.claim_handoff(queued, rep=rep)
    client = api_as(rep)
    soon = (timezone.now() + timedelta(minutes=1)).isoformat()
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    assert (
        client.post(
            ACTIVITIES, {"lead": queued.lead_id, "kind": "call", "occurred_at": later}
        ).status_code
        == 422
    )
    result = client.post(
        BATCH, {"activities": [{"lead": queued.lead_id, "kind": "meeting", "occurred_at": later}]}
    ).json()["results"][0]
    assert set(result["errors"]) == {"occurred_at"}
    assert (
        client.post(
            ACTIVITIES, {"lead": queued.lead_id, "kind": "call", "occurred_at": soon}
        ).status_code
        == 201
    )


def test_the_dating_rule_lives_in_the_service_the_pages_use(rep, queued):
    services.claim_handoff(queued, rep=rep)
    queued.refresh_from_db()
    with pytest.raises(work.TouchRefused):
        work.record_touch(
            queued.lead, kind="call", by=rep, occurred_at=queued.claimed_at - timedelta(days=1)
        )
    # The page's touch is dated now: always within the rule.
    activity = work.log_touch(queued.lead, kind="call", note="", by=rep)
    assert activity.occurred_at >= queued.claimed_at


def test_a_retried_touch_is_known_even_after_a_new_claim(api_as, rep, queued):
    services.claim_handoff(queued, rep=rep)
    queued.refresh_from_db()
    body = {"lead": queued.lead_id, "kind": "call", "external_id": "call-7",
            "occurred_at": (queued.claimed_at + timedelta(minutes=1)).isoformat()}  # fmt: skip
    client = api_as(rep)
    assert client.post(ACTIVITIES, body).status_code == 201
    Handoff.objects.filter(pk=queued.pk).update(claimed_at=timezone.now())
    assert client.post(ACTIVITIES, body).status_code == 200


# --- 15.8: which leads a rep edits, what a claim tells ------------------------------


def test_a_rep_cannot_edit_a_queued_lead_but_can_edit_their_own(api_as, rep, marketer, queued):
    client = api_as(rep)
    url = f"/api/v1/leads/{queued.lead_id}/"
    assert client.get(url).status_code == 200  # the queue shows it
    refused = client.patch(url, {"title": "部長"})
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You can change only the leads you own."}
    assert Lead.objects.get(pk=queued.lead_id).title != "部長"
    services.claim_handoff(queued, rep=rep)
    assert client.patch(url, {"title": "部長"}).status_code == 200
    assert api_as(marketer).patch(url, {"department": "営業部"}).status_code == 200


def test_a_claim_on_someone_elses_handoff_is_a_404_naming_nobody(api_as, rep, theirs):
    response = api_as(rep).post(f"/api/v1/handoffs/{theirs.pk}/claim/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_lost_race_is_a_409_naming_nobody(api_as, rep, other_rep, queued, monkeypatch):
    from api import handoffs

    real_claim = services.claim_handoff

    def other_rep_first(handoff, *, rep):
        real_claim(handoff, rep=other_rep)  # won between the fetch and this claim
        return real_claim(handoff, rep=rep)

    monkeypatch.setattr(handoffs.services, "claim_handoff", other_rep_first)
    response = api_as(rep).post(f"/api/v1/handoffs/{queued.pk}/claim/")
    assert response.status_code == 409
    assert response.json() == {"detail": "Someone else claimed this lead first."}
    assert "Tanaka" not in response.content.decode() and "Ken" not in response.content.decode()


def test_a_manager_reads_a_claimed_handoff_but_cannot_claim(api_as, manager, theirs):
    client = api_as(manager)
    assert client.get(f"/api/v1/handoffs/{theirs.pk}/").status_code == 200
    assert client.post(f"/api/v1/handoffs/{theirs.pk}/claim/").status_code == 403


def test_touches_recorded_through_crm_keep_working(rep, queued):
    # crm's record_activity is unchanged for everything that is not a sales touch.
    activity, created = crm.record_activity(queued.lead, kind="download", actor=rep)
    assert created and activity.kind == "download"
