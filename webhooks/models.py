"""Outbound webhooks: the endpoints admins and managers configure, the events
Baton sends them and one delivery row per endpoint and event."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import PersonalRows

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class EventType(models.TextChoices):
    LEAD_MQL = "lead.mql", _("A lead became a marketing-qualified lead (MQL)")
    HANDOFF_CLAIMED = "handoff.claimed", _("A rep claimed a handoff (or was given it)")
    HANDOFF_ACCEPTED = "handoff.accepted", _("A rep accepted a handoff (SAL)")
    HANDOFF_REJECTED = "handoff.rejected", _("A rep rejected a handoff")
    DEAL_STAGE_CHANGED = "deal.stage_changed", _("A deal moved to another stage")
    DEAL_WON = "deal.won", _("A deal was won")
    DEAL_LOST = "deal.lost", _("A deal was lost")


class EndpointQuerySet(models.QuerySet["Endpoint"]):
    def active(self) -> EndpointQuerySet:
        return self.filter(is_active=True)

    def visible_to(self, user: User | AnonymousUser) -> EndpointQuerySet:
        """Every endpoint for those who may see webhooks (admins, managers); none otherwise."""
        return self if user.has_perm("webhooks.view_endpoint") else self.none()


class Endpoint(models.Model):
    """A URL that receives signed events. The secret signs every delivery; it is
    shown once, when created or rotated."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name

    def event_labels(self) -> list[str]:
        labels = dict(EventType.choices)
        return [str(labels.get(event, event)) for event in self.events]


class Event(models.Model):
    """Something that happened, as receivers see it: written in the transaction
    where it happened, so it exists if and only if the change committed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=30, choices=EventType.choices)
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField()

    # The payload names the lead by id (webhooks.events): erasure finds the
    # events about the person there, and their deliveries through the events.
    personal_rows = PersonalRows(
        refs={"data__lead__id": "crm.lead", "data__handoff__lead": "crm.lead",
              "data__deal__lead": "crm.lead"}
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"

    def payload(self) -> dict[str, object]:
        """The JSON body every endpoint receives for this event."""
        return {
            "id": str(self.id),
            "type": self.type,
            "created_at": self.created_at.isoformat(),
            "data": self.data,
        }


class Delivery(models.Model):
    """One event to one endpoint: posted at most once at a time, retried with
    backoff, never twice once it succeeded (the unique row is the ledger)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once"),
        ]
        indexes = [
            # The endpoint page's delivery log, newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}: {self.status}"
