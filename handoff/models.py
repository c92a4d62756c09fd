"""Handing qualified leads from marketing to sales."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Lead
from handoff.business_hours import BusinessHours

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class HandoffPolicy(models.Model):
    """When a lead is marketing-qualified, and how sales must react (one row)."""

    class Routing(models.TextChoices):
        OPEN_QUEUE = "open_queue", _("Open queue: reps claim")
        ROUND_ROBIN = "round_robin", _("Round-robin among available reps")

    fit_threshold = models.PositiveIntegerField(_("fit threshold"), default=0)
    engagement_threshold = models.PositiveIntegerField(_("engagement threshold"), default=50)
    first_touch_sla_minutes = models.PositiveIntegerField(
        _("first-touch SLA (business minutes)"),
        default=60,
        help_text=_("From the handoff to the first logged call, email, meeting or note."),
    )
    claim_timeout_minutes = models.PositiveIntegerField(
        _("claim timeout (business minutes)"),
        default=120,
        help_text=_("A claimed lead nobody has touched by then returns to the queue."),
    )
    business_day_start = models.TimeField(_("business day starts"), default=time(9, 0))
    business_day_end = models.TimeField(_("business day ends"), default=time(18, 0))
    recycle_cooldown_days = models.PositiveIntegerField(
        _("recycle cooldown (days)"),
        default=30,
        help_text=_("A rejected lead cannot hand off again before this many days."),
    )
    routing = models.CharField(
        _("routing"), max_length=20, choices=Routing.choices, default=Routing.OPEN_QUEUE
    )
    # The round-robin's position: the rep who got the last handoff.
    last_assigned_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    notify_managers = models.BooleanField(
        _("notify managers of new handoffs"),
        default=False,
        help_text=_("Reps are always notified; managers always hear of SLA breaches."),
    )
    notify_by_email = models.BooleanField(_("also notify by email"), default=True)
    chat_webhook_url = models.URLField(
        _("chat webhook URL"),
        blank=True,
        max_length=500,
        help_text=_("Slack-compatible incoming webhook (https only); leave empty for none."),
    )
    chat_webhook_secret = models.CharField(max_length=64, blank=True, editable=False)
    chat_language = models.CharField(
        _("chat language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of the messages posted to the team's chat."),
    )

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

    def business_hours(self) -> BusinessHours:
        return BusinessHours(
            time_zone=settings.TIME_ZONE,
            day_start=self.business_day_start,
            day_end=self.business_day_end,
        )


class RepAvailability(models.Model):
    """Whether a rep takes new leads now (round-robin skips absent reps)."""

    rep = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    available = models.BooleanField(_("available"), default=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rep availability")
        verbose_name_plural = _("rep availability")

    def __str__(self) -> str:
        return f"{self.rep_id}: {'available' if self.available else 'away'}"


class HandoffQuerySet(models.QuerySet["Handoff"]):
    def queued(self) -> HandoffQuerySet:
        return self.filter(status=Handoff.Status.QUEUED)

    def worked(self) -> HandoffQuerySet:
        """Handoffs a rep is working (claimed, accepted or qualified): the SLA
        clock runs until their first touch, and a manager may reassign them."""
        return self.filter(status__in=Handoff.WORKED)

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

    # A rep is working it (HandoffQuerySet.worked()).
    WORKED = (Status.CLAIMED, Status.ACCEPTED, Status.QUALIFIED)

    class ClaimedVia(models.TextChoices):
        CLAIM = "claim", _("Claimed from the queue")
        ROUND_ROBIN = "round_robin", _("Assigned by round-robin")
        REASSIGN = "reassign", _("Reassigned by a manager")

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
    claimed_via = models.CharField(max_length=20, choices=ClaimedVia.choices, blank=True)
    # The first logged sales touch stops the SLA clock.
    first_touch_at = models.DateTimeField(null=True, blank=True)
    # For the KPIs: MQL → claim, and claim → first touch (the last claim's).
    routing_delay = models.DurationField(null=True, blank=True)
    rep_delay = models.DurationField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=30, choices=RejectReason.choices, blank=True)
    reject_note = models.TextField(blank=True)
    # How many times it was offered or assigned (routing, reassignment): each
    # time may notify the same people again, once.
    routing_round = models.PositiveIntegerField(default=0, db_default=0)
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


class SlaDeadline(models.Model):
    """A deadline as a row: swept by Celery beat, compared on the database clock."""

    class Kind(models.TextChoices):
        FIRST_TOUCH = "first_touch", _("First touch")
        CLAIM_TIMEOUT = "claim_timeout", _("Claim timeout")

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField()
    # Met (the first touch came in time) or settled by the sweep.
    settled_at = models.DateTimeField(null=True, blank=True)
    breached = models.BooleanField(default=False)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            # One open deadline of a kind per handoff.
            models.UniqueConstraint(
                fields=["handoff", "kind"],
                condition=Q(settled_at__isnull=True),
                name="sladeadline_one_open",
            ),
        ]
        indexes = [
            # The sweep: open deadlines that are due.
            models.Index(
                fields=["due_at"], name="sladeadline_open_idx", condition=Q(settled_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.handoff_id} @ {self.due_at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """An in-app message to one user; at most one per user, handoff, kind and
    routing round (a lead returned to the queue twice is news twice)."""

    class Kind(models.TextChoices):
        NEW_HANDOFF = "new_handoff", _("New qualified lead")
        ASSIGNED = "assigned", _("A lead was assigned to you")
        SLA_BREACH = "sla_breach", _("First-touch SLA breached")
        RETURNED = "returned", _("Untouched claim returned to the queue")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the email went out: a retried task never sends it twice.
    emailed_at = models.DateTimeField(null=True, blank=True)
    routing_round = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A retried task never notifies twice.
            models.UniqueConstraint(
                fields=["recipient", "handoff", "kind", "routing_round"],
                name="notification_once_a_round",
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


class ChatDelivery(models.Model):
    """One message to the chat webhook, delivered at most once, retried with backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="chat_deliveries")
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    url = models.URLField(max_length=500)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["handoff", "kind"], name="chatdelivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.handoff_id}: {self.status}"
