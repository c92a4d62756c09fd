"""Campaigns: where leads come from and what they cost."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from web import links

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def new_capture_key() -> str:
    return secrets.token_urlsafe(18)


# Allowed hosts are written one per line (commas and spaces work too).
HOST_SEPARATORS = re.compile(r"[\s,]+")


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def visible_to(self, user: User | AnonymousUser) -> CampaignQuerySet:
        """Every role that may see campaigns sees them all (the leads are what is scoped)."""
        if user.is_authenticated and user.has_perm("crm.view_campaign"):
            return self
        return self.none()

    def by_utm_code(self, codes: set[str]) -> dict[str, int]:
        """The campaigns these utm_campaign values name, as {code in lower
        case: campaign id}; codes are compared without case, as ad platforms
        and people retype them. One query."""
        wanted = {code.casefold() for code in codes if code}
        if not wanted:
            return {}
        rows = (
            self.annotate(code=Lower("utm_code"))
            .filter(code__in=wanted)
            .order_by("-pk")  # of two codes differing only in case, the older wins
            .values_list("code", "pk")
        )
        return dict(rows)


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
    # The websites that embed the capture form: where a visitor may be sent
    # back after submitting it, and nowhere else (no open redirect).
    allowed_hosts = models.TextField(
        _("allowed hosts"),
        blank=True,
        help_text=_("The websites that show this campaign's form, one host per line."),
    )
    redirect_url = models.URLField(
        _("page after submitting"),
        max_length=500,
        blank=True,
        help_text=_(
            "Where visitors go once they have sent the form, on one of the allowed hosts. "
            "Empty: Baton's thank-you page."
        ),
    )

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
                violation_error_message=_("The campaign cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(budget__gte=0) & Q(actual_cost__gte=0),
                name="campaign_money_not_negative",
                violation_error_message=_("The budget and the actual cost cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return links.pk_url("crm:campaign_detail", self.pk)  # the pattern reversed once

    def cost_per(self, count: int) -> Decimal | None:
        """Actual cost divided over `count` results, in whole yen; None for none."""
        return (self.actual_cost / count).quantize(Decimal(1)) if count else None

    def allowed_host_list(self) -> list[str]:
        return [host for host in HOST_SEPARATORS.split(self.allowed_hosts.lower()) if host]

    def may_redirect_to(self, url: str) -> bool:
        """Whether `url` is an http(s) address on one of the allowed hosts."""
        hosts = set(self.allowed_host_list())
        absolute = urlsplit(url).scheme in ("http", "https")  # never a path on Baton itself
        return absolute and url_has_allowed_host_and_scheme(
            url, allowed_hosts=hosts, require_https=False
        )
