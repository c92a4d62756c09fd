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
from crm.imports.sql import insert_rows
from crm.models import Activity, Campaign, Lead
from crm.models.people import LeadQuerySet
from crm.topics import Topic
from handoff import work

BATCH_LIMIT = 1000


class ExternalIdTaken(Exception):
    """The external id names an activity the caller may not see."""


def external_id_taken() -> str:
    return _(
        "This external_id belongs to an activity you cannot see. Give each event an id of "
        "your own (a UUID, or your system's name and its id)."
    )


def sales_touch_refused() -> str:
    return _("Only sales log calls, sales emails, meetings and notes.")


@transaction.atomic
def record_one_activity(
    lead: Lead,
    *,
    kind: str,
    actor: User,
    visible: LeadQuerySet,
    occurred_at: datetime | None = None,
    campaign: Campaign | None = None,
    details: dict[str, Any] | None = None,
    external_id: str | None = None,
) -> tuple[Activity, bool]:
    """One activity from an API client: a sales touch through handoff's
    record_touch (its dating rule, the SLA clock), anything else through
    crm's record_activity. Idempotent by `external_id`; returns (activity,
    created).

    The caller checks that `actor` may log a sales touch. Raises
    ExternalIdTaken when the id is already used by an activity on a lead
    outside `visible` (the answer must not show it), and work.TouchRefused."""
    if kind in Activity.SALES_KINDS:
        activity, created = work.record_touch(
            lead, kind=kind, by=actor, occurred_at=occurred_at, details=details,
            campaign=campaign, external_id=external_id, channel=Activity.Channel.API,
        )  # fmt: skip
    else:
        activity, created = crm.record_activity(
            lead, kind=kind, occurred_at=occurred_at, campaign=campaign, actor=actor,
            details=details, external_id=external_id, channel=Activity.Channel.API,
        )  # fmt: skip
    if not created and not visible.filter(pk=activity.lead_id).exists():
        raise ExternalIdTaken(external_id)
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
    naming any other lead is rejected as unknown, and so is an external id
    already used on such a lead. Sales touches follow the pages' rules: only
    a user who may claim handoffs logs them, dated as work.touch_time_error
    allows. Returns one result per item, in order: created, already known (its
    external id was recorded before, or earlier in this batch) or rejected
    with a message per field.

    1. Look the leads, campaigns and claims up, one query each.
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
    check = _ItemCheck.for_items([item for _i, item in valid], actor=actor, leads=leads)
    with_id, without_id = _rows(valid, results, check, actor=actor)
    with transaction.atomic():
        _insert(results, with_id, without_id, leads=leads)
    return results


def _rows(
    valid: list[tuple[int, IncomingActivity]],
    results: list[ItemResult],
    check: _ItemCheck,
    *,
    actor: User,
) -> tuple[dict[str, tuple[int, tuple[object, ...]]], list[tuple[int, Activity]]]:
    """The checked items to insert: rows by external id (the first of an id
    in the batch counts, a repeat is already known) and activities without
    one; each item's result set as its check says."""
    with_id: dict[str, tuple[int, tuple[object, ...]]] = {}
    without_id: list[tuple[int, Activity]] = []
    for i, item in valid:
        result = results[i]
        result.external_id = item.external_id
        lead_id, errors = check(item)
        if lead_id is None or errors:
            result.status, result.errors = REJECTED, errors
            continue
        occurred_at = item.occurred_at or check.now
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
    return with_id, without_id


@dataclass
class _ItemCheck:
    """What a batch item is checked against, read once for the whole batch."""

    lead_by_id: dict[int, int]
    lead_by_email: dict[str, int]
    campaigns: set[int]
    claimed_at: dict[int, datetime]
    may_touch: bool
    now: datetime

    @classmethod
    def for_items(
        cls, items: list[IncomingActivity], *, actor: User, leads: LeadQuerySet
    ) -> _ItemCheck:
        lead_by_id, lead_by_email = _leads(leads, items)
        campaign_ids = {item.campaign_id for item in items if item.campaign_id}
        campaigns = (
            set(Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", flat=True))
            if campaign_ids
            else set()
        )
        may_touch = actor.has_perm("handoff.claim_handoff")
        touched = {
            lead_id
            for item in items
            if item.kind in Activity.SALES_KINDS
            and (
                lead_id := lead_by_id.get(item.lead_id)
                if item.lead_id
                else lead_by_email.get(item.email)
            )
        }
        claimed_at = work.claimed_at_by_lead(touched) if touched and may_touch else {}
        return cls(lead_by_id, lead_by_email, campaigns, claimed_at, may_touch, timezone.now())

    def __call__(self, item: IncomingActivity) -> tuple[int | None, dict[str, list[str]]]:
        """The item's lead id and, when it cannot be recorded, why (by field)."""
        lead_id = self.lead_by_id.get(item.lead_id) if item.lead_id else (
            self.lead_by_email.get(item.email)
        )  # fmt: skip
        if lead_id is None:
            name = "lead" if item.lead_id else "email"
            return None, {name: [_("No lead you can see has this id or email.")]}
        if item.campaign_id and item.campaign_id not in self.campaigns:
            return lead_id, {"campaign": [_("No campaign has this id.")]}
        if item.kind in Activity.SALES_KINDS:
            if not self.may_touch:
                return lead_id, {"kind": [sales_touch_refused()]}
            error = work.touch_time_error(
                item.occurred_at or self.now, claimed_at=self.claimed_at.get(lead_id), now=self.now
            )
            if error:
                return lead_id, {"occurred_at": [error]}
        return lead_id, {}


def _leads(
    leads: LeadQuerySet, items: list[IncomingActivity]
) -> tuple[dict[int, int], dict[str, int]]:
    ids = {item.lead_id for item in items if item.lead_id}
    emails = {crm.normalise_email(item.email) for item in items if not item.lead_id}
    by_id = {pk: pk for pk in leads.filter(pk__in=ids).values_list("pk", flat=True)} if ids else {}
    by_email: dict[str, int] = {}
    if emails:
        by_email = dict(leads.with_emails(emails).values_list("email_ci", "pk"))  # type: ignore[misc]
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
    *,
    leads: LeadQuerySet,
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
    # Only the known activities the caller may see are answered as known.
    known_ids = dict(
        Activity.objects.filter(external_id__in=known, lead__in=leads).values_list(
            "external_id", "pk"
        )
    )
    for external_id, (i, _row) in with_id.items():
        if external_id in new_ids:
            results[i].id = new_ids[external_id]
        elif external_id in known_ids:
            results[i].status, results[i].id = KNOWN, known_ids[external_id]
        else:
            results[i].status = REJECTED
            results[i].errors = {"external_id": [external_id_taken()]}
    created = Activity.objects.bulk_create([activity for _i, activity in without_id])
    for (i, _activity), activity in zip(without_id, created, strict=True):
        results[i].id = activity.pk
    # Duplicates within the batch point at the activity their first copy made.
    ids_by_external = {**known_ids, **new_ids}
    for result in results:
        if result.status == KNOWN and result.id is None and result.external_id:
            if result.external_id in ids_by_external:
                result.id = ids_by_external[result.external_id]
            else:  # its first copy named an activity the caller may not see
                result.status, result.errors = REJECTED, {"external_id": [external_id_taken()]}
    new = [*new_ids.values(), *(activity.pk for activity in created)]
    work.record_first_touches(new)
    if new:
        # Consumed by handoff.consumers.process_activity_batch_event (scoring).
        outbox.emit(Topic.ACTIVITIES_RECORDED, {"activity_ids": sorted(new)})
