"""Operations behind the API that compose crm's and handoff's services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import outbox
from crm import services as crm
from crm.imports.engine import ACTIVITIES_RECORDED
from crm.imports.sql import insert_rows
from crm.models import Activity, Campaign, Deal, Lead, StageChange
from crm.models.people import LeadQuerySet
from handoff import sla
from webhooks import events as webhook_events

BATCH_LIMIT = 1000
# Lead fields the fit rules read: changing one rescores the lead.
FIT_FIELDS = frozenset({"title", "department", "email", "company"})


@transaction.atomic
def create_lead(data: dict[str, Any], *, by: User) -> Lead:
    """A lead entered by an API client: its company found or created by name
    (`company_name`), its first stage recorded, its fit scored at once.
    Raises IntegrityError when its email exists (whatever the case)."""
    data = dict(data)
    if name := data.pop("company_name", ""):
        data["company"] = crm.company_named(name)
    with transaction.atomic():
        lead = Lead.objects.create(**data)
    StageChange.objects.create(
        lead=lead, from_stage="", to_stage=lead.stage, changed_by=by, reason="api"
    )
    crm.rescore_lead(lead.pk)
    return lead


@transaction.atomic
def update_lead(lead: Lead, *, changes: dict[str, Any]) -> Lead:
    """Change the lead's own fields (stage and owner move through handoffs);
    a change the fit rules read rescores it."""
    changes = dict(changes)
    if name := changes.pop("company_name", ""):
        changes["company"] = crm.company_named(name)
    for field_name, value in changes.items():
        setattr(lead, field_name, value)
    lead.save(update_fields=[*changes, "updated_at"])
    if FIT_FIELDS & set(changes):
        crm.rescore_lead(lead.pk)
        lead.refresh_from_db()
    return lead


@transaction.atomic
def record_one_activity(
    lead: Lead,
    *,
    kind: str,
    actor: User,
    occurred_at: datetime | None = None,
    campaign: Campaign | None = None,
    details: dict[str, Any] | None = None,
    external_id: str | None = None,
) -> tuple[Activity, bool]:
    """crm.services.record_activity, plus what a sales touch means to handoff:
    the first one stops the SLA clock (as handoff.work.log_touch does).
    Idempotent by `external_id`; returns (activity, created)."""
    activity, created = crm.record_activity(
        lead,
        kind=kind,
        occurred_at=occurred_at,
        campaign=campaign,
        actor=actor,
        details=details,
        external_id=external_id,
        channel=Activity.Channel.API,
    )
    if created and activity.is_sales_touch:
        sla.record_first_touch(lead, activity.occurred_at)
    return activity, created


@dataclass(frozen=True)
class IncomingActivity:
    """One item of a batch, checked field by field; the lead is named by id or email."""

    kind: str
    lead_id: int | None = None
    email: str = ""
    occurred_at: datetime | None = None
    campaign_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    external_id: str | None = None


@dataclass
class ItemResult:
    status: str  # CREATED, KNOWN or REJECTED
    id: int | None = None
    external_id: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


CREATED, KNOWN, REJECTED = "created", "already_known", "rejected"


def record_activity_batch(
    items: Sequence[IncomingActivity | dict[str, list[str]]],
    *,
    actor: User,
    leads: LeadQuerySet,
) -> list[ItemResult]:
    """Record up to BATCH_LIMIT activities in a few statements, idempotent by
    external id, and queue them for scoring with one outbox event.

    `items` holds the checked items and, in their place, the field errors of
    those that failed the check. `leads` is what the caller may see: an item
    naming any other lead is rejected as unknown. Returns one result per item,
    in order: created, already known (its external id was recorded before, or
    earlier in this batch) or rejected with a message per field.

    1. Look the leads and campaigns up, one query each.
    2. Insert the items with an external id, skipping those that conflict
       (ON CONFLICT DO NOTHING: a concurrent batch carrying the same id waits
       for the other's commit, then skips it); then those without one.
    3. Read the ids of the known ones; stop the SLA clock of leads with a sales
       touch; emit one event for the new activities.
    """
    if len(items) > BATCH_LIMIT:
        raise ValueError(f"a batch holds at most {BATCH_LIMIT} activities")
    results: list[ItemResult] = [
        ItemResult(REJECTED, errors=item) if isinstance(item, dict) else ItemResult(CREATED)
        for item in items
    ]
    valid = [(i, item) for i, item in enumerate(items) if isinstance(item, IncomingActivity)]
    lead_by_id, lead_by_email = _leads(leads, [item for _i, item in valid])
    campaigns = set(
        Campaign.objects.filter(
            pk__in={item.campaign_id for _i, item in valid if item.campaign_id}
        ).values_list("pk", flat=True)
    )
    now = timezone.now()
    with_id: dict[str, tuple[int, tuple[object, ...]]] = {}
    without_id: list[tuple[int, Activity]] = []
    for i, item in valid:
        result = results[i]
        result.external_id = item.external_id
        lead_id = lead_by_id.get(item.lead_id) if item.lead_id else lead_by_email.get(item.email)
        if lead_id is None:
            result.status = REJECTED
            name = "lead" if item.lead_id else "email"
            result.errors = {name: [_("No lead you can see has this id or email.")]}
            continue
        if item.campaign_id and item.campaign_id not in campaigns:
            result.status = REJECTED
            result.errors = {"campaign": [_("No campaign has this id.")]}
            continue
        occurred_at = item.occurred_at or now
        if item.external_id is None:
            activity = Activity(
                lead_id=lead_id, kind=item.kind, occurred_at=occurred_at,
                campaign_id=item.campaign_id, actor=actor, details=item.details,
                channel=Activity.Channel.API,
            )  # fmt: skip
            without_id.append((i, activity))
        elif item.external_id in with_id:
            result.status = KNOWN  # twice in this batch: the first one counts
        else:
            row = (
                lead_id, item.kind, occurred_at, item.campaign_id, actor.pk, item.details,
                item.external_id, 0, Activity.Channel.API,
            )  # fmt: skip
            with_id[item.external_id] = (i, row)
    with transaction.atomic():
        _insert(results, with_id, without_id)
    return results


def _leads(
    leads: LeadQuerySet, items: list[IncomingActivity]
) -> tuple[dict[int, int], dict[str, int]]:
    ids = {item.lead_id for item in items if item.lead_id}
    emails = {crm.normalise_email(item.email) for item in items if not item.lead_id}
    by_id = {pk: pk for pk in leads.filter(pk__in=ids).values_list("pk", flat=True)} if ids else {}
    by_email: dict[str, int] = {}
    if emails:
        by_email = dict(leads.filter(email__in=emails).values_list("email", "pk"))
    # Items give emails as they like; the map answers them as normalised.
    return by_id, {
        item.email: by_email[key]
        for item in items
        if item.email and (key := crm.normalise_email(item.email)) in by_email
    }


def _insert(
    results: list[ItemResult],
    with_id: dict[str, tuple[int, tuple[object, ...]]],
    without_id: list[tuple[int, Activity]],
) -> None:
    inserted = insert_rows(
        Activity,
        (
            "lead",
            "kind",
            "occurred_at",
            "campaign",
            "actor",
            "details",
            "external_id",
            "points",
            "channel",
        ),
        # In external id order: two batches sharing ids wait for each other in
        # the same order, instead of deadlocking on each other's rows.
        [with_id[external_id][1] for external_id in sorted(with_id)],
        ignore_conflicts=True,
        returning=("id", "external_id"),
    )
    new_ids = {external_id: pk for pk, external_id in inserted}
    known = set(with_id) - set(new_ids)
    known_ids = dict(
        Activity.objects.filter(external_id__in=known).values_list("external_id", "pk")
    )
    for external_id, (i, _row) in with_id.items():
        if external_id in new_ids:
            results[i].id = new_ids[external_id]
        else:
            results[i].status, results[i].id = KNOWN, known_ids.get(external_id)
    created = Activity.objects.bulk_create([activity for _i, activity in without_id])
    for (i, _activity), activity in zip(without_id, created, strict=True):
        results[i].id = activity.pk
    # Duplicates within the batch point at the activity their first copy made.
    ids_by_external = {**known_ids, **new_ids}
    for result in results:
        if result.status == KNOWN and result.id is None and result.external_id:
            result.id = ids_by_external.get(result.external_id)
    new = [*new_ids.values(), *(activity.pk for activity in created)]
    _first_touches(new)
    if new:
        outbox.emit(ACTIVITIES_RECORDED, {"activity_ids": sorted(new)})


def _first_touches(activity_ids: list[int]) -> None:
    """A sales touch stops its lead's SLA clock, at the lead's earliest touch."""
    touches = (
        Activity.objects.filter(pk__in=activity_ids, kind__in=Activity.SALES_KINDS)
        .order_by("lead_id", "occurred_at")
        .values_list("lead_id", "occurred_at")
    )
    earliest: dict[int, datetime] = {}
    for lead_id, occurred_at in touches:
        earliest.setdefault(lead_id, occurred_at)
    for lead in Lead.objects.filter(pk__in=earliest).order_by("pk"):
        sla.record_first_touch(lead, earliest[lead.pk])


@transaction.atomic
def update_deal(deal: Deal, *, changes: dict[str, Any], by: User) -> Deal:
    """Change a deal; closing it records when, and a won deal makes its lead a
    customer (the stage change is recorded, as every stage change is)."""
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    was_open = locked.stage == Deal.Stage.OPEN
    for name, value in changes.items():
        setattr(locked, name, value)
    fields = set(changes)
    if locked.stage == Deal.Stage.OPEN:
        locked.closed_at, locked.lost_reason = None, ""
        fields |= {"closed_at", "lost_reason"}
    elif was_open:
        locked.closed_at = timezone.now()
        fields.add("closed_at")
    locked.save(update_fields=sorted(fields))
    if was_open and locked.stage == Deal.Stage.WON:
        lead = Lead.objects.select_for_update().get(pk=locked.lead_id)
        crm.change_stage(lead, Lead.Stage.CUSTOMER, by=by, reason="deal won")
        webhook_events.deal_won(locked)
    return locked
