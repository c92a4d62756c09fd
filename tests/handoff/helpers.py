"""What the handoff lifecycle tests share: Tokyo times, deadlines, who was told."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from audit.models import AuditEntry
from handoff.business_hours import BusinessHours
from handoff.models import Handoff, Notification, SlaDeadline

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST_TOUCH = SlaDeadline.Kind.FIRST_TOUCH
CLAIM_TIMEOUT = SlaDeadline.Kind.CLAIM_TIMEOUT


def tokyo(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def deadline(handoff: Handoff, kind: str) -> SlaDeadline:
    """The handoff's latest deadline of `kind`."""
    return SlaDeadline.objects.filter(handoff=handoff, kind=kind).latest("pk")


def breach_notices() -> list[str]:
    return sorted(
        Notification.objects.filter(kind=Notification.Kind.SLA_BREACH).values_list(
            "recipient__username", flat=True
        )
    )


def business_morning_ahead() -> datetime:
    """10:00 in Tokyo on a business day at least a week after the real date:
    a deadline opened there is still ahead on the database's clock."""
    hours = BusinessHours()
    day = datetime.now(TOKYO).date() + timedelta(days=7)
    while not hours.is_business_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=TOKYO)


def open_kinds(handoff: Handoff) -> set[str]:
    return set(handoff.deadlines.filter(settled_at__isnull=True).values_list("kind", flat=True))


def notified(kind: str) -> list[str]:
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


def audit_statuses(handoff: Handoff) -> list[list[str]]:
    entries = AuditEntry.objects.filter(object_type="handoff", object_id=str(handoff.pk))
    return [entry.changes["status"] for entry in entries.order_by("pk")]
