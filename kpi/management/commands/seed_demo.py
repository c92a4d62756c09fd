"""Load demo data so that every page has something real to show.

Safe to run again: when the demo users exist it only prints the logins.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from crm import demo, scoring
from crm.models import (
    Activity,
    Answer,
    Campaign,
    Company,
    Consent,
    Industry,
    Lead,
    LeadScore,
    ScoringRule,
    SizeBand,
    StageChange,
)
from kpi.management.commands import _demo_deals as demo_deals
from nurture.models import Segment
from tasks import demo as tasks_demo

PASSWORD = "baton-demo"  # nosec B105  # the documented demo password (README), for `make run` only
USERS = [
    # username, first name, last name, role
    ("marketer", "Hanako", "Sato", "marketer"),
    ("rep", "Taro", "Suzuki", "sales"),
    ("rep2", "Ken", "Tanaka", "sales"),
    ("manager", "Yuki", "Takahashi", "manager"),
    ("admin", "Aoi", "Admin", "admin"),
]
LEAD_COUNT = 300


class Command(BaseCommand):
    help = "Load demo users, campaigns, leads, activities and handoffs (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        if not user_model.objects.filter(username="marketer").exists():
            with transaction.atomic():
                self._seed(random.Random(20261127))  # nosec B311  # demo data, not security
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        login_url = f"{settings.BATON_BASE_URL}/"
        self.stdout.write(f"\nLog in at {login_url} as one of (password: {PASSWORD}):")
        for username, first, last, role in USERS:
            self.stdout.write(f"  {username:<9} {role:<9} {first} {last}")
        self.stdout.write("")

    def _seed(self, rng: random.Random) -> None:
        users = self._users()
        now = timezone.now()
        campaigns = self._campaigns(users["marketer"], now)
        names = rng.sample([(s, k) for s in demo.COMPANY_STEMS for k in demo.COMPANY_KINDS], 60)
        companies = [
            Company.objects.create(
                name=f"株式会社{stem}{kind}",
                domain=f"{i}.example.jp",
                industry=rng.choice(Industry.values),
                size_band=rng.choice(SizeBand.values),
                prefecture=rng.choice(["13", "13", "13", "14", "27", "23", "40", "01"]),
            )
            for i, (stem, kind) in enumerate(names)
        ]
        rules = ScoringRule.objects.active().snapshot()
        self._leads(rng, now, campaigns, companies, rules, users)
        self._consents(users["marketer"])
        self._segments(campaigns, users["marketer"])
        tasks_demo.seed_tasks([users["rep"], users["rep2"]], now, rng)

    @staticmethod
    def _consents(marketer: Any) -> None:
        """Each lead's email basis as its campaign obtained it (特定電子メール法):
        cards from the booth and the seminar (written notice, with the exchange
        date), referrals (business relationship), forms (opt-in); one lead in
        eight has none. No random draw: the rest of the demo stays as it was."""
        bases = {
            "exhibition": Consent.Basis.WRITTEN_NOTICE,
            "seminar": Consent.Basis.WRITTEN_NOTICE,
            "referral": Consent.Basis.BUSINESS_RELATIONSHIP,
        }
        leads = Lead.objects.select_related("source_campaign").order_by("pk")
        Consent.objects.bulk_create(
            Consent(
                lead=lead,
                basis=(basis := bases.get(campaign.channel, Consent.Basis.CONSENT)),
                given_at=lead.created_at,
                source=f"demo: {campaign.name}",
                policy_version="2026-01" if basis == Consent.Basis.CONSENT else "",
                obtained_on=lead.created_at.date()
                if basis == Consent.Basis.WRITTEN_NOTICE
                else None,
                recorded_by=marketer if basis != Consent.Basis.CONSENT else None,
            )
            for n, lead in enumerate(leads)
            if n % 8 != 7 and (campaign := lead.source_campaign) is not None
        )

    @staticmethod
    def _segments(campaigns: list[Campaign], marketer: Any) -> None:
        """A segment of the booth's business cards, emailed on the cards'
        basis only, and one of opt-ins only (a newsletter)."""
        booth = next(c for c in campaigns if c.channel == "exhibition")
        Segment.objects.create(
            name=f"{booth.name}: business cards",
            query=f"campaign={booth.pk}",
            consent_bases=[Consent.Basis.WRITTEN_NOTICE],
            created_by=marketer,
        )
        Segment.objects.create(
            name="Newsletter: opt-ins only",
            consent_bases=[Consent.Basis.CONSENT],
            created_by=marketer,
        )

    def _users(self) -> dict[str, Any]:
        user_model = get_user_model()
        users = {}
        for username, first, last, role in USERS:
            user = user_model.objects.create_user(
                username, f"{username}@example.com", PASSWORD, first_name=first, last_name=last
            )
            user.groups.add(Group.objects.get(name=role))
            if role == "admin":
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            users[username] = user
        return users

    def _campaigns(self, owner: Any, now: Any) -> list[Campaign]:
        today = timezone.localdate()
        return [
            Campaign.objects.create(
                name=name,
                channel=channel,
                budget=Decimal(budget),
                actual_cost=Decimal(cost),
                utm_code=f"demo-{i}",
                starts_on=today - timedelta(days=90 - i * 8),
                ends_on=today + timedelta(days=i * 5),
                owner=owner,
            )
            for i, (name, channel, budget, cost) in enumerate(demo.CAMPAIGNS)
        ]

    def _leads(self, rng, now, campaigns, companies, rules, users) -> None:  # type: ignore[no-untyped-def]
        handoff_model = apps.get_model("handoff", "Handoff")
        policy = apps.get_model("handoff", "HandoffPolicy").current()
        reps = [users["rep"], users["rep2"]]
        for n in range(LEAD_COUNT):
            created = now - timedelta(days=rng.uniform(0, 90), minutes=rng.randint(0, 600))
            campaign = rng.choice(campaigns)
            (family, family_kana), (given, given_kana) = (
                rng.choice(demo.FAMILY_NAMES),
                rng.choice(demo.GIVEN_NAMES),
            )
            company = rng.choice(companies)
            lead = Lead.objects.create(
                family_name=family,
                given_name=given,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                email=f"lead{n:04d}@{company.domain}",
                phone=f"03-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                company=company,
                department=rng.choice(demo.DEPARTMENTS),
                title=rng.choice(demo.TITLES),
                source_campaign=campaign,
                created_at=created,
            )
            StageChange.objects.create(
                lead=lead,
                to_stage=Lead.Stage.LEAD,
                changed_at=created,
                reason=StageChange.Reason.DEMO,
            )
            facts = self._activities(rng, lead, created, campaign, rules, now)
            today = scoring.explain(lead.scoring_facts(), facts, rules, now=now)
            LeadScore.objects.filter(lead=lead).update(
                fit=today.fit_score, engagement=today.engagement_score
            )
            # The moment the lead first qualified, scored as it stood then.
            crossed = next(
                (
                    (fact.occurred_at, scores)
                    for i, fact in enumerate(facts)
                    if policy.qualifies_scores(
                        *(scores := self._scores(lead, facts[: i + 1], rules, fact.occurred_at))
                    )
                ),
                None,
            )
            if crossed:
                # Whether it still qualifies today decides what the product
                # would have done since: a waiting handoff whose score decayed
                # below the threshold was withdrawn by a nightly rescore.
                qualifies = policy.qualifies_scores(today.fit_score, today.engagement_score)
                self._hand_off(rng, handoff_model, lead, *crossed, qualifies, reps, now)

    @staticmethod
    def _activities(rng, lead, created, campaign, rules, now) -> list[scoring.ActivityFacts]:  # type: ignore[no-untyped-def]
        """The lead's marketing activities since it came in (the first its form),
        scored by today's rules; returns their scoring facts in time order."""
        span = (now - created).total_seconds()
        times = sorted(
            created + timedelta(seconds=rng.uniform(0, span)) for _ in range(rng.randint(1, 9))
        )
        activities = [
            Activity(
                lead=lead,
                kind=rng.choice(demo.MARKETING_KINDS) if i else "form_submit",
                occurred_at=at,
                campaign=campaign,
                scored_at=at,
            )
            for i, at in enumerate(times)
        ]
        facts = [
            scoring.ActivityFacts(i, a.kind, a.occurred_at, campaign.pk)
            for i, a in enumerate(activities)
        ]
        for activity, fact in zip(activities, facts, strict=True):
            activity.points = scoring.points_for(fact, rules)
        Activity.objects.bulk_create(activities)
        return facts

    @staticmethod
    def _scores(lead, facts, rules, at) -> tuple[int, int]:  # type: ignore[no-untyped-def]
        then = scoring.explain(lead.scoring_facts(), facts, rules, now=at)
        return then.fit_score, then.engagement_score

    def _hand_off(self, rng, handoff_model, lead, at, scores, qualifies, reps, now) -> None:  # type: ignore[no-untyped-def]
        """Walk the lead through the handoff states a real team would have left:
        the context package, SLA deadlines, first touches, answers and deals.
        Only states the product itself could have produced: a handoff still
        waiting qualifies today; a rejected lead out of its cooldown that
        qualifies would have been handed off again, so it was accepted instead."""
        policy = apps.get_model("handoff", "HandoffPolicy").current()
        hours = policy.business_hours()
        first_touch_due = hours.add_business_minutes(at, policy.first_touch_sla_minutes)
        context = self._became_mql(rng, lead, at)
        fate = rng.choices(
            ["queued", "claimed", "accepted", "rejected", "qualified"], [3, 2, 3, 2, 2]
        )[0]
        fit, engagement = scores
        at_handoff = {
            "fit_at_handoff": fit,
            "engagement_at_handoff": engagement,
            "score_at_handoff": fit + engagement,
        }
        if (fate == "queued" or at > now - timedelta(hours=2)) and not qualifies:
            self._withdrawn(rng, handoff_model, lead, at, at_handoff, context, reps, now)
            return
        if fate == "queued" or at > now - timedelta(hours=2):
            self._queued(handoff_model, lead, at, at_handoff, context, first_touch_due, reps)
            return
        rep = rng.choice(reps)
        claimed_at = min(at + timedelta(minutes=rng.randint(3, 240)), now)
        decided_at = min(claimed_at + timedelta(minutes=rng.randint(10, 600)), now)
        cooled = decided_at < now - timedelta(days=policy.recycle_cooldown_days)
        if fate == "rejected" and qualifies and cooled:
            fate = "accepted"
        touched_at = min(claimed_at + timedelta(minutes=rng.randint(2, 90)), decided_at)
        status, stage = {
            "claimed": ("claimed", "mql"),
            "accepted": ("accepted", "sal"),
            "rejected": ("rejected", "recycled"),
            "qualified": ("qualified", "sql"),
        }[fate]
        touched = status != "claimed"
        handoff = handoff_model.objects.create(
            lead=lead,
            status=status,
            created_at=at,
            **at_handoff,
            claimed_by=rep,
            claimed_at=claimed_at,
            claimed_via="claim",
            routing_delay=claimed_at - at,
            first_touch_at=touched_at if touched else None,
            rep_delay=touched_at - claimed_at if touched else None,
            decided_at=None if status == "claimed" else decided_at,
            reject_reason="bad_timing" if status == "rejected" else "",
            reject_note="予算は来期に検討とのこと" if status == "rejected" else "",
            context=context,
        )
        self._first_touch(rng, handoff, rep, touched_at if touched else None, first_touch_due)
        self._decided(rng, lead, rep, fate, stage, decided_at)

    @staticmethod
    def _queued(handoff_model, lead, at, at_handoff, context, first_touch_due, reps) -> None:  # type: ignore[no-untyped-def]
        """A handoff still waiting for a rep: its deadline open, every rep told."""
        deadline_model = apps.get_model("handoff", "SlaDeadline")
        handoff = handoff_model.objects.create(
            lead=lead, created_at=at, context=context, **at_handoff
        )
        deadline_model.objects.create(handoff=handoff, kind="first_touch", due_at=first_touch_due)
        Lead.objects.filter(pk=lead.pk).update(stage="mql")
        for rep in reps:
            handoff.notifications.create(recipient=rep, kind="new_handoff", created_at=at)

    @staticmethod
    def _became_mql(rng, lead, at):  # type: ignore[no-untyped-def]
        """The lead's move to MQL, perhaps an answer from the web form, and the
        context package its handoff carries (returned)."""
        # Demo data spans crm and handoff, so the command lives above both (kpi).
        from handoff import context as context_package

        StageChange.objects.create(
            lead=lead,
            from_stage="lead",
            to_stage="mql",
            changed_at=at,
            reason=StageChange.Reason.DEMO,
        )
        if rng.random() < 0.5:
            Answer.objects.create(
                lead=lead,
                question=rng.choice(["headcount", "current_tool", "timeline"]),
                answer=rng.choice(demo.WEB_FORM_ANSWERS),
                source="web_form",
                recorded_at=at,
            )
        return context_package.build(lead)

    @staticmethod
    def _first_touch(rng, handoff, rep, touched_at, first_touch_due) -> None:  # type: ignore[no-untyped-def]
        """The rep's first call, if any (`touched_at`), and the first-touch
        deadline it met or missed, or that is still open."""
        deadline_model = apps.get_model("handoff", "SlaDeadline")
        if touched_at is None:
            deadline_model.objects.create(
                handoff=handoff, kind="first_touch", due_at=first_touch_due
            )
            return
        Activity.objects.create(
            lead=handoff.lead,
            kind="call",
            occurred_at=touched_at,
            actor=rep,
            details={"note": rng.choice(demo.CALL_NOTES)},
            scored_at=touched_at,
        )
        breached = touched_at > first_touch_due
        deadline_model.objects.create(
            handoff=handoff,
            kind="first_touch",
            due_at=first_touch_due,
            settled_at=first_touch_due if breached else touched_at,
            breached=breached,
        )

    @staticmethod
    def _decided(rng, lead, rep, fate, stage, decided_at) -> None:  # type: ignore[no-untyped-def]
        """The stages the rep's decision moved the lead through, a deal for
        most qualified leads, and who owns the lead now."""
        path = {
            "claimed": [],
            "accepted": ["sal"],
            "rejected": ["recycled"],
            "qualified": ["sal", "sql"],
        }[fate]
        previous = "mql"
        for to_stage in path:
            StageChange.objects.create(
                lead=lead,
                from_stage=previous,
                to_stage=to_stage,
                changed_at=decided_at,
                changed_by=rep,
                reason=StageChange.Reason.DEMO,
            )
            previous = to_stage
        if fate == "qualified" and rng.random() < 0.9:
            StageChange.objects.create(
                lead=lead,
                from_stage="sql",
                to_stage="opportunity",
                changed_at=decided_at,
                changed_by=rep,
                reason=StageChange.Reason.DEMO,
            )
            stage = "opportunity"
        Lead.objects.filter(pk=lead.pk).update(
            stage=stage, owner=None if fate == "rejected" else rep
        )
        if stage == "opportunity":
            # Won deals make their lead a customer (after the update above).
            demo_deals.open_deal(rng, lead, rep, decided_at)

    def _withdrawn(self, rng, handoff_model, lead, at, at_handoff, context, reps, now) -> None:  # type: ignore[no-untyped-def]
        """A handoff nobody claimed before the lead's score decayed below the
        threshold: a nightly rescore withdrew it and the lead went back to the
        lead stage, as handoff.services.withdraw_handoff records it."""
        deadline_model = apps.get_model("handoff", "SlaDeadline")
        policy = apps.get_model("handoff", "HandoffPolicy").current()
        due = policy.business_hours().add_business_minutes(at, policy.first_touch_sla_minutes)
        withdrawn_at = at + (now - at) * rng.uniform(0.3, 0.9)
        handoff = handoff_model.objects.create(
            lead=lead,
            status="withdrawn",
            created_at=at,
            decided_at=withdrawn_at,
            context=context,
            **at_handoff,
        )
        breached = due < withdrawn_at
        deadline_model.objects.create(
            handoff=handoff,
            kind="first_touch",
            due_at=due,
            settled_at=due if breached else withdrawn_at,
            breached=breached,
        )
        for rep in reps:
            handoff.notifications.create(
                recipient=rep, kind="new_handoff", created_at=at, read_at=withdrawn_at
            )
        StageChange.objects.create(
            lead=lead,
            from_stage="mql",
            to_stage="lead",
            changed_at=withdrawn_at,
            reason=StageChange.Reason.SCORE_FELL,
        )
        Lead.objects.filter(pk=lead.pk).update(stage="lead")
