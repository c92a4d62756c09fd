"""Website visits: joining collected page views to the leads behind them.

The collection endpoint only inserts PageView rows. This worker step, run by
beat every few seconds, does the rest:
1. identifies visitors: a signed lead token from a tracked email link, or a
   capture whose activity carries the visitor id (the submit that created
   the lead, or a confirmation the person clicked: crm never vouches for a
   visitor id sent with a known lead's address);
2. turns the views of identified visitors into page_view activities (one
   outbox event per batch, so the worker scores them and hands off) and
   deletes those rows in the same transaction; a view whose address carries
   utm_* parameters is attributed to the campaign they name and counts as
   the lead's first or latest touch (crm/attribution.py);
3. `purge_anonymous` deletes views whose visitor never identified, after
   NURTURE_ANONYMOUS_VISIT_DAYS.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.utils import timezone

from crm import attribution, outbox
from crm.attribution import TouchData, Utm
from crm.models import Activity, Lead
from crm.topics import Topic
from nurture import tokens
from nurture.models import JoinCursor, PageView, Visitor

CAPTURE_CURSOR = "capture"


def visitor_token(lead_id: int) -> str:
    """What a tracked email link adds for the website script: proof of who
    clicked, checked by the worker, never by the collection endpoint."""
    return tokens.make(tokens.VISITOR, lead_id)


def identify(visitor_id: str, lead_id: int) -> None:
    """Remember that `visitor_id` is this lead (the latest identification wins)."""
    Visitor.objects.update_or_create(
        visitor_id=visitor_id, defaults={"lead_id": lead_id, "identified_at": timezone.now()}
    )


def identify_from_tokens(*, limit: int = 5000) -> int:
    """Visitors who arrived through a tracked email link."""
    rows = list(
        PageView.objects.exclude(identity="").values_list("pk", "visitor_id", "identity")[:limit]
    )
    # A token from an email sent before an erasure names a lead that is nobody now.
    leads = Lead.objects.filter(pk__in=_token_leads(rows), erased_at__isnull=True)
    known = set(leads.values_list("pk", flat=True))
    found = 0
    for _pk, visitor_id, token in rows:
        lead_id = _lead_of(token)
        if lead_id in known:
            identify(visitor_id, lead_id)
            found += 1
    PageView.objects.filter(pk__in=[pk for pk, _v, _t in rows]).update(identity="")
    return found


def _lead_of(token: str) -> int | None:
    try:
        value = tokens.read(tokens.VISITOR, token)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def _token_leads(rows: list[tuple[int, str, str]]) -> set[int]:
    return {lead_id for _pk, _v, token in rows if (lead_id := _lead_of(token)) is not None}


def identify_from_captures(*, limit: int = 5000) -> int:
    """Visitors who submitted a capture form: crm records the visitor id the
    script added to the form in the form_submit activity (or, for a known
    lead, in the activity of the confirmation the person clicked). Read from
    a high-water mark on the activity id, so each is read once."""
    cursor, _created = JoinCursor.objects.get_or_create(name=CAPTURE_CURSOR)
    submits = list(
        Activity.objects.filter(
            pk__gt=cursor.last_id, kind__in=[Activity.Kind.FORM_SUBMIT, Activity.Kind.CONFIRMED]
        )
        .order_by("pk")
        .values_list("pk", "lead_id", "details")[:limit]
    )
    found = 0
    for _pk, lead_id, details in submits:
        form = details.get("form") if isinstance(details, dict) else None
        visitor_id = form.get("visitor_id") if isinstance(form, dict) else None
        if isinstance(visitor_id, str) and visitor_id:
            identify(visitor_id, lead_id)
            found += 1
    if submits:
        JoinCursor.objects.filter(name=CAPTURE_CURSOR).update(last_id=submits[-1][0])
    return found


@transaction.atomic
def record_known_views(*, limit: int = 2000) -> int:
    """Turn the views of identified visitors into page_view activities and
    delete them from the waiting table, in one transaction: a view becomes
    an activity exactly once (the external id backs this up)."""
    # Checked at every join, in the same statement: a mapping written for a
    # lead while it was being erased joins nothing (crm.privacy).
    identified = Visitor.objects.filter(lead__erased_at__isnull=True).values("visitor_id")
    views = PageView.objects.filter(visitor_id__in=identified).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        views = views.select_for_update(skip_locked=True)
    rows = list(views[:limit])
    if not rows:
        return 0
    leads = dict(
        Visitor.objects.filter(
            visitor_id__in={r.visitor_id for r in rows}, lead__erased_at__isnull=True
        ).values_list("visitor_id", "lead_id")
    )
    rows = [row for row in rows if row.visitor_id in leads]  # erased in between
    if not rows:
        return 0
    utms = [Utm.from_url(row.url) for row in rows]
    campaigns = attribution.campaign_ids(utms)
    activities = Activity.objects.bulk_create(
        [
            Activity(
                lead_id=leads[row.visitor_id],
                kind=Activity.Kind.PAGE_VIEW,
                occurred_at=row.occurred_at,
                campaign_id=campaigns.get(utm.campaign.casefold()),
                details={"url": row.url, "title": row.title, **_utm_details(utm)},
                external_id=f"nurture:view:{row.pk}",
                channel=Activity.Channel.TRACKING,
            )
            for row, utm in zip(rows, utms, strict=True)
        ]
    )
    attribution.record_touches(
        [
            TouchData(a.lead_id, a.occurred_at, a.kind, utm, a.campaign_id, a.pk)
            for a, utm in zip(activities, utms, strict=True)
            if utm
        ]
    )
    PageView.objects.filter(pk__in=[row.pk for row in rows]).delete()
    # Consumed by handoff.consumers.process_activity_batch_event (scoring).
    outbox.emit(Topic.ACTIVITIES_RECORDED, {"activity_ids": [a.pk for a in activities]})
    return len(rows)


def _utm_details(utm: Utm) -> dict[str, dict[str, str]]:
    return {"utm": utm.as_dict()} if utm else {}


def join_visits() -> int:
    """Steps 1 and 2; returns how many views became activities."""
    identify_from_tokens()
    identify_from_captures()
    total = 0
    while written := record_known_views():
        total += written
    return total


def purge_anonymous(*, now: datetime | None = None) -> int:
    """Delete anonymous views older than the retention; how many."""
    days = settings.NURTURE_ANONYMOUS_VISIT_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = PageView.objects.filter(occurred_at__lt=cutoff).delete()
    return deleted
