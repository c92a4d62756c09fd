"""Leads, companies, campaigns and what happened to them."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def new_capture_key() -> str:
    return secrets.token_urlsafe(18)


class Campaign(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        EMAIL = "email", _("Email")
        WEBINAR = "webinar", _("Webinar")
        SEMINAR = "seminar", _("Seminar")
        EXHIBITION = "exhibition", _("Exhibition")
        ADS = "ads", _("Ads")
        CONTENT = "content", _("Content")
        REFERRAL = "referral", _("Referral")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    budget = models.DecimalField(_("budget"), max_digits=12, decimal_places=0, default=0)
    actual_cost = models.DecimalField(_("actual cost"), max_digits=12, decimal_places=0, default=0)
    utm_code = models.SlugField(_("UTM code"), max_length=100, unique=True)
    capture_key = models.CharField(
        _("capture key"), max_length=40, unique=True, default=new_capture_key, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(budget__gte=0) & Q(actual_cost__gte=0),
                name="campaign_money_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("crm:campaign_detail", args=[self.pk])


class Company(models.Model):
    name = models.CharField(_("company name"), max_length=200)
    domain = models.CharField(_("domain"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class LeadQuerySet(models.QuerySet["Lead"]):
    def visible_to(self, user: User | AnonymousUser) -> LeadQuerySet:
        """Marketers and managers see every lead; a rep sees the leads waiting
        for sales (MQL, not yet owned) and their own."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("crm.view_all_leads"):
            return self
        if user.has_perm("crm.view_lead"):
            return self.filter(Q(owner=user) | Q(stage=Lead.Stage.MQL, owner__isnull=True))
        return self.none()

    def search(self, text: str) -> LeadQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(email__icontains=text)
            | Q(family_name__icontains=text)
            | Q(given_name__icontains=text)
            | Q(company__name__icontains=text)
        )


class Lead(models.Model):
    """A person marketing knows about, on their way to becoming a customer."""

    class Stage(models.TextChoices):
        SUBSCRIBER = "subscriber", _("Subscriber")
        LEAD = "lead", _("Lead")
        MQL = "mql", _("MQL")
        SAL = "sal", _("SAL")
        SQL = "sql", _("SQL")
        OPPORTUNITY = "opportunity", _("Opportunity")
        CUSTOMER = "customer", _("Customer")
        RECYCLED = "recycled", _("Recycled")
        DISQUALIFIED = "disqualified", _("Disqualified")

    family_name = models.CharField(_("family name"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
    )
    title = models.CharField(_("title"), max_length=100, blank=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.LEAD)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    source_campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("source campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sourced_leads",
    )
    fit_score = models.IntegerField(_("fit score"), default=0)
    engagement_score = models.IntegerField(_("engagement score"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        permissions = [("view_all_leads", _("Can see every lead"))]
        constraints = [
            # One person per email, whatever its case: capture and import update.
            models.UniqueConstraint(Lower("email"), name="lead_email_unique_ci"),
        ]
        indexes = [
            # The KPI page counts leads created in a period.
            models.Index(fields=["created_at"], name="lead_created_idx"),
            # A rep's view: leads waiting for sales (stage = MQL).
            models.Index(fields=["stage"], name="lead_stage_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("crm:lead_detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        """Family name first in Japanese, given name first otherwise."""
        if (translation.get_language() or "").startswith("ja"):
            return f"{self.family_name} {self.given_name}".strip()
        return f"{self.given_name} {self.family_name}".strip()


class StageChange(models.Model):
    """Every lifecycle change of a lead; the KPIs are computed from these rows."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=20, choices=Lead.Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Lead.Stage.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        indexes = [
            # KPI counts: leads reaching a stage within a period.
            models.Index(fields=["to_stage", "changed_at"], name="stagechange_to_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_stage} → {self.to_stage}"


class Activity(models.Model):
    class Kind(models.TextChoices):
        FORM_SUBMIT = "form_submit", _("Form submitted")
        PAGE_VIEW = "page_view", _("Page viewed")
        EMAIL_OPEN = "email_open", _("Email opened")
        EMAIL_CLICK = "email_click", _("Email link clicked")
        DOWNLOAD = "download", _("Downloaded")
        WEBINAR = "webinar", _("Attended a webinar")
        EVENT_VISIT = "event_visit", _("Visited an event")
        CALL = "call", _("Call")
        SALES_EMAIL = "sales_email", _("Sales email")
        MEETING = "meeting", _("Meeting")
        NOTE = "note", _("Note")

    SALES_KINDS = frozenset({Kind.CALL, Kind.SALES_EMAIL, Kind.MEETING, Kind.NOTE})

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Set by the sender to make ingest idempotent: the same event twice is one row.
    external_id = models.CharField(max_length=200, null=True, blank=True, unique=True)
    # Written once by the scoring task: its conditional update is the ledger that
    # makes scoring the same activity twice a no-op.
    points = models.IntegerField(default=0)
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            # The lead page's timeline, newest first.
            models.Index(fields=["lead", "-occurred_at"], name="activity_lead_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.lead_id})"

    @property
    def is_sales_touch(self) -> bool:
        return self.kind in self.SALES_KINDS


class ScoringRule(models.Model):
    """Points per activity kind (the simple engagement model)."""

    kind = models.CharField(
        _("activity kind"), max_length=20, choices=Activity.Kind.choices, unique=True
    )
    points = models.IntegerField(_("points"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.points}"


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change it announces.

    A relay publishes it to Celery right after commit; a periodic sweep publishes
    again whatever is still unprocessed, so an event accepted while the broker is
    down is handled once it is back. The consumer marks it processed in the
    transaction that applies it.
    """

    topic = models.CharField(max_length=50)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # The relay sweep: unprocessed events, oldest first.
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=Q(processed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"
