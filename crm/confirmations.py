"""Double opt-in for captures of a known email address.

Anyone can post anyone's address to the capture form. What only the person
may grant — a consent to marketing email they do not have (never given, or
withdrawn by unsubscribing), and the link between the submitting browser's
visitor id and them — is asked by email:

1. `ask` writes a CaptureConfirmation and an outbox event in the capture's
   transaction (at most one request per lead an hour: a form cannot be used
   to flood someone's inbox);
2. `send_email` (a task, from the outbox) mails a signed link, once;
3. `confirm` (the person's click, then a button) records the consent with
   the confirmation as its evidence, and a `confirmed` activity that carries
   the visitor id for nurture to join the visits.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from crm import outbox
from crm.models import Activity, Campaign, CaptureConfirmation, Consent, Lead, OutboxEvent
from crm.services import record_activity
from crm.topics import Topic

logger = logging.getLogger(__name__)

ASK_AGAIN_AFTER = timedelta(hours=1)
VALID_FOR = timedelta(days=7)
_SALT = "crm.capture-confirmation"


def ask(
    lead: Lead,
    *,
    campaign: Campaign,
    activity: Activity,
    wants_consent: bool,
    policy_version: str,
    visitor_id: str,
    language: str,
    ip_address: str | None,
    user_agent: str,
) -> CaptureConfirmation | None:
    """Ask the person behind `lead` to confirm by email (inside the capture's
    transaction). None when they were asked less than an hour ago and have
    not answered: the earlier email stands."""
    waiting = CaptureConfirmation.objects.filter(
        lead=lead, confirmed_at__isnull=True, created_at__gt=timezone.now() - ASK_AGAIN_AFTER
    )
    if waiting.exists():
        return None
    confirmation = CaptureConfirmation.objects.create(
        lead=lead,
        campaign=campaign,
        activity=activity,
        wants_consent=wants_consent,
        policy_version=policy_version,
        visitor_id=visitor_id,
        language=language[:10],
        ip_address=ip_address or None,
        user_agent=user_agent[:300],
    )
    # Consumed by crm.tasks.send_capture_confirmation_event.
    # Consumed by crm.tasks.send_capture_confirmation_event (send_email, below).
    outbox.emit(Topic.CAPTURE_CONFIRMATION_EMAIL, {"confirmation_id": confirmation.pk})
    return confirmation


def token(confirmation: CaptureConfirmation) -> str:
    return signing.TimestampSigner(salt=_SALT).sign_object(confirmation.pk)


def confirmation_for(value: str) -> CaptureConfirmation | None:
    """The confirmation a link names; None when the link is forged or expired."""
    try:
        pk = signing.TimestampSigner(salt=_SALT).unsign_object(value, max_age=VALID_FOR)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(pk, int):
        return None
    return CaptureConfirmation.objects.select_related("lead", "campaign").filter(pk=pk).first()


def link(confirmation: CaptureConfirmation) -> str:
    path = reverse("capture_confirm", args=[token(confirmation)])
    return settings.BATON_BASE_URL.rstrip("/") + path


def send_email(event_id: int) -> bool:
    """Consume a confirmation-email event: mail the link, once.

    The confirmation is locked and mailed only while `emailed_at` is empty,
    and marked in the same transaction as the event, so two deliveries of the
    event send one email. A mail server that cannot be reached leaves the
    event unprocessed for the outbox sweep to deliver again.
    """
    with transaction.atomic():
        event = OutboxEvent.objects.filter(pk=event_id, processed_at__isnull=True).first()
        if event is None:
            return False
        confirmation = (
            CaptureConfirmation.objects.select_for_update(of=("self",))
            .select_related("lead", "campaign")
            .filter(pk=event.payload.get("confirmation_id"), emailed_at__isnull=True)
            .first()
        )
        if confirmation is not None:
            try:
                message(confirmation).send()
            except (smtplib.SMTPException, OSError) as error:
                logger.warning("capture: confirmation %s not sent (%s)", confirmation.pk, error)
                return False
            CaptureConfirmation.objects.filter(pk=confirmation.pk).update(emailed_at=timezone.now())
        outbox.mark_processed(event_id)
    return confirmation is not None


def message(confirmation: CaptureConfirmation) -> EmailMultiAlternatives:
    """The email, in the language of the page the form was sent from."""
    with translation.override(confirmation.language or settings.LANGUAGE_CODE):
        context = {
            "confirmation": confirmation,
            "campaign": confirmation.campaign.name if confirmation.campaign else "",
            "link": link(confirmation),
            "days": VALID_FOR.days,
        }
        subject = render_to_string("emails/capture_confirmation_subject.txt", context)
        text = render_to_string("emails/capture_confirmation_body.txt", context)
        html = render_to_string("emails/capture_confirmation_body.html", context)
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text.strip() + "\n", to=[confirmation.lead.email]
    )
    email.attach_alternative(html, "text/html")
    return email


@transaction.atomic
def confirm(confirmation: CaptureConfirmation, *, ip_address: str | None, user_agent: str) -> bool:
    """Record what the person confirmed; False when it was confirmed already
    (a conditional update: a double click records one consent)."""
    now = timezone.now()
    won = CaptureConfirmation.objects.filter(pk=confirmation.pk, confirmed_at__isnull=True).update(
        confirmed_at=now,
        confirmed_ip_address=ip_address or None,
        confirmed_user_agent=user_agent[:300],
    )
    if not won:
        return False
    confirmation.refresh_from_db()
    campaign = confirmation.campaign
    if confirmation.wants_consent:
        Consent.objects.create(
            lead=confirmation.lead,
            basis=Consent.Basis.CONSENT,
            policy_version=confirmation.policy_version,
            given_at=now,
            ip_address=ip_address or None,
            user_agent=user_agent[:300],
            source=f"confirmed:{campaign.utm_code if campaign else ''}"[:100],
            confirmation=confirmation,
        )
    details: dict[str, object] = {"confirmation": confirmation.pk}
    if confirmation.visitor_id:
        # Where nurture reads a visitor id a person vouched for (nurture/visits.py).
        details["form"] = {"visitor_id": confirmation.visitor_id}
    record_activity(
        confirmation.lead,
        kind=Activity.Kind.CONFIRMED,
        campaign=campaign,
        details=details,
        occurred_at=now,
    )
    return True
