"""Who gets a handoff: the open queue that reps claim from, or round-robin
among the reps who are available.

A rep with no availability row counts as available. Round-robin takes reps
in a stable order (user id), starting after the rep who got the last handoff
(the policy row stores that position and is locked while it moves, so two
handoffs at once never get the same rep), skips absent reps and wraps around.
With nobody available it falls back to the open queue.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from audit import trail
from crm.models import Lead
from handoff import notify, sla, webhook_events
from handoff.models import Handoff, HandoffPolicy, Notification, RepAvailability

# What a rep is offered while a handoff waits in the queue; a claim makes them moot.
QUEUE_OFFERS = (Notification.Kind.NEW_HANDOFF, Notification.Kind.RETURNED)


def set_available(rep: User, available: bool) -> None:
    """Mark the rep as taking new leads or away (round-robin skips them, the
    open queue does not notify them)."""
    RepAvailability.objects.update_or_create(rep=rep, defaults={"available": available})


def is_available(rep: User) -> bool:
    """Whether the rep takes new leads (a rep who never said otherwise does)."""
    return not RepAvailability.objects.filter(rep=rep, available=False).exists()


def available_reps() -> list[User]:
    """Sales reps taking new leads, in user id order."""
    away = RepAvailability.objects.filter(available=False).values("rep_id")
    return list(notify.sales_rep_queryset().exclude(pk__in=away).order_by("pk"))


def next_in_turn(reps: Sequence[User], *, after_id: int | None) -> User | None:
    """The first of `reps` (in id order) whose id comes after `after_id`,
    wrapping around to the first; None when there is nobody."""
    ordered = sorted(reps, key=lambda r: r.pk)
    if not ordered:
        return None
    if after_id is None:
        return ordered[0]
    return next((rep for rep in ordered if rep.pk > after_id), ordered[0])


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
        next_round(handoff)
    reps = [rep for rep in available_reps() if rep != returned_by]
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


def next_round(handoff: Handoff) -> None:
    """Start the handoff's next routing round (in the database and on
    `handoff`): its notifications are new, not repeats of the last round's."""
    # The ORM's update() cannot return the new value: one statement, not two.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE handoff_handoff SET routing_round = routing_round + 1 "
            "WHERE id = %s RETURNING routing_round",
            [handoff.pk],
        )
        (handoff.routing_round,) = cursor.fetchone()


def start_claim(handoff: Handoff, *, rep: User, via: str) -> bool:
    """Make `rep` the claimant of a queued handoff, with all a claim brings;
    False when it is no longer queued.

    1. A conditional update from QUEUED decides who wins.
    2. The routing delay (MQL → claim) is kept from the first claim only.
    3. The lead gets its owner.
    4. The queue's offers leave every badge: nobody else can act on them.
    5. The claim timeout starts.
    """
    now = timezone.now()
    won = (
        Handoff.objects.queued()
        .filter(pk=handoff.pk)
        .update(status=Handoff.Status.CLAIMED, claimed_by=rep, claimed_at=now, claimed_via=via)
    )
    if not won:
        return False
    Handoff.objects.filter(pk=handoff.pk, routing_delay__isnull=True).update(
        routing_delay=now - handoff.created_at
    )
    Lead.objects.filter(pk=handoff.lead_id).update(owner=rep, updated_at=now)
    trail.record(
        trail.Action.HANDOFF_CHANGED,
        handoff,
        changes={
            "status": ["queued", "claimed"],
            "owner": [None, rep.pk],
            "via": via,
            "lead": handoff.lead_id,
        },
    )
    Notification.objects.filter(
        handoff=handoff, kind__in=QUEUE_OFFERS, read_at__isnull=True
    ).update(read_at=now)
    handoff.refresh_from_db()
    sla.open_claim_timeout(handoff)
    webhook_events.handoff_claimed(handoff)
    return True


def _assign_in_turn(handoff: Handoff, *, reps: list[User], policy_id: int) -> User | None:
    """Give the handoff to the next rep in turn and move the turn; None when
    nobody is available."""
    with transaction.atomic():
        # The lock orders concurrent handoffs: each reads the position the
        # previous one stored.
        policy = HandoffPolicy.objects.select_for_update().get(pk=policy_id)
        rep = next_in_turn(reps, after_id=policy.last_assigned_rep_id)
        if rep is None or not start_claim(handoff, rep=rep, via=Handoff.ClaimedVia.ROUND_ROBIN):
            return None
        HandoffPolicy.objects.filter(pk=policy.pk).update(last_assigned_rep=rep)
        notify.send(handoff, Notification.Kind.ASSIGNED, [rep])
        return rep
