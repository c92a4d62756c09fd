"""Segments, emails and their sends, and website visits of known visitors."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.forms import LeadFilterForm
from crm.models import Campaign, Consent, Lead, PersonalRows
from crm.models.people import LeadQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


M = TypeVar("M", bound=models.Model)


class NurtureQuerySet(models.QuerySet[M]):
    def visible_to(self, user: User | AnonymousUser) -> NurtureQuerySet[M]:
        """Marketers and managers run nurture; reps see none of it (a segment
        counts leads beyond a rep's scope)."""
        if user.is_authenticated and user.has_perm("nurture.view_segment"):
            return self
        return self.none()


def every_basis() -> list[str]:
    """A new segment's sends may use every basis the law allows; the
    marketer narrows it (only opt-ins for a newsletter, say)."""
    return list(Consent.Basis.values)


class Segment(models.Model):
    """A saved lead filter: the lead list's own filter (crm.forms.LeadFilterForm),
    kept as its query string so that the lead list opens it unchanged."""

    name = models.CharField(_("name"), max_length=200)
    query = models.CharField(_("filter"), max_length=2000, blank=True)
    # The consent bases (Consent.Basis) its sends may use (特定電子メール法
    # art. 3): a lead is reachable through a live consent of one of them.
    consent_bases = models.JSONField(_("consent bases"), default=every_basis)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NurtureQuerySet["Segment"].as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("nurture:segment_detail", args=[self.pk])

    def filter_form(self) -> LeadFilterForm:
        return LeadFilterForm(QueryDict(self.query))

    def leads(self, base: LeadQuerySet | None = None) -> LeadQuerySet:
        """The segment's leads now (its filter is applied at every use)."""
        return self.filter_form().filter(base if base is not None else Lead.objects.all())

    def reachable(self) -> LeadQuerySet:
        """The leads a send may email now: a live consent of a chosen basis."""
        return self.leads().with_marketing_consent(bases=self.consent_bases)

    def get_consent_bases_display(self) -> list[str]:
        labels = dict(Consent.Basis.choices)
        return [str(labels.get(basis, basis)) for basis in self.consent_bases]


class Email(models.Model):
    """An email template: subject and body with merge fields, in one language."""

    class Language(models.TextChoices):
        JA = "ja", _("Japanese")
        EN = "en", _("English")

    name = models.CharField(_("name"), max_length=200)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Opens and clicks count toward this campaign."),
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.JA
    )
    from_name = models.CharField(_("sender name"), max_length=100)
    from_email = models.EmailField(_("sender address"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), max_length=20_000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NurtureQuerySet["Email"].as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("marketing email")
        verbose_name_plural = _("marketing emails")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("nurture:email_detail", args=[self.pk])


class Send(models.Model):
    """One email sent to one segment. The content is copied at the start, so
    that editing the template changes neither a send in progress nor which
    links its click redirects accept."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Sending")
        DONE = "done", _("Sent")
        CANCELLED = "cancelled", _("Stopped")

    email = models.ForeignKey(Email, on_delete=models.PROTECT, related_name="sends")
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="sends")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=2, choices=Email.Language.choices)
    from_name = models.CharField(max_length=100)
    from_email = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # The segment's consent bases when the send started; empty for sends
    # made before segments chose them (any live consent counted then).
    consent_bases = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written by the worker after every batch: a running send whose heartbeat
    # stopped is taken over by the sweep.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = NurtureQuerySet["Send"].as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("send")
        verbose_name_plural = _("sends")

    def __str__(self) -> str:
        return f"{self.subject} → {self.segment_id}"

    def get_absolute_url(self) -> str:
        return reverse("nurture:send_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    def reachable(self, leads: LeadQuerySet) -> LeadQuerySet:
        """Those of `leads` this send may email now (consent re-read)."""
        return leads.with_marketing_consent(bases=self.consent_bases or None)

    def get_consent_bases_display(self) -> list[str]:
        labels = dict(Consent.Basis.choices)
        return [str(labels.get(basis, basis)) for basis in self.consent_bases]


class Delivery(models.Model):
    """One recipient of one send. The unique (send, lead) row is claimed
    before its message goes out, so no retry or crash sends it twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        CLAIMED = "claimed", _("Being sent")
        SENT = "sent", _("Delivered")
        SKIPPED = "skipped", _("Skipped (no consent)")
        FAILED = "failed", _("Failed")

    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="deliveries")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["send", "lead"], name="delivery_send_lead_unique"),
        ]
        indexes = [
            # The worker's claim: a send's waiting rows in id order.
            models.Index(
                fields=["send", "id"],
                name="delivery_pending_idx",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.send_id}/{self.lead_id}: {self.status}"


class Visitor(models.Model):
    """A website visitor id (the tracking script's first-party cookie) known
    to be a lead, since a capture form submit or a tracked email click."""

    visitor_id = models.CharField(max_length=64, primary_key=True)
    # A named relation, so that merging two leads (crm.services.merge_leads)
    # moves the merged lead's visitor ids to the kept one.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="website_visitors")
    identified_at = models.DateTimeField(default=timezone.now)

    # Erasure deletes the mapping: the visitor id is the person's browser.
    personal_rows = PersonalRows(delete=True)

    def __str__(self) -> str:
        return f"{self.visitor_id} → {self.lead_id}"


class PageView(models.Model):
    """A page view as collected, before a worker joins it to a lead.

    The collection endpoint only inserts here (one narrow row, no lookups).
    Views of known visitors become page_view activities and leave this table;
    anonymous ones wait for their visitor to identify, for a limited time.
    """

    visitor_id = models.CharField(max_length=64)
    url = models.CharField(max_length=500)
    title = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    # A signed lead token from a tracked email link, checked by the worker.
    identity = models.CharField(max_length=200, blank=True)

    # Erasure deletes the views of the person's visitor ids, joined or not.
    personal_rows = PersonalRows(refs={"visitor_id": "nurture.visitor"}, delete=True)

    class Meta:
        indexes = [
            # The worker's join: the views of visitors who identified.
            models.Index(fields=["visitor_id"], name="pageview_visitor_idx"),
            # The purge of anonymous views past their retention.
            models.Index(fields=["occurred_at"], name="pageview_occurred_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} {self.url}"


class JoinCursor(models.Model):
    """How far the visit worker has read crm's activities for capture
    submits carrying a visitor id (a high-water mark on their id)."""

    name = models.CharField(max_length=30, primary_key=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id}"
