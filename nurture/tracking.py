"""What recipients do with a sent email: open, click, unsubscribe.

Opens and clicks become crm activities through crm.services.record_activity,
the path captures take: the outbox event makes a worker score them and hand
the lead off when it crosses the threshold. External ids make each count once.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from crm import services as crm
from crm.models import Activity, Consent
from nurture import rendering
from nurture.models import Delivery
from nurture.sending import url_key


class LinkRefused(Exception):
    """The click's link is not one of the message's links."""


def _delivery(delivery_id: int) -> Delivery | None:
    """The delivery, unless its recipient was erased: an old email's opens and
    clicks join nobody (crm.privacy)."""
    return (
        Delivery.objects.select_related("send__campaign", "lead")
        .filter(pk=delivery_id, lead__erased_at__isnull=True)
        .first()
    )


def _subject(delivery: Delivery) -> str:
    """The subject as this recipient read it, for the timeline."""
    values = rendering.merge_values(delivery.lead, delivery.send.language)
    return rendering.fill(delivery.send.subject, values)


@transaction.atomic
def record_open(delivery_id: int) -> bool:
    """Note the open once; True when this was the first."""
    delivery = _delivery(delivery_id)
    if delivery is None or delivery.status != Delivery.Status.SENT:
        return False
    now = timezone.now()
    Delivery.objects.filter(pk=delivery_id, opened_at__isnull=True).update(opened_at=now)
    _activity, created = crm.record_activity(
        delivery.lead,
        kind=Activity.Kind.EMAIL_OPEN,
        campaign=delivery.send.campaign,
        details={"send": delivery.send_id, "subject": _subject(delivery)},
        external_id=f"nurture:open:{delivery_id}",
        occurred_at=now,
        channel=Activity.Channel.TRACKING,
    )
    return created


@transaction.atomic
def record_click(delivery_id: int, url: str) -> Delivery:
    """Note a click on `url`, once per link; raises LinkRefused when the link
    is not in the message that was sent (no open redirect, even when signed)."""
    delivery = _delivery(delivery_id)
    if delivery is None or url not in rendering.links(delivery.send.body):
        raise LinkRefused(url)
    now = timezone.now()
    Delivery.objects.filter(pk=delivery_id, clicked_at__isnull=True).update(clicked_at=now)
    # A click proves the message was opened, images blocked or not.
    Delivery.objects.filter(pk=delivery_id, opened_at__isnull=True).update(opened_at=now)
    crm.record_activity(
        delivery.lead,
        kind=Activity.Kind.EMAIL_CLICK,
        campaign=delivery.send.campaign,
        details={"url": url, "send": delivery.send_id, "subject": _subject(delivery)},
        external_id=f"nurture:click:{delivery_id}:{url_key(url)}",
        occurred_at=now,
        channel=Activity.Channel.TRACKING,
    )
    return delivery


@transaction.atomic
def unsubscribe(delivery: Delivery) -> bool:
    """Withdraw every consent of the recipient, at once: the next batch of any
    send reads consent again and skips them. True when something changed."""
    now = timezone.now()
    withdrawn = Consent.objects.filter(lead_id=delivery.lead_id, withdrawn_at__isnull=True).update(
        withdrawn_at=now
    )
    marked = Delivery.objects.filter(pk=delivery.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now
    )
    return bool(withdrawn or marked)
