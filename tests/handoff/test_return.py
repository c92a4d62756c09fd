"""A handoff goes back: released by its rep, reassigned by a manager, withdrawn; who is told,
and what happens to its deadlines.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import Lead
from handoff import services
from handoff.models import Handoff, Notification
from tests import factories
from tests.handoff.helpers import (
    CLAIM_TIMEOUT,
    FIRST_TOUCH,
    deadline,
    notified,
    open_kinds,
)

pytestmark = pytest.mark.django_db


def test_release_puts_the_handoff_back_in_the_queue(rep, other_rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    assert services.release_handoff(handoff, rep=rep)
    assert services.claim_handoff(handoff, rep=other_rep)


def test_a_manager_reassigns_and_the_new_rep_is_told(client, manager, rep, other_rep, claimed):
    client.force_login(manager)
    response = client.post(reverse("handoff:reassign", args=[claimed.pk]), {"rep": other_rep.pk})
    assert response.status_code == 302
    claimed.refresh_from_db()
    assert claimed.claimed_by == other_rep
    assert claimed.claimed_via == Handoff.ClaimedVia.REASSIGN
    assert Lead.objects.get(pk=claimed.lead_id).owner == other_rep
    assert Notification.objects.filter(
        recipient=other_rep, handoff=claimed, kind=Notification.Kind.ASSIGNED
    ).exists()


def test_a_queued_handoff_can_be_reassigned_and_keeps_its_routing_delay(
    manager, other_rep, campaign
):
    queued = factories.qualified_handoff(campaign)
    assert services.reassign_handoff(queued, to=other_rep, by=manager)
    queued.refresh_from_db()
    assert queued.status == Handoff.Status.CLAIMED and queued.routing_delay is not None


def test_reassigning_keeps_the_managers_breach_notice_unread(manager, rep, other_rep, claimed):
    Notification.objects.create(
        recipient=manager, handoff=claimed, kind=Notification.Kind.SLA_BREACH
    )
    services.reassign_handoff(claimed, to=other_rep, by=manager)
    breach = Notification.objects.get(recipient=manager, kind=Notification.Kind.SLA_BREACH)
    assert breach.read_at is None


def test_release_ends_the_claim_timeout_and_the_first_touch_sla_runs_on(policy, rep, other_rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=rep)
    assert open_kinds(handoff) == {FIRST_TOUCH, CLAIM_TIMEOUT}
    assert services.release_handoff(handoff, rep=rep)
    assert open_kinds(handoff) == {FIRST_TOUCH}
    assert not deadline(handoff, CLAIM_TIMEOUT).breached
    # The other reps hear it is back; the rep who let it go does not.
    returned = Notification.objects.filter(handoff=handoff, kind=Notification.Kind.RETURNED)
    assert list(returned.values_list("recipient__username", flat=True)) == ["other_rep"]


def test_withdrawal_settles_every_deadline(policy, rep):
    handoff = factories.qualified_handoff()
    assert services.withdraw_handoff(handoff.pk)
    assert open_kinds(handoff) == set()


def test_in_round_robin_a_released_lead_goes_to_the_next_rep(round_robin, three_reps):
    handoff = factories.qualified_handoff()
    assert services.release_handoff(handoff, rep=three_reps[0])
    assert handoff.status == Handoff.Status.CLAIMED
    assert handoff.claimed_by == three_reps[1]


def test_a_lead_returned_twice_is_announced_twice(rep, other_rep):
    handoff = factories.qualified_handoff()
    for _ in range(2):
        assert services.claim_handoff(handoff, rep=rep)
        assert services.release_handoff(handoff, rep=rep)
    # The other rep heard of it when it came in and each time it came back.
    assert notified(Notification.Kind.RETURNED) == ["other_rep", "other_rep"]
    assert handoff.routing_round == 3


def test_a_lead_reassigned_back_tells_its_rep_again(rep, other_rep, manager):

    handoff = factories.qualified_handoff()
    assert services.reassign_handoff(handoff, to=rep, by=manager)
    assert services.reassign_handoff(handoff, to=other_rep, by=manager)
    assert services.reassign_handoff(handoff, to=rep, by=manager)
    assert notified(Notification.Kind.ASSIGNED) == ["other_rep", "rep", "rep"]


def test_the_reassign_select_offers_the_reps_by_name_and_nobody_else(
    client, manager, marketer, rep, other_rep, claimed
):
    rep.first_name, rep.last_name = "花子", "佐藤"
    rep.save()
    client.force_login(manager)
    page = client.get(reverse("handoff:detail", args=[claimed.pk]), HTTP_ACCEPT_LANGUAGE="ja")
    html = page.content.decode()
    select = html[html.index('name="rep"') : html.index("</select>", html.index('name="rep"'))]
    assert f'<option value="{rep.pk}">佐藤 花子</option>' in select
    assert f'<option value="{other_rep.pk}">' in select
    assert f'value="{marketer.pk}"' not in select and f'value="{manager.pk}"' not in select
    refused = client.post(reverse("handoff:reassign", args=[claimed.pk]), {"rep": marketer.pk})
    claimed.refresh_from_db()
    assert refused.status_code in (200, 302) and claimed.claimed_by == rep
