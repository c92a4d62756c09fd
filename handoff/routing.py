"""Who gets a handoff: the open queue that reps claim from, or round-robin
among the reps who are available. This module only chooses; the claim, the
offers and the notifications are handoff.services.route's.

A rep with no availability row counts as available. Round-robin takes reps
in a stable order (user id), starting after the rep who got the last handoff
(the policy row stores that position and is locked while it moves, so two
handoffs at once never get the same rep), skips absent reps and wraps around.
With nobody available it falls back to the open queue.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import connection

from handoff import notify
from handoff.models import Handoff, HandoffPolicy, RepAvailability
from web.transactions import require_transaction


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


def take_turn(reps: Sequence[User], *, policy_id: int) -> User | None:
    """The rep whose turn it is (next_in_turn after the last one assigned);
    None when nobody is available. Call inside a transaction: the policy row
    stays locked until it ends, so concurrent handoffs each read the position
    the previous one stored (move_turn)."""
    require_transaction()
    policy = HandoffPolicy.objects.select_for_update().get(pk=policy_id)
    return next_in_turn(reps, after_id=policy.last_assigned_rep_id)


def move_turn(policy_id: int, *, rep: User) -> None:
    """`rep` got the handoff: the next one goes to whoever comes after them."""
    HandoffPolicy.objects.filter(pk=policy_id).update(last_assigned_rep=rep)
