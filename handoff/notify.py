"""Telling people about handoffs: in the app, and (as the policy says) by email
and on the team's chat.

`send` is the one entry point: it records one in-app notification per
recipient (at most one per recipient, handoff and kind, so a retried task adds
nothing) and, in the same transaction, writes the outbox events that email
those recipients and post to the chat webhook. The consumers of those events
(`email_notifications_event`, `deliver_chat_event`, run by handoff.tasks) send
each email and each chat message once, however often they are delivered.

Each email is written in its recipient's language (their preference,
accounts.models.LanguagePreference, else the site's); in-app notifications
keep a kind and are worded when read, in the reader's language; the chat
message is in the language the policy sets for the team's channel.
"""

from __future__ import annotations

import logging
import random
import secrets
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import language_of
from crm import outbox
from crm.models import OutboxEvent
from crm.topics import Topic
from handoff import chat_webhook
from handoff.models import ChatDelivery, Handoff, HandoffPolicy, Notification
from web.people import person
from webhooks import sender

logger = logging.getLogger(__name__)

# The first try and up to seven retries, 10 s to 10 min apart (about 30 min in all).
CHAT_MAX_ATTEMPTS = 8
# Jitter for the chat backoff, so that deliveries failing together do not all
# come back together.
_jitter = random.Random()  # nosec B311  # retry jitter, not security
# Permissions are granted through groups, which ModelBackend reads; with_perm()
# must be told so once django-axes adds its backend.
PERMISSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def sales_reps() -> list[User]:
    """Active users in the sales role (the sales group, which grants claiming
    handoffs). Administrators hold every permission but are not reps: routing
    never picks them."""
    return list(sales_rep_queryset().order_by("pk"))


def sales_rep_queryset() -> QuerySet[User]:
    """sales_reps(), unevaluated (for a form or serializer field's choices).

    By membership of the role's group, not by permission: the sales group
    grants claim_handoff, and a query through the permission tables cost a
    crossing about 1.5 ms more to build and plan, on the path the handoff
    latency benchmark measures."""
    return get_user_model().objects.filter(is_active=True, groups__name="sales")


def managers() -> list[User]:
    """Active users who oversee handoffs (they may reassign them)."""
    user_model = get_user_model()
    return list(
        user_model.objects.with_perm(
            "handoff.reassign_handoff", include_superusers=False, backend=PERMISSION_BACKEND
        ).filter(is_active=True)
    )


def send(
    handoff: Handoff,
    kind: str,
    recipients: Iterable[User],
    *,
    policy: HandoffPolicy | None = None,
) -> list[Notification]:
    """Notify each recipient once of `kind` about `handoff` in its current
    routing round.

    In the app always; by email when the policy says so; on the chat webhook,
    once per handoff and kind whoever the recipients, when one is configured.
    Emails and chat messages leave after commit (through the outbox).
    """
    policy = policy or HandoffPolicy.current()
    users = list(recipients)
    rows = [
        Notification(
            recipient=user, handoff=handoff, kind=kind, routing_round=handoff.routing_round
        )
        for user in users
    ]
    # A transaction if the caller has none; no savepoint if it has one (a
    # failure here fails the caller's transaction anyway).
    with transaction.atomic(savepoint=False):
        # A row from an earlier call (a retry) is kept as it is; its id comes
        # back all the same (ON CONFLICT DO UPDATE … RETURNING).
        Notification.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["recipient", "handoff", "kind", "routing_round"],
            update_fields=["kind"],
        )
        if policy.notify_by_email and rows:
            # Listed again if an earlier call queued it: the consumer sends
            # each row once.
            # Consumed by email_notifications_event, below.
            outbox.emit(
                Topic.NOTIFICATION_EMAIL, {"notification_ids": sorted(row.pk for row in rows)}
            )
        if policy.chat_webhook_url:
            _queue_chat_message(handoff, kind, url=policy.chat_webhook_url)
    return rows


def _queue_chat_message(handoff: Handoff, kind: str, *, url: str) -> None:
    # One message per handoff and kind (the unique constraint decides between
    # concurrent callers); only the call that creates the row queues it.
    delivery, created = ChatDelivery.objects.get_or_create(
        handoff=handoff, kind=kind, defaults={"url": url}
    )
    if created:
        # Consumed by deliver_chat_event, below.
        outbox.emit(Topic.NOTIFICATION_CHAT, {"delivery_id": delivery.pk})


# --- What a message says ------------------------------------------------------


