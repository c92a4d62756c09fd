"""What a change of scoring rules would do to the handoff queue, before saving."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from crm import rescore, scoring
from crm.models import Lead
from handoff.models import HandoffPolicy

SAMPLE = 10


@dataclass(frozen=True)
class RulesPreview:
    mql_now: int
    mql_after: int
    entering: list[Lead]  # a sample of leads that would become MQL
    leaving: list[Lead]  # a sample of leads that would no longer be

    @property
    def difference(self) -> int:
        return self.mql_after - self.mql_now


def preview_rules(rules: Sequence[scoring.Rule]) -> RulesPreview:
    """Score every lead under `rules` (without writing) and compare who would
    qualify for a handoff with who qualifies now."""
    policy = HandoffPolicy.current()
    computed = rescore.scores(rules, now=timezone.now())
    after = {s.lead_id for s in computed if policy.qualifies_scores(s.fit, s.engagement)}
    before = set(
        Lead.objects.filter(
            score__fit__gte=policy.fit_threshold, score__engagement__gte=policy.engagement_threshold
        ).values_list("pk", flat=True)
    )
    sample = Lead.objects.select_related("company", "score").order_by("-score__engagement", "pk")
    return RulesPreview(
        mql_now=len(before),
        mql_after=len(after),
        entering=list(sample.filter(pk__in=sorted(after - before)[:1000])[:SAMPLE]),
        leaving=list(sample.filter(pk__in=sorted(before - after)[:1000])[:SAMPLE]),
    )
