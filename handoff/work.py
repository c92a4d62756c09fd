"""A rep's work on a handed-off lead after the claim: touches and answers.
(Its status changes, qualification and reassignment among them, are
handoff/services.py's; the deal is deals/services.py's.)"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm import services as crm
from crm.models import Activity, Answer, Campaign, Lead
from handoff import sla
from handoff.models import Handoff

# How far ahead of the server's clock a touch may be dated: the caller's
# clock may run a little fast, but a touch cannot have happened later.
TOUCH_CLOCK_SKEW = timedelta(minutes=5)


class TouchRefused(ValueError):
    """A sales touch that cannot be recorded as dated; the message says why."""


def touch_time_error(at: datetime, *, claimed_at: datetime | None, now: datetime) -> str | None:
    """Why a sales touch cannot be dated `at`, or None when it can.

    Not before the claim of the lead's live handoff (an earlier first touch
    would forge speed-to-lead) and not in the future beyond TOUCH_CLOCK_SKEW.
    The pages, the API and its batches all ask this one rule."""
    if at > now + TOUCH_CLOCK_SKEW:
        return _("A touch cannot be dated in the future.")
    if claimed_at is not None and at < claimed_at:
        return _("A touch cannot be dated before the lead was claimed (%(claimed)s).") % {
            "claimed": date_format(timezone.localtime(claimed_at), "DATETIME_FORMAT")
        }
    return None


def claimed_at_by_lead(lead_ids: Iterable[int]) -> dict[int, datetime]:
    """When each of these leads' live handoff was claimed (one query)."""
    rows = (
        Handoff.objects.worked()
        .filter(lead_id__in=lead_ids, claimed_at__isnull=False)
        .values_list("lead_id", "claimed_at")
    )
    return {lead_id: claimed_at for lead_id, claimed_at in rows if claimed_at is not None}


@transaction.atomic
def record_touch(
    lead: Lead,
    *,
    kind: str,
    by: User,
    occurred_at: datetime | None = None,
    details: dict[str, Any] | None = None,
    campaign: Campaign | None = None,
    external_id: str | None = None,
    channel: str = Activity.Channel.APP,
) -> tuple[Activity, bool]:
    """A call, sales email, meeting or note on the lead's timeline, dated
    `occurred_at` (now by default). The first one after a claim stops the SLA
    clock. Idempotent by `external_id`; returns (activity, created).

    Raises TouchRefused when the date breaks touch_time_error's rule."""
    if kind not in Activity.SALES_KINDS:
        raise ValueError(f"not a sales touch: {kind}")
    if external_id and (known := Activity.objects.filter(external_id=external_id).first()):
        return known, False  # a retry of a touch recorded before: its date was checked then
    if occurred_at is not None:
        error = touch_time_error(
            occurred_at,
            claimed_at=claimed_at_by_lead([lead.pk]).get(lead.pk),
            now=timezone.now(),
        )
        if error:
            raise TouchRefused(error)
    activity, created = crm.record_activity(
        lead,
        kind=kind,
        occurred_at=occurred_at,
        campaign=campaign,
        actor=by,
        details=details,
        external_id=external_id,
        channel=channel,
    )
    if created:
        sla.record_first_touch(lead, activity.occurred_at)
    return activity, created


def log_touch(lead: Lead, *, kind: str, note: str, by: User) -> Activity:
    """A touch logged on the lead's or handoff's page, dated now."""
    activity, _created = record_touch(
        lead, kind=kind, by=by, details={"note": note} if note else {}
    )
    return activity


def record_answer(lead: Lead, *, question: str, answer: str, source: str, by: User) -> Answer:
    """One line of the question ledger, so nobody asks the customer again."""
    return Answer.objects.create(
        lead=lead, question=question, answer=answer, source=source, recorded_by=by
    )


def record_first_touches(activity_ids: list[int]) -> None:
    """A batch of recorded activities (the API's): each sales touch among them
    stops its lead's SLA clock, at the lead's earliest touch."""
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