@dataclass(frozen=True)
class LeadSummary:
    """The handed-off lead as an email or a chat message presents it."""

    name: str
    company: str
    campaign: str
    fit: int
    engagement: int
    rep: str
    url: str

    @property
    def name_and_company(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name


def summarize(handoff: Handoff) -> LeadSummary:
    """Call under the reader's language: the name order follows it (family name
    first in Japanese). Scores are those at the handoff, as the queue shows them."""
    lead = handoff.lead
    return LeadSummary(
        name=lead.display_name or lead.email,
        company=lead.company.name if lead.company else "",
        campaign=lead.source_campaign.name if lead.source_campaign else "",
        fit=handoff.fit_at_handoff,
        engagement=handoff.engagement_at_handoff,
        rep=person(handoff.claimed_by),
        url=absolute_url(lead.get_absolute_url()),
    )


def absolute_url(path: str) -> str:
    """A link for a message read outside the site (BATON_BASE_URL + path)."""
    return settings.BATON_BASE_URL.rstrip("/") + path


def _load_handoff(handoff_id: int) -> Handoff:
    return Handoff.objects.select_related(
        "lead", "lead__company", "lead__source_campaign", "claimed_by"
    ).get(pk=handoff_id)


# --- Email --------------------------------------------------------------------


def email_notifications_event(event_id: int) -> int:
    """Consume a notifications.email event: email each notification it lists to
    its recipient, once. Returns how many emails went out.

    The event's notifications are locked together, each sent only while its
    emailed_at is empty, over one connection to the mail server, and marked
    in the same transaction; so two deliveries of the event cannot both send
    one. One window remains: if the process dies after the mail server
    accepted a message and before the commit, emailed_at is not recorded and
    the redelivered event sends it again. SMTP offers no way to close it; it
    is one duplicate email at worst, never a lost one.

    A mail server that cannot be reached leaves the event unprocessed: the
    outbox sweep delivers it again later, and the notifications emailed before
    the failure are marked and skipped then.
    """
    with transaction.atomic():
        event = OutboxEvent.objects.filter(pk=event_id, processed_at__isnull=True).first()
        if event is None:
            return 0
        notifications = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient", "recipient__language_preference")
            .filter(pk__in=event.payload["notification_ids"], emailed_at__isnull=True)
            .order_by("pk")
        )
        sent: list[int] = []
        try:
            _send_emails(list(notifications), sent)
        except (smtplib.SMTPException, OSError) as error:
            logger.warning("notify: email of event %s failed (%s); will retry", event_id, error)
        else:
            outbox.mark_processed(event_id)
        finally:
            Notification.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    return len(sent)


def _send_emails(notifications: list[Notification], sent: list[int]) -> None:
    """Send each notification's email over one connection, noting in `sent`
    the ones the mail server accepted. The reps of one handoff who read one
    language get the same words: rendered once per language."""
    rendered: dict[tuple[int, str, str], RenderedEmail] = {}
    with mail.get_connection() as connection:
        for notification in notifications:
            recipient = notification.recipient
            if not recipient.email or not recipient.is_active:
                continue
            language = language_of(recipient)
            key = (notification.handoff_id, notification.kind, language)
            if key not in rendered:
                rendered[key] = render_email(
                    notification.kind,
                    handoff=_load_handoff(notification.handoff_id),
                    language=language,
                )
            message = rendered[key].to(recipient.email)
            message.connection = connection
            try:
                message.send()
            except smtplib.SMTPRecipientsRefused as refused:
                # This address will not work later either: log it, leave the row.
                logger.warning("notify: %s refused for notification %s", refused, notification.pk)
                continue
            sent.append(notification.pk)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str

    def to(self, address: str) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(subject=self.subject, body=self.text, to=[address])
        message.attach_alternative(self.html, "text/html")
        return message


def build_email(notification: Notification, *, handoff: Handoff) -> EmailMultiAlternatives:
    """The email for one notification, in plain text and HTML, in its recipient's language."""
    recipient = notification.recipient
    words = render_email(notification.kind, handoff=handoff, language=language_of(recipient))
    return words.to(recipient.email)


def render_email(kind: str, *, handoff: Handoff, language: str) -> RenderedEmail:
    """The words of a notification email of `kind` about `handoff`, in `language`.

    Templates: emails/handoff_<kind>_subject.txt, _body.txt and _body.html.
    """
    with translation.override(language):
        context = {
            "kind_label": Notification.Kind(kind).label,
            "lead": summarize(handoff),
        }
        subject = render_to_string(f"emails/handoff_{kind}_subject.txt", context)
        text = render_to_string(f"emails/handoff_{kind}_body.txt", context)
        html = render_to_string(f"emails/handoff_{kind}_body.html", context)
    return RenderedEmail(
        subject=" ".join(subject.split()),  # one line, whatever the template's whitespace
        text=text.strip() + "\n",
        html=html,
    )


# --- Chat ---------------------------------------------------------------------

