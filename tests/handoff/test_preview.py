"""The scoring preview predicts the save exactly: the leads it would hand to
sales and the waiting handoffs it would withdraw, decay and stages included.

On PostgreSQL both sides run the set-based SQL of crm.rescore; on SQLite both
run the per-lead calculation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm import rescore
from crm import services as crm
from crm.models import Activity, Lead, OutboxEvent, RescoreJob, ScoringRule
from handoff import consumers
from handoff.models import Handoff, HandoffPolicy
from handoff.preview import preview_rules, rules_with
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
KINDS = ["form_submit", "page_view", "download", "webinar"]
# Where a lead stands before the rule change, and the handoff that goes with it.
STATES = ["subscriber", "lead", "queued", "claimed", "accepted", "qualified", "cooling", "cooled"]


@dataclass(frozen=True)
class LeadSpec:
    state: str
    activities: list[tuple[str, int]]  # kind, age in hours
    stale_days: int  # stored scores were computed this long ago (decay since)


lead_specs = st.lists(
    st.builds(
        LeadSpec,
        state=st.sampled_from(STATES),
        activities=st.lists(
            st.tuples(st.sampled_from(KINDS), st.integers(0, 24 * 120)), max_size=6
        ),
        stale_days=st.integers(0, 20),
    ),
    min_size=1,
    max_size=10,
)
rule_changes = st.one_of(
    st.tuples(st.just("points"), st.integers(0, 2), st.integers(-15, 60)),
    st.tuples(st.just("half_life"), st.integers(0, 2), st.none() | st.integers(1, 60)),
    st.tuples(st.just("toggle"), st.integers(0, 2), st.none()),
    st.tuples(st.just("new"), st.sampled_from(KINDS), st.integers(-15, 60)),
)


def base_rules() -> list[ScoringRule]:
    ScoringRule.objects.all().delete()
    return [
        ScoringRule.objects.create(
            name_en=f"e{i}", kind=kind, points=points, half_life_days=half_life, position=i
        )
        for i, (kind, points, half_life) in enumerate(
            [("form_submit", 25, None), ("webinar", 30, 30), ("page_view", 8, 7)]
        )
    ]


def build(specs: list[LeadSpec], rep) -> None:
    old_rules = ScoringRule.objects.active().snapshot()
    for spec in specs:
        lead = factories.lead()
        Activity.objects.bulk_create(
            Activity(lead=lead, kind=kind, occurred_at=NOW - timedelta(hours=age))
            for kind, age in spec.activities
        )
        # Stored scores as the last (nightly) rescore left them.
        stale = rescore.scores(
            old_rules, now=NOW - timedelta(days=spec.stale_days), first=lead.pk, last=lead.pk
        )[0]
        factories.set_scores(lead, fit=stale.fit, engagement=stale.engagement)
        place(lead, spec.state, rep)


def place(lead: Lead, state: str, rep) -> None:
    stage, status = {
        "subscriber": ("subscriber", None),
        "lead": ("lead", None),
        "queued": ("mql", "queued"),
        "claimed": ("mql", "claimed"),
        "accepted": ("sal", "accepted"),
        "qualified": ("sql", "qualified"),
        "cooling": ("recycled", "rejected"),
        "cooled": ("recycled", "rejected"),
    }[state]
    Lead.objects.filter(pk=lead.pk).update(stage=stage)
    if status is None:
        return
    decided = NOW - timedelta(days=2 if state == "cooling" else 90)
    Handoff.objects.create(
        lead=lead,
        status=status,
        created_at=NOW - timedelta(days=100 if state == "cooled" else 3),
        claimed_by=None if status == "queued" else rep,
        decided_at=decided if status == "rejected" else None,
        reject_reason="bad_timing" if status == "rejected" else "",
    )


def change(rules: list[ScoringRule], spec: tuple) -> ScoringRule:
    """The candidate rule as the form would leave it: changed, not saved."""
    what, target, value = spec
    if what == "new":
        return ScoringRule(name_en="new", kind=target, points=value or 5, position=9)
    rule = rules[target]
    if what == "points":
        rule.points = value or 1
    elif what == "half_life":
        rule.half_life_days = value
    else:
        rule.is_active = not rule.is_active
    return rule


def save_and_rescore(candidate: ScoringRule) -> RescoreJob:
    """What "Save and rescore" does, with the job run here instead of a worker."""
    candidate.save()
    job = crm.request_rescore(reason=RescoreJob.Reason.RULES)
    event = OutboxEvent.objects.get(payload__job_id=job.pk)
    consumers.rescore_everyone(event.pk)
    job.refresh_from_db()
    return job


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=lead_specs, rule_change=rule_changes)
def test_the_preview_is_what_the_save_does(rep, specs, rule_change):
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        HandoffPolicy.current()
        rules = base_rules()
        build(specs, rep)
        candidate = change(rules, rule_change)
        preview = preview_rules(rules_with(candidate))
        before = set(Handoff.objects.values_list("pk", flat=True))
        queued = set(Handoff.objects.queued().values_list("pk", flat=True))

        job = save_and_rescore(candidate)

        new = Handoff.objects.exclude(pk__in=before)
        assert set(new.values_list("lead_id", flat=True)) == preview.entering_ids
        withdrawn = Handoff.objects.filter(pk__in=queued, status=Handoff.Status.WITHDRAWN)
        assert set(withdrawn.values_list("pk", flat=True)) == preview.withdrawn_ids
        assert (job.handed_off, job.withdrawn) == (
            len(preview.entering_ids),
            len(preview.withdrawn_ids),
        )
        assert Lead.objects.filter(stage=Lead.Stage.MQL).count() == preview.mql_after
        transaction.set_rollback(True)


def test_sales_accepted_leads_are_not_would_be_mqls_and_decay_withdraws(client, marketer, rep):
    """The case met in the browser: SAL and SQL leads counted as "would be
    MQL", and a queued handoff whose stored score had not decayed yet."""
    with time_machine.travel(NOW, tick=False):
        HandoffPolicy.current()
        rules = base_rules()
        build(
            [
                LeadSpec("accepted", [("form_submit", 1), ("webinar", 1)], 0),
                LeadSpec("qualified", [("form_submit", 1), ("webinar", 1)], 0),
                # Qualified 40 days ago on a webinar; it has decayed below since.
                LeadSpec("queued", [("form_submit", 24 * 40), ("webinar", 24 * 40)], 40),
            ],
            rep,
        )
        waiting = Handoff.objects.get(status="queued")
        client.force_login(marketer)
        data = {
            "name_en": "e2",
            "dimension": "engagement",
            "condition": "activity",
            "kind": "page_view",
            "points": 9,
            "half_life_days": 7,
            "is_active": "on",
            "preview": "1",
        }
        response = client.post(reverse("handoff:scoring_rule_edit", args=[rules[2].pk]), data)
        preview = response.context["preview"]
        assert preview.entering_ids == frozenset()
        assert preview.withdrawn_ids == {waiting.pk}
        html = response.content.decode()
        assert "1 waiting handoff would be withdrawn" in html
        assert "0 leads would be handed to sales" in html
