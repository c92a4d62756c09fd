"""Operations on leads that write several rows or queue work."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Now
from django.utils import timezone

from audit import trail
from crm import normalize, outbox, scoring
from crm.models import (
    Activity,
    Campaign,
    Company,
    Lead,
    LeadAlias,
    LeadScore,
    RescoreJob,
    ScoringRule,
    StageChange,
)
from crm.topics import Topic
from web.transactions import require_transaction


def normalise_email(email: str) -> str:
    """Emails are unique case-insensitively; store them NFKC-normalised and case-folded."""
    return normalize.email_key(email)


def kept_email(email_key: str) -> str:
    """The email of the lead a person with this email is kept as: the lead
    they were merged into (crm.merging), so that their next form submit
    finds it instead of bringing them back as a new lead. A lead that has
    this email itself keeps it."""
    alias = LeadAlias.objects.emails([email_key]).select_related("lead").first()
    if alias is None or Lead.objects.with_email(email_key).exists():
        return email_key
    return alias.lead.email


def company_named(name: str) -> Company | None:
    """The company this name refers to, created on first sight.

    Matched by its 名寄せ key, so ㈱青葉商事 finds 株式会社青葉商事; the unique key
    makes two simultaneous first sightings create one company.
    """
    name = normalize.nfkc(name)
    if not name:
        return None
    company, _created = Company.objects.get_or_create(
        key=normalize.company_key(name) or name, defaults={"name": name}
    )
    return company


# No savepoint of its own: a failure here fails the caller's transaction anyway.
@transaction.atomic(savepoint=False)
def record_activity(
    lead: Lead,
    *,
    kind: str,
    occurred_at: datetime | None = None,
    campaign: Campaign | None = None,
    actor: User | None = None,
    details: dict[str, Any] | None = None,
    external_id: str | None = None,
    channel: str = "",
) -> tuple[Activity, bool]:
    """Add an activity to the lead's timeline and queue it for scoring.

    `channel` (Activity.Channel) says how it arrived, `actor` who recorded it.
    Idempotent by `external_id`: the same event delivered twice (even at the
    same moment) is stored and scored once. Returns (activity, created).
    """
    fields = {
        "lead": lead,
        "kind": kind,
        "occurred_at": occurred_at or timezone.now(),
        "campaign": campaign,
        "actor": actor,
        "channel": channel,
        "details": details or {},
    }
    if external_id:
        existing = Activity.objects.filter(external_id=external_id).first()
        if existing:
            return existing, False
        try:
            with transaction.atomic():
                activity = Activity.objects.create(**fields, external_id=external_id)
        except IntegrityError:
            return Activity.objects.get(external_id=external_id), False
    else:
        activity = Activity.objects.create(**fields)
    # Consumed by handoff.consumers.drain_activity_events (scoring, then the handoff).
    outbox.emit(Topic.ACTIVITY_RECORDED, {"activity_id": activity.pk})
    return activity, True


@dataclass
class Scored:
    """A lead whose activities were just scored: locked, read with its company
    and (updated) scores, and the explanation of those scores."""

    lead: Lead
    explanation: scoring.Explanation


def score_activities(
    activity_ids: Sequence[int],
    *,
    rules: list[scoring.Rule] | None = None,
    now: datetime | None = None,
) -> dict[int, Scored]:
    """Record these activities' points and recompute their leads' scores.

    Set-based: five statements however many activities and leads (lock,
    rules, activities, points, scores; a test holds the count), so a worker
    that has fallen behind catches up by taking larger batches rather than
    paying per activity. Runs inside the caller's transaction:

    1. Lock the leads with an unscored activity among these, in id order, so
       concurrent scorers of one lead go one after the other and never wait
       on each other in a circle.
    2. Read every activity of those leads (the scores are recomputed from all
       of them, not incremented, so they are the same in any order of arrival).
    3. Mark the new ones scored with their points: the conditional update on
       `scored_at` is the ledger, so an activity is scored once however often
       it is delivered.
    4. Write the scores that changed.

    Returns the leads scored here, by id (with the campaign that brought each
    in, which a handoff's context package names).
    """
    require_transaction()
    unscored = Activity.objects.filter(pk__in=activity_ids, scored_at__isnull=True)
    leads = {
        lead.pk: lead
        # NO KEY UPDATE: scorers exclude each other, yet a capture adding an
        # activity to the lead meanwhile (its foreign key check) need not wait.
        for lead in Lead.objects.select_related("company", "score", "source_campaign")
        .select_for_update(of=("self",), no_key=True)
        .filter(pk__in=unscored.values("lead_id"))
        .order_by("pk")
    }
    if not leads:
        return {}
    rules = ScoringRule.objects.active().snapshot() if rules is None else rules
    facts: dict[int, list[scoring.ActivityFacts]] = {pk: [] for pk in leads}
    wanted, new = set(activity_ids), []
    for lead_id, activity, scored_at in _activity_facts(Activity.objects.filter(lead_id__in=leads)):
        facts[lead_id].append(activity)
        if scored_at is None and activity.id in wanted:
            new.append(activity)
    _record_points(new, rules)
    now = now or timezone.now()
    scored = {
        pk: Scored(lead, scoring.explain(lead.scoring_facts(), facts[pk], rules, now=now))
        for pk, lead in leads.items()
    }
    _write_scores([(s.lead, s.explanation) for s in scored.values()])
    return scored


def _record_points(new: list[scoring.ActivityFacts], rules: list[scoring.Rule]) -> None:
    """Step 3 of score_activities: mark the new activities scored with their
    points, in one conditional update (the ledger: an activity already scored
    by another delivery keeps its points)."""
    by_points: dict[int, list[int]] = {}
    for activity in new:
        by_points.setdefault(scoring.points_for(activity, rules), []).append(activity.id)
    if by_points:
        points = Case(*(When(pk__in=ids, then=Value(p)) for p, ids in by_points.items()))
        Activity.objects.filter(pk__in=[a.id for a in new], scored_at__isnull=True).update(
            scored_at=timezone.now(), points=points
        )


def _activity_facts(
    activities: QuerySet[Activity],
) -> Iterator[tuple[int, scoring.ActivityFacts, datetime | None]]:
    """(lead id, scoring facts, scored_at) of each activity, reading only what
    scoring needs: the url from `details`, not the whole document."""
    rows = activities.order_by().values_list(
        "lead_id", "pk", "kind", "occurred_at", "campaign_id", KT("details__url"), "scored_at"
    )
    for lead_id, pk, kind, occurred_at, campaign_id, url, scored_at in rows:
        yield (
            lead_id,
            scoring.ActivityFacts(pk, kind, occurred_at, campaign_id, url or ""),
            scored_at,
        )


def _write_scores(results: list[tuple[Lead, scoring.Explanation]]) -> None:
    """Store the scores that changed (one UPDATE for all of them, an INSERT for
    a lead missing its score row) and bring the leads in memory up to date."""
    changed, missing = [], []
    for lead, explanation in results:
        fit, engagement = explanation.fit_score, explanation.engagement_score
        if (fit, engagement) == (lead.fit_score, lead.engagement_score):
            continue
        if hasattr(lead, "score"):
            lead.score.fit, lead.score.engagement = fit, engagement
            lead.score.scored_at = Now()  # the database clock, as the full rescore compares
            changed.append(lead.score)
        else:
            lead.score = LeadScore(lead_id=lead.pk, fit=fit, engagement=engagement)
            missing.append(lead.score)
    if len(changed) == 1:  # the common case, and a much cheaper statement to build
        (score,) = changed
        LeadScore.objects.filter(lead_id=score.lead_id).update(
            fit=score.fit, engagement=score.engagement, scored_at=Now()
        )
    elif changed:
        LeadScore.objects.bulk_update(changed, ["fit", "engagement", "scored_at"])
    for score in changed:
        score.scored_at = timezone.now()  # near enough: the row has the database's
    if missing:
        LeadScore.objects.bulk_create(missing, ignore_conflicts=True)


def explain_lead(
    lead: Lead, *, rules: list[scoring.Rule] | None = None, now: datetime | None = None
) -> scoring.Explanation:
    """Where every point of the lead's scores comes from, as of `now`."""
    rules = ScoringRule.objects.active().snapshot() if rules is None else rules
    facts = [facts for _lead, facts, _at in _activity_facts(lead.activities.all())]
    return scoring.explain(lead.scoring_facts(), facts, rules, now=now or timezone.now())


def explain_scores(lead: Lead) -> scoring.Explanation:
    """What the lead's stored scores count, decayed as of the moment they
    were written, so that the breakdown, the timeline and the scores shown
    beside them are the same numbers. (Every scoring counts all the lead's
    activities; one that arrived since is counted here a moment before the
    worker has stored it, and the timeline marks it "scoring…".)"""
    as_of = getattr(getattr(lead, "score", None), "scored_at", None) or timezone.now()
    return explain_lead(lead, now=as_of)


def rescore_lead(
    lead_id: int, *, rules: list[scoring.Rule] | None = None, now: datetime | None = None
) -> scoring.Explanation | None:
    """Recompute one lead's fit and engagement from its facts and activities.
    Safe to repeat: it writes what the rules give, whatever was there."""
    lead = Lead.objects.select_related("company", "score").filter(pk=lead_id).first()
    if lead is None:
        return None
    return rescore(lead, rules=rules, now=now)


def rescore(
    lead: Lead, *, rules: list[scoring.Rule] | None = None, now: datetime | None = None
) -> scoring.Explanation:
    """rescore_lead for a lead already read with its company and score; the
    lead's in-memory scores are brought up to date too."""
    explanation = explain_lead(lead, rules=rules, now=now)
    _write_scores([(lead, explanation)])
    return explanation


def change_stage(lead: Lead, to_stage: str, *, by: User | None = None, reason: str = "") -> bool:
    """Move the lead to `to_stage` and record the change.

    A conditional update on the stage the caller saw: False when someone moved
    the lead meanwhile, and then nothing is recorded.
    """
    from_stage = lead.stage
    if from_stage == to_stage:
        return False
    moved = Lead.objects.filter(pk=lead.pk, stage=from_stage).update(
        stage=to_stage, updated_at=timezone.now()
    )
    if not moved:
        return False
    StageChange.objects.create(
        lead=lead, from_stage=from_stage, to_stage=to_stage, changed_by=by, reason=reason
    )
    trail.record(
        trail.Action.STAGE_CHANGED,
        lead,
        actor=by,
        summary=reason,
        changes={"stage": [from_stage, to_stage]},
    )
    lead.stage = to_stage
    return True


@transaction.atomic
def request_rescore(*, reason: str, by: User | None = None) -> RescoreJob:
    """Queue a rescore of every lead (through the outbox, so a broker outage
    delays it instead of losing it)."""
    job = RescoreJob.objects.create(reason=reason, created_by=by)
    # Consumed by handoff.consumers.rescore_everyone.
    outbox.emit(Topic.RESCORE_REQUESTED, {"job_id": job.pk})
    return job


def claim_rescore(job_id: int, *, stale_after: timedelta = timedelta(minutes=2)) -> bool:
    """Take a queued job, or a running one whose worker stopped beating; False
    while another worker is on it (a duplicate delivery) or when it is done."""
    stale = timezone.now() - stale_after
    return bool(
        RescoreJob.objects.filter(pk=job_id)
        .filter(
            Q(status=RescoreJob.Status.QUEUED)
            | Q(status=RescoreJob.Status.RUNNING, heartbeat_at__lt=stale)
            | Q(status=RescoreJob.Status.RUNNING, heartbeat_at__isnull=True)
        )
        .update(status=RescoreJob.Status.RUNNING, heartbeat_at=timezone.now())
    )


def record_rescore_progress(job_id: int, done: int, total: int) -> None:
    RescoreJob.objects.filter(pk=job_id).update(done=done, total=total, heartbeat_at=timezone.now())
