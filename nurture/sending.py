"""Sending an email to a segment: exactly once per recipient, only with consent.

1. `start_send` copies the email into a Send and queues the job.
2. The job claims the send, then writes one Delivery row per lead of the
   segment (unique per send and lead) in the same transaction.
3. In batches: claim waiting rows (a conditional update; SKIP LOCKED on
   PostgreSQL), re-read consent (only of the bases the segment chose when
   the send started, Send.consent_bases), send the consenting ones over one
   connection, mark them sent. A claimed row is never sent again: a worker
   killed between claim and send loses those messages rather than sending
   anything twice.
4. Between batches the job honours the rate limit, a stop, and unsubscribes
   (consent is read again for every batch, right before it goes out).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from crm.models import Lead, StageChange
from nurture import rendering, tokens
from nurture.models import Delivery, Email, Segment, Send

logger = logging.getLogger(__name__)

# A running send whose worker has not written a heartbeat for this long is
# taken over by the sweep (kept above the longest batch).
STALE_AFTER = timedelta(minutes=2)


def absolute(path: str) -> str:
    return settings.BATON_BASE_URL.rstrip("/") + path


@transaction.atomic
def start_send(email: Email, *, segment: Segment, by: User) -> Send:
    """Queue `email` to `segment`; the job starts after commit (and the sweep
    starts it if that message is lost)."""
    from nurture import tasks

    send = Send.objects.create(
        email=email,
        segment=segment,
        campaign=email.campaign,
        language=email.language,
        from_name=email.from_name,
        from_email=email.from_email,
        subject=email.subject,
        body=email.body,
        consent_bases=list(segment.consent_bases),
        created_by=by,
    )
    # robust: with the broker down the send stays queued and the sweep
    # (resume_stalled_sends) starts it a minute later; the request succeeds.
    transaction.on_commit(lambda: tasks.run_send.delay(send.pk), robust=True)
    return send


def claim_send(send_id: int) -> bool:
    """Take the send for this worker; False when another worker has it or it
    is finished. A queued send gets its recipients written in the same
    transaction, so a crash leaves it queued, not half-written."""
    now = timezone.now()
    with transaction.atomic():
        if Send.objects.filter(pk=send_id, status=Send.Status.QUEUED).update(
            status=Send.Status.RUNNING, started_at=now, heartbeat_at=now
        ):
            send = Send.objects.get(pk=send_id)
            write_recipients(send)
            return True
    stale = now - STALE_AFTER
    return bool(
        Send.objects.filter(pk=send_id, status=Send.Status.RUNNING)
        .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale))
        .update(heartbeat_at=now)
    )


def write_recipients(send: Send) -> int:
    """One waiting Delivery per lead of the segment, in one INSERT … SELECT
    (a second run adds nothing: ON CONFLICT on the unique (send, lead))."""
    leads = send.segment.leads().order_by().values("pk")
    sql, params = leads.query.sql_with_params()
    table = Delivery._meta.db_table
    # The table from model metadata and the SELECT compiled by Django; values
    # are parameters. WHERE: SQLite cannot tell ON CONFLICT from a join without it.
    insert = f"INSERT INTO {table} (send_id, lead_id, status) SELECT %s, sub.pk, %s FROM ({sql}) sub WHERE 1 = 1 ON CONFLICT (send_id, lead_id) DO NOTHING"  # nosec B608  # noqa: E501
    with connection.cursor() as cursor:
        cursor.execute(insert, [send.pk, str(Delivery.Status.PENDING), *params])
    send.total = Delivery.objects.filter(send=send).count()
    send.save(update_fields=["total"])
    return send.total


def claim_batch(send: Send, *, size: int) -> list[int]:
    """Mark up to `size` waiting rows as being sent by this worker; their ids.
    Two workers on one send claim different rows (SKIP LOCKED, and the
    conditional update for databases without it)."""
    with transaction.atomic():
        waiting = Delivery.objects.filter(send=send, status=Delivery.Status.PENDING)
        if connection.features.has_select_for_update_skip_locked:
            waiting = waiting.select_for_update(skip_locked=True)
        ids = list(waiting.order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.CLAIMED, claimed_at=timezone.now()
        )
    return ids


def send_batch(send: Send, *, size: int) -> int:
    """Claim and send one batch; how many rows it took (0: none left)."""
    ids = claim_batch(send, size=size)
    if not ids:
        return 0
    deliveries = list(
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.CLAIMED)
        .select_related("lead__company")
        .order_by("pk")
    )
    # Consent read now, right before sending: an unsubscribe a moment ago
    # counts. Only the bases the segment chose when the send started.
    allowed = set(
        send.reachable(Lead.objects.filter(pk__in=[d.lead_id for d in deliveries])).values_list(
            "pk", flat=True
        )
    )
    skipped = [d.pk for d in deliveries if d.lead_id not in allowed]
    if skipped:
        Delivery.objects.filter(pk__in=skipped).update(status=Delivery.Status.SKIPPED)
    to_send = [d for d in deliveries if d.lead_id in allowed]
    sent: list[int] = []
    try:
        with get_connection() as mail:
            for delivery in to_send:
                message = build_message(send, delivery)
                message.connection = mail
                message.send()
                sent.append(delivery.pk)
    except Exception:
        # The one that failed may or may not have left: never send it again.
        # Those not tried yet wait for the retry.
        failed = to_send[len(sent)].pk if len(sent) < len(to_send) else None
        untried = [d.pk for d in to_send[len(sent) + 1 :]]
        Delivery.objects.filter(pk__in=untried).update(
            status=Delivery.Status.PENDING, claimed_at=None
        )
        if failed:
            Delivery.objects.filter(pk=failed).update(status=Delivery.Status.FAILED)
        raise
    finally:
        if sent:
            Delivery.objects.filter(pk__in=sent).update(
                status=Delivery.Status.SENT, sent_at=timezone.now()
            )
    return len(ids)


def build_message(send: Send, delivery: Delivery) -> EmailMultiAlternatives:
    """The message for one recipient, with its tracked links, open pixel and
    one-click unsubscribe (RFC 8058: List-Unsubscribe and List-Unsubscribe-Post)."""
    unsubscribe_url = tracked_url(
        "nurture:unsubscribe", tokens.make(tokens.UNSUBSCRIBE, delivery.pk)
    )
    rendered = rendering.render(
        subject=send.subject,
        body=send.body,
        language=send.language,
        from_name=send.from_name,
        from_email=send.from_email,
        lead=delivery.lead,
        link=click_link(delivery.pk),
        unsubscribe_url=unsubscribe_url,
        open_url=tracked_url("nurture:open", tokens.make(tokens.OPEN, delivery.pk)),
    )
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=rendered.from_header,
        to=[delivery.lead.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Baton-Send": str(send.pk),
        },
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def click_link(delivery_id: int) -> Callable[[str], str]:
    def link(url: str) -> str:
        return tracked_url("nurture:click", tokens.make(tokens.CLICK, [delivery_id, url]))

    return link


PLACEHOLDER = "__token__"


def tracked_url(name: str, token: str) -> str:
    """The absolute URL of a tracking view for `token`. The URL around the
    token is reversed once per process, not once per message (reverse() was
    a tenth of a send's time)."""
    return _url_around_token(name, settings.BATON_BASE_URL).replace(PLACEHOLDER, token)


@functools.lru_cache(maxsize=16)
def _url_around_token(name: str, base_url: str) -> str:
    return base_url.rstrip("/") + reverse(name, args=[PLACEHOLDER])


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def run(send_id: int, *, budget_seconds: float | None = None) -> bool:
    """Send batches for up to `budget_seconds`, at the configured rate.

    Returns True when the send is finished (or stopped), False when time ran
    out and the caller should queue the rest as a new job. Safe to run twice:
    the send and each batch are claimed with conditional updates.
    """
    if not claim_send(send_id):
        return True
    send = Send.objects.get(pk=send_id)
    size = settings.NURTURE_BATCH_SIZE
    rate = settings.NURTURE_SEND_RATE_PER_SECOND
    budget = settings.NURTURE_JOB_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    try:
        while time.monotonic() < deadline:
            if Send.objects.filter(pk=send_id, status=Send.Status.CANCELLED).exists():
                return True
            began = time.monotonic()
            taken = send_batch(send, size=size)
            if not taken:
                finish(send)
                return True
            Send.objects.filter(pk=send_id).update(heartbeat_at=timezone.now())
            if rate:
                time.sleep(max(0.0, taken / rate - (time.monotonic() - began)))
        return False
    finally:
        # Let the next job (the continuation, a retry or the sweep) take it at once.
        Send.objects.filter(pk=send_id, status=Send.Status.RUNNING).update(heartbeat_at=None)


def finish(send: Send) -> None:
    Send.objects.filter(pk=send.pk, status=Send.Status.RUNNING).update(
        status=Send.Status.DONE, finished_at=timezone.now()
    )


def cancel_send(send: Send) -> bool:
    """Stop a send: no batch starts after this. False when it had finished."""
    return bool(
        Send.objects.filter(
            pk=send.pk, status__in=[Send.Status.QUEUED, Send.Status.RUNNING]
        ).update(status=Send.Status.CANCELLED, finished_at=timezone.now())
    )


def stalled_sends() -> list[int]:
    """Sends that should be moving and are not: queued a while ago (the job's
    message was lost) or running without a heartbeat (the worker died)."""
    now = timezone.now()
    return list(
        Send.objects.filter(
            Q(status=Send.Status.QUEUED, created_at__lt=now - timedelta(minutes=1))
            | Q(status=Send.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
            | Q(status=Send.Status.RUNNING, heartbeat_at__isnull=True)
        ).values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Results:
    total: int
    delivered: int
    skipped: int
    failed: int
    waiting: int
    opened: int
    clicked: int
    unsubscribed: int
    mqls: int

    @property
    def done(self) -> int:
        return self.total - self.waiting

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100

    def rate(self, count: int) -> float | None:
        return round(100 * count / self.delivered, 1) if self.delivered else None

    @property
    def open_rate(self) -> float | None:
        return self.rate(self.opened)

    @property
    def click_rate(self) -> float | None:
        return self.rate(self.clicked)


def results(send: Send) -> Results:
    """What the send did: two queries, however many recipients."""
    d = Delivery.Status
    counts = Delivery.objects.filter(send=send).aggregate(
        total=Count("pk"),
        delivered=Count("pk", filter=Q(status=d.SENT)),
        skipped=Count("pk", filter=Q(status=d.SKIPPED)),
        failed=Count("pk", filter=Q(status=d.FAILED)),
        waiting=Count("pk", filter=Q(status__in=[d.PENDING, d.CLAIMED])),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
    )
    # Leads that became MQL after the send reached them.
    mqls = (
        StageChange.objects.filter(
            to_stage=Lead.Stage.MQL,
            changed_at__gte=send.started_at or send.created_at,
            lead__in=Delivery.objects.filter(send=send, status=d.SENT).values("lead"),
        )
        .values("lead")
        .distinct()
        .count()
    )
    if not send.is_active:
        counts["waiting"] = 0  # a stopped send's waiting rows will not go out
    return Results(mqls=mqls, **counts)
