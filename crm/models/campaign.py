"""Campaigns: where leads come from and what they cost."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def new_capture_key() -> str:
    return secrets.token_urlsafe(18)


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def visible_to(self, user: User | AnonymousUser) -> CampaignQuerySet:
        """Every role that may see campaigns sees them all (the leads are what is scoped)."""
        if user.is_authenticated and user.has_perm("crm.view_campaign"):
            return self
        return self.none()


class Campaign(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        EMAIL = "email", pgettext_lazy("campaign channel", "Email")
        WEBINAR = "webinar", _("Webinar")
        SEMINAR = "seminar", _("Seminar")
        EXHIBITION = "exhibition", _("Exhibition")
        ADS = "ads", _("Ads")
        CONTENT = "content", _("Content")
        REFERRAL = "referral", _("Referral")
        OTHER = "other", _("Other")

    name = models.CharField(_("campaign name"), max_length=200)
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

    objects = CampaignQuerySet.as_manager()

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

    def cost_per(self, count: int) -> Decimal | None:
        """Actual cost divided over `count` results, in whole yen; None for none."""
        return (self.actual_cost / count).quantize(Decimal(1)) if count else None
