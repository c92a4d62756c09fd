"""What a change of scoring rules would do to the handoff queue, before saving.

The preview must predict the save exactly, so it takes every step the save
takes, without writing: the same scores (crm.rescore.scores, the SQL the save
runs on PostgreSQL, decay as of now included) and the same choice of leads
and handoffs (handoff.mql's handoff_candidates and withdrawable_handoffs,
which sync_mql_stage uses after the rescore). tests/handoff/test_preview.py
holds preview == save on random rule changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from crm import rescore, scoring
from crm.models import Lead, ScoringRule
from handoff.models import Handoff, HandoffPolicy
from handoff.mql import handoff_candidates, withdrawable_handoffs

SAMPLE = 20


@dataclass(frozen=True)
class RulesPreview:
    mql_now: int  # leads at the MQL stage now
    entering_ids: frozenset[int]  # leads the save would hand off
    withdrawn_ids: frozenset[int]  # waiting handoffs the save would withdraw
    entering: list[Lead]  # the first of them, to read
    withdrawn: list[Handoff]

    @property
    def mql_after(self) -> int:
        return self.mql_now + len(self.entering_ids) - len(self.withdrawn_ids)

    @property
    def difference(self) -> int:
        return self.mql_after - self.mql_now


def preview_rules(rules: Sequence[scoring.Rule], *, now: datetime | None = None) -> RulesPreview:
    """Score every lead under `rules` (without writing), then pick the leads
    that would hand off and the waiting handoffs that would be withdrawn,
    as the save does after its rescore."""
    policy = HandoffPolicy.current()
    computed = rescore.scores(rules, now=now or timezone.now())
    qualified = {s.lead_id for s in computed if policy.qualifies_scores(s.fit, s.engagement)}
    candidates = set(handoff_candidates(policy).values_list("pk", flat=True))
    entering = frozenset(candidates & qualified)
    withdrawn = frozenset(
        pk
        for pk, lead_id in withdrawable_handoffs().values_list("pk", "lead_id")
        if lead_id not in qualified
    )
    leads = Lead.objects.select_related("company").order_by("pk")
    handoffs = Handoff.objects.select_related("lead", "lead__company").order_by("pk")
    return RulesPreview(
        mql_now=Lead.objects.filter(stage=Lead.Stage.MQL).count(),
        entering_ids=entering,
        withdrawn_ids=withdrawn,
        entering=list(leads.filter(pk__in=sorted(entering)[:SAMPLE])),
        withdrawn=list(handoffs.filter(pk__in=sorted(withdrawn)[:SAMPLE])),
    )


def rules_with(candidate: ScoringRule) -> list[scoring.Rule]:
    """The active rules as they would be with `candidate` (a new or edited
    rule, not saved yet) saved."""
    others = ScoringRule.objects.active()
    if candidate.pk:
        others = others.exclude(pk=candidate.pk)
    snapshot = others.snapshot()
    if candidate.is_active:
        snapshot.append(candidate.as_rule())
    return snapshot
