"""Handoff operations: from threshold crossing to a rep's decision."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit import trail
from crm import drain, outbox, rescore, scoring
from crm import services as crm
from crm.models import Lead
from handoff import context as context_package
from handoff import routing, sla, webhook_events
from handoff.models import Handoff, HandoffPolicy, Notification, SlaDeadline

logger = logging.getLogger(__name__)

# Stages from which crossing the threshold hands a lead to sales.
HANDOFF_FROM_STAGES = frozenset({Lead.Stage.SUBSCRIBER, Lead.Stage.LEAD, Lead.Stage.RECYCLED})


@transaction.atomic
def process_activity_event(event_id: int) -> Handoff | None:
    """Score the activity one outbox event announces and hand off on crossing.

    The event is claimed in this transaction (a duplicate delivery waits on the
    row lock, then sees it processed and stops). Returns the new handoff, if
    one was created. Events of this topic are normally drained in batches
    (drain_activity_events); this is the one-event form.
    """
    payload = outbox.claim(event_id)
    if payload is None:
        return None
    handoffs = score_and_hand_off([payload["activity_id"]])
    return handoffs[0] if handoffs else None


@transaction.atomic
def process_activity_batch_event(event_id: int) -> list[Handoff]:
    """The batch form of process_activity_event (one event per imported chunk,
    API batch or page-visit flush): score its activities, then hand off every
    lead that now qualifies."""
    payload = outbox.claim(event_id)
    if payload is None:
        return []
    return score_and_hand_off(payload["activity_ids"])


def drain_activity_events(
    *, batch: int = 100, budget_seconds: float = 5.0, linger: float | None = None
) -> int:
    """Score the activity events as they come, a batch per transaction, until
    none has come for `linger` seconds (BATON_OUTBOX_DRAIN_LINGER). Returns
    how many events were processed.

    Each batch is claimed with SKIP LOCKED, so two drains at once share the
    work. While it works and lingers this drain holds the flag that makes new
    events wake it instead of publishing another task (crm/drain.py); before
    it stops it lowers the flag and looks once more. Past its budget it hands
    over to a new task, so that one task never holds a worker for long.
    """
    topic = crm.ACTIVITY_RECORDED
    linger = settings.BATON_OUTBOX_DRAIN_LINGER if linger is None else linger
    deadline = time.monotonic() + budget_seconds
    done = 0
    while True:
        taken = _score_waiting_events_through_a_restart(batch, deadline=deadline)
        done += taken
        if time.monotonic() > deadline:
            drain.hand_over(topic)
            return done
        # Fewer than a batch: none were left waiting when it was claimed.
        if taken == batch or drain.wait(topic, seconds=linger):
            continue
        if drain.stop(topic):
            # What was committed before the flag came down; later events ask anew.
            while taken := score_waiting_events(batch):
                done += taken
        return done


def _score_waiting_events_through_a_restart(batch: int, *, deadline: float) -> int:
    """score_waiting_events, riding out a lost database connection (PostgreSQL
    restarting): a new connection is tried every moment until `deadline`
    (then 0: the caller hands over). A drain that died with its connection
    would keep its flag up, and new events would only wake a drain that is
    gone until the flag expired (10 s). Nothing was committed by the batch
    that failed: its events are still waiting."""
    pause = 0.05
    while True:
        try:
            return score_waiting_events(batch)
        except (OperationalError, InterfaceError) as exc:
            connection.close()  # the next query opens a new one
            if time.monotonic() + pause > deadline:
                return 0
            logger.warning("activity drain: database unavailable (%s); trying again", exc)
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def score_waiting_events(batch: int) -> int:
    """Claim up to `batch` waiting activity events and score them, in one
    transaction. Returns how many were claimed."""
    with transaction.atomic():
        payloads = outbox.claim_pending(crm.ACTIVITY_RECORDED, limit=batch)
        if payloads:
            score_and_hand_off([p["activity_id"] for p in payloads])
    return len(payloads)


def score_and_hand_off(activity_ids: list[int]) -> list[Handoff]:
    """Score the activities (each once, by crm's ledger), then hand off every
    lead that now qualifies, in lead id order. Call in a transaction: the
    leads stay locked until it ends."""
    scored = crm.score_activities(activity_ids)
    if not scored:
        return []
    policy = HandoffPolicy.current()
    return [
        handoff
        for _pk, s in sorted(scored.items())
        if (handoff := hand_off_if_qualified(s.lead, policy=policy, explanation=s.explanation))
    ]


def hand_off_if_qualified(
    lead: Lead,
    *,
    policy: HandoffPolicy | None = None,
    explanation: scoring.Explanation | None = None,
) -> Handoff | None:
    """Create the lead's handoff when its scores qualify, start its first-touch
    SLA and route it (open queue or round-robin).

    Not while the lead cools down after a rejection. Call with the lead row
    locked (select_for_update) in a transaction; the one-live-handoff
    constraint backs this up if a caller forgets. `explanation` is the lead's
    scores as the caller just computed them, kept with the handoff (read again
    when not given).
    """
    if lead.stage not in HANDOFF_FROM_STAGES or lead.is_erased:
        return None  # an erased person is nobody to call
    policy = policy or HandoffPolicy.current()
    if not policy.qualifies(lead):
        return None
    # All of them (a lead has a few): the cooldown and the context read them.
    earlier = list(context_package.earlier_handoffs(lead))
    cutoff = cooldown_cutoff(policy)
    rejections = (h.decided_at for h in earlier if h.status == Handoff.Status.REJECTED)
    if any(decided is not None and decided > cutoff for decided in rejections):
        return None
    try:
        with transaction.atomic():
            handoff = Handoff.objects.create(
                lead=lead,
                fit_at_handoff=lead.fit_score,
                engagement_at_handoff=lead.engagement_score,
                score_at_handoff=lead.fit_score + lead.engagement_score,
                context=context_package.build(lead, explanation=explanation, earlier=earlier),
                routing_round=1,
            )
    except IntegrityError:
        return None  # a live handoff exists already
    trail.record(
        trail.Action.HANDOFF_CHANGED,
        handoff,
        changes={"status": ["", handoff.status], "lead": lead.pk},
    )
    crm.change_stage(lead, Lead.Stage.MQL, reason="score crossed the handoff threshold")
    webhook_events.lead_became_mql(lead, handoff)
    sla.open_first_touch_deadline(handoff, policy=policy)
    routing.route(handoff, policy=policy, new=True)
    return handoff


def recently_rejected(policy: HandoffPolicy) -> QuerySet[Handoff]:
    """Rejected handoffs whose lead is still in the recycle cooldown: it goes
    back to marketing and cannot hand off again before the policy's days pass."""
    return Handoff.objects.filter(
        status=Handoff.Status.REJECTED, decided_at__gt=cooldown_cutoff(policy)
    )


def cooldown_cutoff(policy: HandoffPolicy) -> datetime:
    """A lead rejected after this moment is still cooling down."""
    return timezone.now() - timedelta(days=policy.recycle_cooldown_days)


@transaction.atomic
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
    return routing.start_claim(handoff, rep=rep, via=Handoff.ClaimedVia.CLAIM)


@transaction.atomic
def accept_handoff(handoff: Handoff, *, rep: User) -> bool:
    """The claiming rep accepts the lead (SAL). The claim no longer times out;
    the first-touch SLA runs on until the rep logs a touch."""
    won = Handoff.objects.filter(
        pk=handoff.pk, status=Handoff.Status.CLAIMED, claimed_by=rep
    ).update(status=Handoff.Status.ACCEPTED, decided_at=timezone.now())
    if won:
        lead = Lead.objects.select_for_update().get(pk=handoff.lead_id)
        crm.change_stage(lead, Lead.Stage.SAL, by=rep, reason="accepted by sales")
        trail.record(
            trail.Action.HANDOFF_CHANGED,
            handoff,
            actor=rep,
            changes={"status": ["claimed", "accepted"], "lead": lead.pk},
        )
        sla.settle_deadlines(handoff, kinds=[SlaDeadline.Kind.CLAIM_TIMEOUT])
        handoff.refresh_from_db()
        webhook_events.handoff_accepted(handoff)
    return bool(won)


@transaction.atomic
def reject_handoff(handoff: Handoff, *, rep: User, reason: str, note: str = "") -> bool:
    """The claiming rep sends the lead back to marketing as recycled, with a
    reason; it cannot hand off again during the policy's recycle cooldown.
    Its deadlines are settled (a first touch already overdue is the sweep's)."""
    won = Handoff.objects.filter(
        pk=handoff.pk, status=Handoff.Status.CLAIMED, claimed_by=rep
    ).update(
        status=Handoff.Status.REJECTED,
        decided_at=timezone.now(),
        reject_reason=reason,
        reject_note=note,
    )
    if won:
        lead = Lead.objects.select_for_update().get(pk=handoff.lead_id)
        crm.change_stage(lead, Lead.Stage.RECYCLED, by=rep, reason=f"rejected: {reason}")
        Lead.objects.filter(pk=lead.pk).update(owner=None)
        trail.record(
            trail.Action.HANDOFF_CHANGED,
            handoff,
            actor=rep,
            summary=reason,
            changes={"status": ["claimed", "rejected"], "owner": [rep.pk, None], "lead": lead.pk},
        )
        sla.settle_deadlines(handoff)
        handoff.refresh_from_db()
        webhook_events.handoff_rejected(handoff)
    return bool(won)


@transaction.atomic
def release_handoff(handoff: Handoff, *, rep: User) -> bool:
    """The claiming rep puts the handoff back: its claim timeout ends, the
    first-touch SLA runs on, and it is routed again (the other available reps
    are told, or in round-robin the next rep gets it)."""
    won = Handoff.objects.filter(
        pk=handoff.pk, status=Handoff.Status.CLAIMED, claimed_by=rep
    ).update(status=Handoff.Status.QUEUED, claimed_by=None, claimed_at=None, claimed_via="")
    if won:
        Lead.objects.filter(pk=handoff.lead_id).update(owner=None, updated_at=timezone.now())
        trail.record(
            trail.Action.HANDOFF_CHANGED,
            handoff,
            actor=rep,
            changes={
                "status": ["claimed", "queued"],
                "owner": [rep.pk, None],
                "lead": handoff.lead_id,
            },
        )
        sla.settle_deadlines(handoff, kinds=[SlaDeadline.Kind.CLAIM_TIMEOUT])
        handoff.refresh_from_db()
        routing.route(handoff, returned_by=rep)
        handoff.refresh_from_db()
    return bool(won)


def rescore_everyone(event_id: int) -> None:
    """Rescore every lead (rules changed, or the nightly decay), then bring the
    MQL stage in line with the scores.

    1. Claim the job (a duplicate delivery while it runs does nothing).
    2. Rescore set-based, batch by batch, beating the job's heartbeat.
    3. Hand off every lead that now qualifies and was not handed off, once.
    4. Withdraw the waiting handoffs of leads that no longer qualify, and
       record their return to the lead stage.
    """
    from crm.models import OutboxEvent, RescoreJob, ScoringRule

    event = OutboxEvent.objects.filter(pk=event_id).first()
    if event is None:
        return
    job_id = event.payload["job_id"]
    if not crm.claim_rescore(job_id):
        finished = [RescoreJob.Status.DONE, RescoreJob.Status.FAILED]
        if not RescoreJob.objects.filter(pk=job_id).exclude(status__in=finished).exists():
            outbox.mark_processed(event_id)  # nothing left to do: stop the sweep resending it
        return
    try:
        rules = ScoringRule.objects.active().snapshot()
        changed = rescore.rescore_all(
            rules,
            now=timezone.now(),
            progress=lambda done, total: crm.record_rescore_progress(job_id, done, total),
        )
        handed, withdrawn = sync_mql_stage()
    except Exception:
        RescoreJob.objects.filter(pk=job_id).update(status=RescoreJob.Status.FAILED)
        raise
    RescoreJob.objects.filter(pk=job_id).update(
        status=RescoreJob.Status.DONE,
        changed=changed,
        handed_off=handed,
        withdrawn=withdrawn,
        finished_at=timezone.now(),
    )
    outbox.mark_processed(event_id)


def handoff_candidates(policy: HandoffPolicy) -> QuerySet[Lead]:
    """Leads that hand off as soon as their scores qualify: in a stage that
    hands off, not cooling down after a rejection, without a live handoff.
    The rescore (sync_mql_stage) and its preview (handoff.preview) both use it."""
    live = Handoff.objects.exclude(status__in=[Handoff.Status.REJECTED, Handoff.Status.WITHDRAWN])
    return (
        Lead.objects.filter(stage__in=HANDOFF_FROM_STAGES)
        .exclude(pk__in=recently_rejected(policy).values("lead_id"))
        .exclude(pk__in=live.values("lead_id"))
    )


def withdrawable_handoffs() -> QuerySet[Handoff]:
    """Waiting handoffs that go away when their lead's scores stop qualifying
    (a claimed one stays with its rep)."""
    return Handoff.objects.queued().filter(lead__stage=Lead.Stage.MQL)


def qualifying(policy: HandoffPolicy, prefix: str = "") -> Q:
    """Stored scores that qualify (the SQL twin of policy.qualifies_scores)."""
    return Q(
        **{
            f"{prefix}score__fit__gte": policy.fit_threshold,
            f"{prefix}score__engagement__gte": policy.engagement_threshold,
        }
    )


def sync_mql_stage(*, batch: int = 500) -> tuple[int, int]:
    """Hand off the leads whose scores now qualify (except those cooling down
    after a rejection); withdraw the waiting handoffs of those that no longer
    do. Returns (handed off, withdrawn)."""
    policy = HandoffPolicy.current()
    handed = withdrawn = 0
    candidates = handoff_candidates(policy).filter(qualifying(policy))
    ids = list(candidates.values_list("pk", flat=True).order_by("pk"))
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            for lead in (
                Lead.objects.select_for_update()
                .filter(pk__in=ids[start : start + batch])
                .order_by("pk")
            ):
                handed += hand_off_if_qualified(lead, policy=policy) is not None
    dropped = withdrawable_handoffs().exclude(qualifying(policy, prefix="lead__"))
    for handoff_id in list(dropped.values_list("pk", flat=True)):
        withdrawn += withdraw_handoff(handoff_id)
    return handed, withdrawn


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
    Handoff.objects.filter(pk=handoff_id).update(
        status=Handoff.Status.WITHDRAWN, decided_at=timezone.now()
    )
    Notification.objects.filter(handoff_id=handoff_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    trail.record(
        trail.Action.HANDOFF_CHANGED,
        handoff,
        changes={"status": ["queued", "withdrawn"], "lead": handoff.lead_id},
    )
    sla.settle_deadlines(handoff)
    lead = Lead.objects.select_for_update().get(pk=handoff.lead_id)
    crm.change_stage(lead, Lead.Stage.LEAD, reason="score fell below the handoff threshold")
    return True
