"""A lead becomes a marketing-qualified lead: its handoff is created when its
scores cross the policy's thresholds (after scoring, or after a rescore), and a
waiting handoff is withdrawn when they fall below again."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit import trail
from crm import scoring
from crm import services as crm
from crm.models import Lead, StageChange
from handoff import context as context_package
from handoff import services, sla, webhook_events
from handoff.models import Handoff, HandoffPolicy
from web.transactions import require_transaction

# Stages from which crossing the threshold hands a lead to sales.
HANDOFF_FROM_STAGES = frozenset({Lead.Stage.SUBSCRIBER, Lead.Stage.LEAD, Lead.Stage.RECYCLED})


def score_and_hand_off(activity_ids: list[int]) -> list[Handoff]:
    """Score the activities (each once, by crm's ledger), then hand off every
    lead that now qualifies, in lead id order. Call in a transaction: the
    leads stay locked until it ends."""
    require_transaction()
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
    require_transaction()
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
    crm.change_stage(lead, Lead.Stage.MQL, reason=StageChange.Reason.SCORE_CROSSED)
    webhook_events.lead_became_mql(lead, handoff)
    sla.open_first_touch_deadline(handoff, policy=policy)
    services.route(handoff, policy=policy, new=True)
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
        withdrawn += services.withdraw_handoff(handoff_id)
    return handed, withdrawn
