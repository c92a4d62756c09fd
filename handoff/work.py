"""A rep's work on a handed-off lead after the claim: touches, answers,
qualification, the deal; and a manager's reassignment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from audit import trail
from crm import services as crm
from crm.models import Activity, Answer, Deal, Lead
from handoff import notify, routing, sla
from handoff.models import Handoff, Notification
from webhooks import events as webhook_events

# Handoffs a rep is working: the SLA clock runs until their first touch.
LIVE = (Handoff.Status.CLAIMED, Handoff.Status.ACCEPTED, Handoff.Status.QUALIFIED)


@transaction.atomic
def log_touch(lead: Lead, *, kind: str, note: str, by: User) -> Activity:
    """A call, sales email, meeting or note on the lead's timeline. The first
    one after a claim stops the SLA clock."""
    if kind not in Activity.SALES_KINDS:
        raise ValueError(f"not a sales touch: {kind}")
    activity, _created = crm.record_activity(
        lead,
        kind=kind,
        actor=by,
        details={"note": note} if note else {},
        channel=Activity.Channel.APP,
    )
    sla.record_first_touch(lead, activity.occurred_at)
    return activity


def record_answer(lead: Lead, *, question: str, answer: str, source: str, by: User) -> Answer:
    """One line of the question ledger, so nobody asks the customer again."""
    return Answer.objects.create(
        lead=lead, question=question, answer=answer, source=source, recorded_by=by
    )


@transaction.atomic
def qualify_handoff(handoff: Handoff, *, rep: User) -> bool:
    """The rep confirms a real opportunity (SQL); only after accepting it."""
    won = Handoff.objects.filter(
        pk=handoff.pk, status=Handoff.Status.ACCEPTED, claimed_by=rep
    ).update(status=Handoff.Status.QUALIFIED, decided_at=timezone.now())
    if won:
        lead = Lead.objects.select_for_update().get(pk=handoff.lead_id)
        crm.change_stage(lead, Lead.Stage.SQL, by=rep, reason="qualified by sales")
        trail.record(
            trail.Action.HANDOFF_CHANGED,
            handoff,
            actor=rep,
            changes={"status": ["accepted", "qualified"], "lead": lead.pk},
        )
        handoff.refresh_from_db()
    return bool(won)


@dataclass(frozen=True)
class DealTerms:
    name: str
    amount: Decimal
    close_date: date | None


@transaction.atomic
def open_deal(handoff: Handoff, *, rep: User, terms: DealTerms) -> Deal | None:
    """A deal for the qualified lead, owned by the rep; the lead becomes an
    opportunity. None when the handoff is not the rep's qualified one."""
    locked = (
        Handoff.objects.select_for_update()
        .filter(pk=handoff.pk, status=Handoff.Status.QUALIFIED, claimed_by=rep)
        .first()
    )
    if locked is None:
        return None
    lead = Lead.objects.select_for_update().get(pk=locked.lead_id)
    deal = Deal.objects.create(
        lead=lead,
        company=lead.company,
        name=terms.name,
        amount=terms.amount,
        close_date=terms.close_date,
        owner=rep,
    )
    crm.change_stage(lead, Lead.Stage.OPPORTUNITY, by=rep, reason="deal opened")
    return deal


@transaction.atomic
def reassign_handoff(handoff: Handoff, *, to: User, by: User) -> bool:
    """A manager hands a live handoff to another rep (from the queue or from a
    colleague). The new rep is notified and the claim timeout starts again."""
    locked = (
        Handoff.objects.select_for_update()
        .filter(pk=handoff.pk, status__in=[Handoff.Status.QUEUED, *LIVE])
        .first()
    )
    if locked is None or locked.claimed_by_id == to.pk:
        return False
    now = timezone.now()
    first_claim = locked.claimed_at is None and locked.routing_delay is None
    Handoff.objects.filter(pk=locked.pk).update(
        status=Handoff.Status.CLAIMED if locked.status == Handoff.Status.QUEUED else locked.status,
        claimed_by=to,
        claimed_at=now,
        claimed_via=Handoff.ClaimedVia.REASSIGN,
        **({"routing_delay": now - locked.created_at} if first_claim else {}),
    )
    Lead.objects.filter(pk=locked.lead_id).update(owner=to, updated_at=now)
    trail.record(
        trail.Action.HANDOFF_CHANGED,
        locked,
        actor=by,
        summary="reassigned",
        changes={
            "status": [
                locked.status,
                Handoff.Status.CLAIMED if locked.status == Handoff.Status.QUEUED else locked.status,
            ],
            "owner": [locked.claimed_by_id, to.pk],
            "lead": locked.lead_id,
        },
    )
    # The queue's news is stale now; managers' breach notices stay unread.
    Notification.objects.filter(
        handoff=locked,
        read_at__isnull=True,
        kind__in=routing.QUEUE_OFFERS,
    ).exclude(recipient=to).update(read_at=now)
    handoff.refresh_from_db()
    if handoff.first_touch_at is None:
        sla.open_claim_timeout(handoff)
    routing.next_round(handoff)
    notify.send(handoff, Notification.Kind.ASSIGNED, [to])
    webhook_events.handoff_claimed(handoff)
    return True
