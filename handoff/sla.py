"""SLA deadlines: opened as rows, settled by the work or by the sweep.

Two deadlines run per handoff:

- FIRST_TOUCH, opened when the handoff is created: the first logged sales
  touch is due within the policy's business minutes of the MQL moment.
- CLAIM_TIMEOUT, opened (again) on every claim: a claim nobody has touched
  within the policy's business minutes returns to routing.

Deadlines are compared with the database's clock (`Now()`), never with the
clock of the worker or web process that runs the code: a worker whose clock
runs ahead must not report a breach that has not happened. So a deadline
that is already due on the database clock is the sweep's to judge; the work
settles only deadlines still running, as met.

Lock order: the sweep never waits for a lead or handoff row (it takes them
with SKIP LOCKED and leaves a busy one to the next sweep), so callers that
hold those rows and then settle deadlines cannot deadlock with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Now

from crm.models import Lead
from handoff import notify
from handoff.models import Handoff, HandoffPolicy, Notification, SlaDeadline

ALL_KINDS = (SlaDeadline.Kind.FIRST_TOUCH, SlaDeadline.Kind.CLAIM_TIMEOUT)


def open_first_touch_deadline(
    handoff: Handoff, *, policy: HandoffPolicy | None = None
) -> SlaDeadline:
    """Start the first-touch SLA of a new handoff: due the policy's business
    minutes after the handoff was created (the MQL moment)."""
    policy = policy or HandoffPolicy.current()
    due = policy.business_hours().add_business_minutes(
        handoff.created_at, policy.first_touch_sla_minutes
    )
    return SlaDeadline.objects.create(
        handoff=handoff, kind=SlaDeadline.Kind.FIRST_TOUCH, due_at=due
    )


def open_claim_timeout(handoff: Handoff, *, policy: HandoffPolicy | None = None) -> SlaDeadline:
    """Start the claim timeout of the handoff's current claim (`claimed_at`),
    replacing the previous claim's if one is still open.

    Call after every claim, assignment or reassignment, with `handoff`
    reloaded so that `claimed_at` is the new claim's.
    """
    if handoff.claimed_at is None:
        raise ValueError("the handoff has no claim to time out")
    policy = policy or HandoffPolicy.current()
    # The claim it timed is over: replaced, not breached.
    _open(handoff, [SlaDeadline.Kind.CLAIM_TIMEOUT]).update(settled_at=Now())
    due = policy.business_hours().add_business_minutes(
        handoff.claimed_at, policy.claim_timeout_minutes
    )
    return SlaDeadline.objects.create(
        handoff=handoff, kind=SlaDeadline.Kind.CLAIM_TIMEOUT, due_at=due
    )


def settle_deadlines(handoff: Handoff, *, kinds: Iterable[str] = ALL_KINDS) -> None:
    """Settle the handoff's open deadlines of `kinds` without a breach: its
    claim ended (release, accept, reject) or it left sales (withdrawn).

    A claim timeout is settled whatever its due time: the claim it timed is
    over. A first-touch deadline already due on the database clock stays open
    for the sweep, which records the breach and tells the managers.
    """
    kinds = list(kinds)
    if SlaDeadline.Kind.CLAIM_TIMEOUT in kinds:
        _open(handoff, [SlaDeadline.Kind.CLAIM_TIMEOUT]).update(settled_at=Now())
    if SlaDeadline.Kind.FIRST_TOUCH in kinds:
        _open(handoff, [SlaDeadline.Kind.FIRST_TOUCH]).filter(due_at__gt=Now()).update(
            settled_at=Now()
        )


@transaction.atomic(savepoint=False)
def record_first_touch(lead: Lead, at: datetime) -> Handoff | None:
    """The rep logged a call, email, meeting or note at `at`: if the lead's
    live handoff (claimed, accepted or qualified) has no first touch yet, record
    it, with the rep delay (claim → touch, never negative), and settle its
    deadlines as met.

    Runs inside the caller's transaction. Returns the handoff touched, or None
    when there is none or it was touched already.
    """
    handoff = (
        Handoff.objects.select_for_update()
        .worked()
        .filter(lead=lead, first_touch_at__isnull=True)
        .first()
    )
    if handoff is None:
        return None
    handoff.first_touch_at = at
    if handoff.claimed_at is not None:
        handoff.rep_delay = max(at - handoff.claimed_at, timedelta(0))
    handoff.save(update_fields=["first_touch_at", "rep_delay"])
    settle_deadlines(handoff)
    return handoff


@dataclass
class SweepResult:
    breached: int = 0  # first-touch deadlines missed, managers told
    returned: int = 0  # untouched claims returned to routing
    settled: int = 0  # claim timeouts with nothing left to do
    busy: int = 0  # left for the next sweep: someone was working on the lead


# What the sweep does with a due claim timeout (handoff.services.time_out_claim):
# "returned" to routing, "settled" (nothing left to do), or "busy" (leave it).
TimeOut = Callable[[SlaDeadline, Now | datetime], Literal["returned", "settled", "busy"]]


def sweep(*, time_out_claim: TimeOut, now: datetime | None = None, batch: int = 200) -> SweepResult:
    """Act on every open deadline that is due, batch by batch
    (handoff.services.sweep_deadlines says what a due claim timeout does).

    `now` is for tests only: None (production) compares with the database's
    clock, so a worker whose clock is wrong neither invents nor hides a breach.

    1. Take due deadlines with SKIP LOCKED, so two sweeps share the work.
    2. A due first touch: settle it as breached and notify each manager (the
       settlement and the notification's unique constraint make it once).
    3. A due claim timeout of a handoff still claimed and untouched: return it
       to routing (the queue, or the next rep in round-robin); otherwise just
       settle it.
    """
    clock = Now() if now is None else now
    result = SweepResult()
    busy: set[int] = set()
    while True:
        with transaction.atomic():
            due = list(
                SlaDeadline.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(settled_at__isnull=True, due_at__lte=clock)
                .exclude(pk__in=busy)
                .select_related("handoff")
                .order_by("due_at", "pk")[:batch]
            )
            managers: list[User] | None = None
            for deadline in due:
                if deadline.kind == SlaDeadline.Kind.FIRST_TOUCH:
                    managers = notify.managers() if managers is None else managers
                    settle(deadline, clock, breached=True)
                    notify.send(deadline.handoff, Notification.Kind.SLA_BREACH, managers)
                    result.breached += 1
                    continue
                outcome = time_out_claim(deadline, clock)
                if outcome == "returned":
                    result.returned += 1
                elif outcome == "settled":
                    result.settled += 1
                else:
                    result.busy += 1
                    busy.add(deadline.pk)
        if len(due) < batch:
            return result


def settle(deadline: SlaDeadline, clock: Now | datetime, *, breached: bool) -> None:
    SlaDeadline.objects.filter(pk=deadline.pk).update(settled_at=clock, breached=breached)


def _open(handoff: Handoff, kinds: list[str]) -> QuerySet[SlaDeadline]:
    return SlaDeadline.objects.filter(handoff=handoff, kind__in=kinds, settled_at__isnull=True)