CHAT_TEXTS = {
    Notification.Kind.NEW_HANDOFF: _(
        "New qualified lead: %(lead)s (fit %(fit)s, engagement %(engagement)s)"
    ),
    Notification.Kind.ASSIGNED: _("%(lead)s was assigned to %(rep)s"),
    Notification.Kind.SLA_BREACH: _("First-touch SLA breached: %(lead)s (%(rep)s)"),
    Notification.Kind.RETURNED: _("Untouched claim returned to the queue: %(lead)s"),
}


def chat_text(kind: str, lead: LeadSummary) -> str:
    """The chat line for a notification of `kind`, in the active language."""
    return str(CHAT_TEXTS[Notification.Kind(kind)]) % {
        "lead": lead.name_and_company,
        "fit": lead.fit,
        "engagement": lead.engagement,
        "rep": lead.rep or _("not claimed"),
    }


def deliver_chat_event(event_id: int, *, attempt: int | None = None) -> sender.Retry | None:
    """Consume a notifications.chat event: make one attempt at its chat delivery.

    1. Lock the delivery row. Stop when it is delivered or failed already, or
       when `attempt` (set by a retry) is not the next attempt any more:
       another run made it.
    2. Post the message. Delivered, or refused for good (a refused address, a
       redirect, a 4xx, the last attempt): record it and mark the event
       processed in the same transaction.
    3. A retryable failure: record the attempt and return when to retry (the
       task schedules it). The event stays unprocessed, its publish dated at
       the retry's due time, so the outbox sweep steps in only when the retry
       message is lost. Where tasks run in-process nothing is scheduled and
       the sweep is the retry, about a minute apart (crm.outbox.publish dates
       the publish after the in-process run, overwriting that date).

    The row lock is held while posting (at most the post's timeout), so a
    duplicate run waits and then finds the delivery settled. One window
    remains: if the process dies after the webhook accepted the message and
    before the commit, the message is posted again on redelivery.
    """
    event = OutboxEvent.objects.filter(pk=event_id, processed_at__isnull=True).first()
    if event is None:
        return None
    with transaction.atomic():
        delivery = (
            ChatDelivery.objects.select_for_update().filter(pk=event.payload["delivery_id"]).first()
        )
        if delivery is None or delivery.status != ChatDelivery.Status.PENDING:
            outbox.mark_processed(event_id)
            return None
        if attempt is not None and delivery.attempts != attempt:
            return None
        with translation.override(HandoffPolicy.current().chat_language or settings.LANGUAGE_CODE):
            lead = summarize(_load_handoff(delivery.handoff_id))
            payload = chat_webhook.slack_payload(chat_text(delivery.kind, lead), lead.url)
        delivery.attempts += 1
        try:
            sender.post_message(delivery.url, signing_secret(), payload)
        except sender.DeliveryError as error:
            delivery.last_error = str(error)[:300]
            if error.retryable and delivery.attempts < CHAT_MAX_ATTEMPTS:
                delivery.save(update_fields=["attempts", "last_error"])
                countdown = sender.backoff_seconds(delivery.attempts - 1, rng=_jitter)
                outbox.leave_to_retry(event_id, seconds=countdown)
                return sender.Retry(attempt=delivery.attempts, countdown=countdown)
            delivery.status = ChatDelivery.Status.FAILED
            logger.warning("notify: chat delivery %s failed: %s", delivery.pk, error)
        else:
            delivery.status = ChatDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
        delivery.save(update_fields=["status", "attempts", "last_error", "delivered_at"])
        outbox.mark_processed(event_id)
    return None


def signing_secret() -> bytes:
    """The key that signs chat messages: the policy's secret (its text, as ASCII).

    A policy whose URL was set without one (not through a form) gets one now.
    """
    policy = HandoffPolicy.current()
    if not policy.chat_webhook_secret:
        HandoffPolicy.objects.filter(pk=policy.pk, chat_webhook_secret="").update(  # nosec B106  # compares with the empty secret; the new one comes from secrets
            chat_webhook_secret=secrets.token_hex(32)
        )
        policy.refresh_from_db(fields=["chat_webhook_secret"])
    return policy.chat_webhook_secret.encode()


# --- Policy settings (for the policy form and the admin) ----------------------


def clean_chat_webhook_url(value: str) -> str:
    """A form's clean_chat_webhook_url: empty, or an https URL whose host resolves
    only to public addresses (ValidationError otherwise)."""
    url = (value or "").strip()
    return sender.validate_webhook_url(url) if url else ""


def ensure_chat_webhook_secret(policy: HandoffPolicy) -> None:
    """Before saving a policy: give it a signing secret once it has a webhook URL.

    The secret is kept when the URL changes; receivers verify with it.
    """
    if policy.chat_webhook_url and not policy.chat_webhook_secret:
        policy.chat_webhook_secret = secrets.token_hex(32)
