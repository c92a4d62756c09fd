"""What an untrusted capture leaves for people to decide: proposed changes to
a known lead, and confirmations the person is asked for by email."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.activity import Activity
from crm.models.campaign import Campaign
from crm.models.people import Lead


class ProposedChangeQuerySet(models.QuerySet["ProposedChange"]):
    def open(self) -> ProposedChangeQuerySet:
        return self.filter(status=ProposedChange.Status.OPEN)


class ProposedChange(models.Model):
    """A value a capture submitted for a field the lead already has: kept
    until a person with the right to change the lead applies or dismisses it
    (anyone can post any email address to the capture endpoint)."""

    class Field(models.TextChoices):
        FAMILY_NAME = "family_name", _("Family name")
        GIVEN_NAME = "given_name", _("Given name")
        TITLE = "title", _("Title")
        PHONE = "phone", _("Phone")
        COMPANY = "company", _("Company")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a decision")
        APPLIED = "applied", _("Applied")
        DISMISSED = "dismissed", _("Dismissed")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="proposed_changes")
    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    value = models.CharField(_("proposed value"), max_length=200)
    # The submit that proposed it, and through which form.
    activity = models.ForeignKey(
        Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ProposedChangeQuerySet.as_manager()

    class Meta:
        ordering = ["field", "-proposed_at"]
        verbose_name = _("proposed change")
        verbose_name_plural = _("proposed changes")
        constraints = [
            # A later submit replaces the open proposal of its field.
            models.UniqueConstraint(
                fields=["lead", "field"],
                condition=Q(status="open"),
                name="proposedchange_one_open_per_field",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.field}"


class CaptureConfirmation(models.Model):
    """A double opt-in: what a capture for a known email asked that only the
    person may grant (a consent they do not have, the link between this
    browser's visitor id and them), waiting for the click on the link mailed
    to them. Once confirmed, the row is the consent's evidence: when and from
    where the form was sent, and when and from where the link was followed."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="confirmations")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    activity = models.ForeignKey(
        Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    wants_consent = models.BooleanField(default=False)
    policy_version = models.CharField(max_length=50, blank=True)
    visitor_id = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_ip_address = models.GenericIPAddressField(null=True, blank=True)
    confirmed_user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("capture confirmation")
        verbose_name_plural = _("capture confirmations")
        indexes = [models.Index(fields=["lead", "-created_at"], name="confirmation_lead_idx")]

    def __str__(self) -> str:
        return f"{self.lead_id}: {'confirmed' if self.confirmed_at else 'waiting'}"
