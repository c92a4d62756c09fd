"""Deals (opportunities) sales works to closure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.people import Company, Lead

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class DealQuerySet(models.QuerySet["Deal"]):
    def visible_to(self, user: User | AnonymousUser) -> DealQuerySet:
        """The deals of the leads the user may see."""
        return self.filter(lead__in=Lead.objects.visible_to(user))


class Deal(models.Model):
    class Stage(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="deals")
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="deals"
    )
    name = models.CharField(_("deal name"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=0, default=0)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.OPEN)
    close_date = models.DateField(_("close date"), null=True, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = DealQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=~Q(stage="lost") | ~Q(lost_reason=""), name="deal_lost_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.name
