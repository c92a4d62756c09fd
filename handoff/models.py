"""Handing qualified leads from marketing to sales."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Lead

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class HandoffPolicy(models.Model):
    """When a lead is marketing-qualified, and how sales must react (one row)."""

    fit_threshold = models.PositiveIntegerField(_("fit threshold"), default=0)
    engagement_threshold = models.PositiveIntegerField(_("engagement threshold"), default=50)
    first_touch_sla_minutes = models.PositiveIntegerField(
        _("first-touch SLA (minutes)"), default=60
    )
    claim_timeout_minutes = models.PositiveIntegerField(_("claim timeout (minutes)"), default=120)

    class Meta:
        verbose_name = _("handoff policy")
        verbose_name_plural = _("handoff policies")

    def __str__(self) -> str:
        return str(_("Handoff policy"))

    @classmethod
    def current(cls) -> HandoffPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def qualifies(self, lead: Lead) -> bool:
        """MQL: both scores at or above their thresholds."""
        return self.qualifies_scores(lead.fit_score, lead.engagement_score)

    def qualifies_scores(self, fit: int, engagement: int) -> bool:
        return fit >= self.fit_threshold and engagement >= self.engagement_threshold


class HandoffQuerySet(models.QuerySet["Handoff"]):
    def queued(self) -> HandoffQuerySet:
        return self.filter(status=Handoff.Status.QUEUED)

    def visible_to(self, user: User | AnonymousUser) -> HandoffQuerySet:
        """Managers see every handoff; a rep sees the queue and their own claims."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("handoff.reassign_handoff"):
            return self
        if user.has_perm("handoff.claim_handoff"):
            return self.filter(Q(status=Handoff.Status.QUEUED) | Q(claimed_by=user))
        return self.none()

    def for_queue(self) -> HandoffQuerySet:
        """Best first: highest score, then longest waiting."""
        return self.select_related(
            "lead", "lead__company", "lead__source_campaign", "claimed_by"
        ).order_by("-score_at_handoff", "created_at")


class Handoff(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a rep")
        CLAIMED = "claimed", _("Claimed")
        ACCEPTED = "accepted", _("Accepted (SAL)")
        REJECTED = "rejected", _("Rejected")
        QUALIFIED = "qualified", _("Qualified (SQL)")
        WITHDRAWN = "withdrawn", _("Withdrawn (score fell below the threshold)")

    class RejectReason(models.TextChoices):
        NO_BUDGET = "no_budget", _("No budget")
        NOT_DECISION_MAKER = "not_decision_maker", _("Not a decision maker")
        BAD_TIMING = "bad_timing", _("Bad timing")
        NOT_A_FIT = "not_a_fit", _("Not a fit")
        UNREACHABLE = "unreachable", _("Could not reach")
        DUPLICATE = "duplicate", _("Duplicate")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="handoffs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    fit_at_handoff = models.IntegerField(default=0)
    engagement_at_handoff = models.IntegerField(default=0)
    score_at_handoff = models.IntegerField(default=0)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claimed_handoffs",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=30, choices=RejectReason.choices, blank=True)
    reject_note = models.TextField(blank=True)
    # What sales reads before calling, as it stood at the handoff: the score
    # explanation (and, as the context package grows, answers and history).
    context = models.JSONField(default=dict, blank=True)

    objects = HandoffQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        permissions = [
            ("claim_handoff", _("Can claim and work handoffs")),
            ("reassign_handoff", _("Can see and reassign every handoff")),
        ]
        constraints = [
            # Exactly one live handoff per lead, however many activities cross
            # the threshold at once; a rejected one lets the lead hand off again.
            models.UniqueConstraint(
                fields=["lead"],
                condition=~Q(status__in=["rejected", "withdrawn"]),
                name="handoff_one_live_per_lead",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "withdrawn"]) | Q(claimed_by__isnull=False),
                name="handoff_claimed_has_rep",
            ),
        ]
        indexes = [
            # The rep's queue: queued handoffs by score, then age.
            models.Index(
                fields=["-score_at_handoff", "created_at"],
                name="handoff_queue_idx",
                condition=Q(status="queued"),
            ),
            # KPI counts: handoffs claimed within a period.
            models.Index(fields=["claimed_at"], name="handoff_claimed_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.lead} ({self.get_status_display()})"


class Notification(models.Model):
    """An in-app message to one user; at most one per user, handoff and kind."""

    class Kind(models.TextChoices):
        NEW_HANDOFF = "new_handoff", _("New qualified lead")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A retried task never notifies twice.
            models.UniqueConstraint(
                fields=["recipient", "handoff", "kind"], name="notification_once"
            ),
        ]
        indexes = [
            # The badge: a user's unread notifications.
            models.Index(
                fields=["recipient"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_id}"
