"""A handoff's lifecycle after it was created (handoff/mql.py creates it):
routed, claimed, decided, returned to routing, timed out, reassigned,
withdrawn.

Every status change goes through `transition` (a conditional update that
says who won, the handoff reloaded, one audit row). Routing (handoff/routing.py)
only chooses a rep; the SLA (handoff/sla.py) only opens, settles and sweeps
deadlines.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.functions import Now
from django.utils import timezone

from audit import trail
from crm import services as crm
from crm.models import Lead, StageChange
from handoff import notify, routing, sla, webhook_events
from handoff.models import Handoff, HandoffPolicy, Notification, SlaDeadline
from web.transactions import require_transaction

# What a rep is offered while a handoff waits in the queue; a claim makes them moot.
QUEUE_OFFERS = (Notification.Kind.NEW_HANDOFF, Notification.Kind.RETURNED)


def transition(
    handoff: Handoff,
    *,
    source: str | tuple[str, ...],
    to: str,
    actor: User | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    where: dict[str, Any] | None = None,
    **fields: Any,
) -> bool:
    """Move `handoff` from `source` to `to`: the one way a handoff's status
    changes. False, with nothing written, when it was no longer in `source`
    (or no longer matched `where`): someone else got there first.

    1. A conditional update from `source` decides who wins; `fields` are
       written with the status.
    2. `handoff` is reloaded.
    3. One audit row: the status as [before, after], then `changes`, then the lead.
    """
    sources = (source,) if isinstance(source, str) else source
    # Several sources: the caller read the row (locked) and knows which it was.
    before = source if isinstance(source, str) else handoff.status
    won = Handoff.objects.filter(pk=handoff.pk, status__in=sources, **(where or {})).update(
        status=to, **fields
    )
    if not won:
        return False
    handoff.refresh_from_db()
    trail.record(
        trail.Action.HANDOFF_CHANGED,
        handoff,
        actor=actor,
        summary=summary,
        changes={"status": [before, to], **(changes or {}), "lead": handoff.lead_id},
    )
    return True


# --- Routing: the queue, or the next rep in turn ------------------------------


def route(
    handoff: Handoff,
    *,
    policy: HandoffPolicy | None = None,
    returned_by: User | None = None,
    new: bool = False,
) -> User | None:
    """Send a queued handoff its way, as the policy says; returns the rep it
    was assigned to (round-robin) or None (open queue).

    `new`: the handoff was just created in its first routing round (so the
    round need not be moved on). `returned_by` is the rep it comes back from
    (a release, or a claim that timed out): round-robin passes them over
    (with nobody else available it goes to the open queue), and the open
    queue does not tell them of it.

    Open queue: available reps are told (NEW_HANDOFF, or RETURNED), and
    managers too for a new handoff when the policy says so or when no rep is
    available to hear it.
    """
    policy = policy or HandoffPolicy.current()
    if not new:
        routing.next_round(handoff)
    reps = [rep for rep in routing.available_reps() if rep != returned_by]
    if policy.routing == HandoffPolicy.Routing.ROUND_ROBIN:
        assigned = _assign_in_turn(handoff, reps=reps, policy_id=policy.pk)
        if assigned is not None:
            if returned_by is None and policy.notify_managers:
                notify.send(
                    handoff, Notification.Kind.NEW_HANDOFF, notify.managers(), policy=policy
                )
            return assigned
    kind = Notification.Kind.RETURNED if returned_by else Notification.Kind.NEW_HANDOFF
    recipients = list(reps)
    if not reps or (returned_by is None and policy.notify_managers):
        recipients += notify.managers()
    notify.send(handoff, kind, recipients, policy=policy)
    return None


def _assign_in_turn(handoff: Handoff, *, reps: list[User], policy_id: int) -> User | None:
    """Give the handoff to the next rep in turn and move the turn; None when
    nobody is available."""
    with transaction.atomic():
        rep = routing.take_turn(reps, policy_id=policy_id)
        if rep is None or not start_claim(handoff, rep=rep, via=Handoff.ClaimedVia.ROUND_ROBIN):
            return None
        routing.move_turn(policy_id, rep=rep)
        notify.send(handoff, Notification.Kind.ASSIGNED, [rep])
        return rep


# --- A claim: from the queue, by round-robin, or a manager's reassignment -----


@transaction.atomic(durable=True)
def claim_handoff(handoff: Handoff, *, rep: User) -> bool:
    """Make `rep` the owner; False when another rep got there first. The
    claim timeout starts, and the offers leave every rep's badge.

    SKIP LOCKED lets every rep but the first return at once instead of waiting
    behind the winner's row lock for the rest of its transaction; the
    conditional update then decides.
    """
    queued = Handoff.objects.queued().filter(pk=handoff.pk)
    if not queued.select_for_update(skip_locked=True).exists():
        return False
    return start_claim(handoff, rep=rep, via=Handoff.ClaimedVia.CLAIM)


def start_claim(handoff: Handoff, *, rep: User, via: str) -> bool:
    """Make `rep` the claimant of a queued handoff, with all a claim brings;
    False when it is no longer queued. Joins the caller's transaction.

    1. A conditional update from QUEUED decides who wins.
    2. The routing delay (MQL → claim) is kept from the first claim only.
    3. The lead gets its owner.
    4. The queue's offers leave every badge: nobody else can act on them.
    5. The claim timeout starts.
    """
    require_transaction()
    now = timezone.now()
    won = transition(
        handoff,
        source=Handoff.Status.QUEUED,
        to=Handoff.Status.CLAIMED,
        changes={"owner": [None, rep.pk], "via": via},
        claimed_by=rep,
        claimed_at=now,
        claimed_via=via,
    )
    if not won:
        return False
    Handoff.objects.filter(pk=handoff.pk, routing_delay__isnull=True).update(
        routing_delay=now - handoff.created_at
    )
    Lead.objects.filter(pk=handoff.lead_id).update(owner=rep, updated_at=now)
    Notification.objects.filter(
        handoff=handoff, kind__in=QUEUE_OFFERS, read_at__isnull=True
    ).update(read_at=now)
    handoff.refresh_from_db()
    sla.open_claim_timeout(handoff)
    webhook_events.handoff_claimed(handoff)
    return True


@transaction.atomic
def reassign_handoff(handoff: Handoff, *, to: User, by: User) -> bool:
    """A manager hands a live handoff to another rep (from the queue or from a
    colleague). The new rep is notified and the claim timeout starts again."""
    locked = (
        Handoff.objects.select_for_update()
        .filter(pk=handoff.pk, status__in=[Handoff.Status.QUEUED, *Handoff.WORKED])
        .first()
    )
    if locked is None or locked.claimed_by_id == to.pk:
        return False
    now = timezone.now()
    first_claim = locked.claimed_at is None and locked.routing_delay is None
    status = Handoff.Status.CLAIMED if locked.status == Handoff.Status.QUEUED else locked.status
    delay: dict[str, Any] = {"routing_delay": now - locked.created_at} if first_claim else {}
    transition(
        locked,
        source=(locked.status,),
        to=status,
        actor=by,
        summary="reassigned",
        changes={"owner": [locked.claimed_by_id, to.pk]},
        claimed_by=to,
        claimed_at=now,
        claimed_via=Handoff.ClaimedVia.REASSIGN,
        **delay,
    )
    Lead.objects.filter(pk=locked.lead_id).update(owner=to, updated_at=now)
    # The queue's news is stale now; managers' breach notices stay unread.
    Notification.objects.filter(
        handoff=locked,
        read_at__isnull=True,
        kind__in=QUEUE_OFFERS,
    ).exclude(recipient=to).update(read_at=now)
    handoff.refresh_from_db()
    if handoff.first_touch_at is None:
        sla.open_claim_timeout(handoff)
    routing.next_round(handoff)
    notify.send(handoff, Notification.Kind.ASSIGNED, [to])
    webhook_events.handoff_claimed(handoff)
    return True


# --- The claiming rep decides -------------------------------------------------


@transaction.atomic(durable=True)
def accept_handoff(handoff: Handoff, *, rep: User) -> bool:
    """The claiming rep accepts the lead (SAL). The claim no longer times out;
    the first-touch SLA runs on until the rep logs a touch."""
    won = transition(
        handoff,
        source=Handoff.Status.CLAIMED,
        to=Handoff.Status.ACCEPTED,
        where={"claimed_by": rep},
        actor=rep,
        decided_at=timezone.now(),
    )
    if won:
        lead = Lead.objects.select_for_update().get(pk=handoff.lead_id)
        crm.change_stage(lead, Lead.Stage.SAL, by=rep, reason=StageChange.Reason.ACCEPTED)
        sla.settle_deadlines(handoff, kinds=[SlaDeadline.Kind.CLAIM_TIMEOUT])
        webhook_events.handoff_accepted(handoff)
    return won


@transaction.atomic
def qualify_handoff(handoff: Handoff, *, rep: User) -> bool:
    """The rep confirms a real opportunity (SQL); only after accepting it."""
    won = transition(
        handoff,
        source=Handoff.Status.ACCEPTED,
        to=Handoff.Status.QUALIFIED,
        where={"claimed_by": rep},
        actor=rep,
        decided_at=timezone.now(),
    )
    if won:
        lead = Lead.objects.select_for_update().get(pk=handoff.lead_id)
        crm.change_stage(lead, Lead.Stage.SQL, by=rep, reason=StageChange.Reason.QUALIFIED)
    return won


@transaction.atomic(durable=True)
def reject_handoff(handoff: Handoff, *, rep: User, reason: str, note: str = "") -> bool:
    """The claiming rep sends the lead back to marketing as recycled, with a
    reason; it cannot hand off again during the policy's recycle cooldown.
    Its deadlines are settled (a first touch already overdue is the sweep's)."""
    won = transition(
        handoff,
        source=Handoff.Status.CLAIMED,
        to=Handoff.Status.REJECTED,
        where={"claimed_by": rep},
        actor=rep,
        summary=reason,
        changes={"owner": [rep.pk, None]},
        decided_at=timezone.now(),
        reject_reason=reason,
        reject_note=note,
    )
    if won:
        lead = Lead.objects.select_for_update().get(pk=handoff.lead_id)
        crm.change_stage(
            lead, Lead.Stage.RECYCLED, by=rep, reason=f"{StageChange.Reason.REJECTED}: {reason}"
        )
        Lead.objects.filter(pk=lead.pk).update(owner=None)
        sla.settle_deadlines(handoff)
        webhook_events.handoff_rejected(handoff)
    return won


# --- A claim ends without a decision: back to routing -------------------------


def _end_claim(
    handoff: Handoff,
    *,
    rep: User | None,
    actor: User | None = None,
    summary: str = "",
    **where: Any,
) -> bool:
    """The handoff goes back to the queue and its lead loses the rep as owner
    (a release, or a claim that timed out); False when it is no longer the
    rep's claim. The caller settles the claim timeout, then routes it again."""
    won = transition(
        handoff,
        source=Handoff.Status.CLAIMED,
        to=Handoff.Status.QUEUED,
        where={"claimed_by": rep, **where},
        actor=actor,
        summary=summary,
        changes={"owner": [rep.pk if rep else None, None]},
        claimed_by=None,
        claimed_at=None,
        claimed_via="",
    )
    if won:
        # Only while the lead is still the rep's: someone may have given it to another.
        Lead.objects.filter(pk=handoff.lead_id, owner=rep).update(
            owner=None, updated_at=timezone.now()
        )
    return won


@transaction.atomic(durable=True)
def release_handoff(handoff: Handoff, *, rep: User) -> bool:
    """The claiming rep puts the handoff back: its claim timeout ends, the
    first-touch SLA runs on, and it is routed again (the other available reps
    are told, or in round-robin the next rep gets it)."""
    if not _end_claim(handoff, rep=rep, actor=rep):
        return False
    sla.settle_deadlines(handoff, kinds=[SlaDeadline.Kind.CLAIM_TIMEOUT])
    route(handoff, returned_by=rep)
    handoff.refresh_from_db()
    return True


def sweep_deadlines(*, now: datetime | None = None, batch: int = 200) -> sla.SweepResult:
    """The SLA sweep (sla.sweep), with an untouched claim whose timeout is due
    returned to routing (`time_out_claim`). `now` is for tests only."""
    return sla.sweep(time_out_claim=time_out_claim, now=now, batch=batch)


def time_out_claim(
    deadline: SlaDeadline, clock: Now | datetime
) -> Literal["returned", "settled", "busy"]:
    """Return the deadline's claim to routing if it is still claimed and
    untouched. Called by the sweep, in its transaction."""
    require_transaction()
    handoff = deadline.handoff
    if handoff.status != Handoff.Status.CLAIMED or handoff.first_touch_at is not None:
        sla.settle(deadline, clock, breached=False)
        return "settled"
    # Lead, then handoff, as the other writers lock them; SKIP LOCKED so the
    # sweep never waits for a rep who is logging a touch right now.
    lead_free = (
        Lead.objects.select_for_update(skip_locked=True)
        .filter(pk=handoff.lead_id)
        .values_list("pk", flat=True)
        .first()
    )
    locked = (
        Handoff.objects.select_for_update(skip_locked=True)
        .filter(pk=handoff.pk, status=Handoff.Status.CLAIMED, first_touch_at__isnull=True)
        .first()
        if lead_free
        else None
    )
    if locked is None:
        return "busy"  # or changed since it was read: the next sweep sees which
    rep = locked.claimed_by
    _end_claim(locked, rep=rep, summary="claim timed out", first_touch_at__isnull=True)
    # Settled before routing, which may open the next claim's timeout.
    sla.settle(deadline, clock, breached=True)
    route(locked, returned_by=rep)
    return "returned"


# --- The lead's scores fell: a waiting handoff goes away ----------------------


@transaction.atomic
def withdraw_handoff(handoff_id: int) -> bool:
    """A waiting handoff whose lead fell below the threshold goes away; the lead
    returns to the lead stage, recorded, and its deadlines are settled (a first
    touch already overdue is the sweep's). False when someone claimed it first."""
    handoff = (
        Handoff.objects.select_for_update()
        .filter(pk=handoff_id, status=Handoff.Status.QUEUED)
        .first()
    )
    if handoff is None:
        return False
    transition(
        handoff,
        source=Handoff.Status.QUEUED,
        to=Handoff.Status.WITHDRAWN,
        decided_at=timezone.now(),
    )
    Notification.objects.filter(handoff_id=handoff_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    sla.settle_deadlines(handoff)
    lead = Lead.objects.select_for_update().get(pk=handoff.lead_id)
    crm.change_stage(lead, Lead.Stage.LEAD, reason=StageChange.Reason.SCORE_FELL)
    return True
