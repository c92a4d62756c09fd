"""Campaign attribution: the first and the latest touch of each lead."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models.activity import Activity
from crm.models.campaign import Campaign
from crm.models.people import Lead


class Touch(models.Model):
    """A lead's first or latest touch: a capture (tagged or not), or a page
    view whose address carried utm_* parameters. Two rows per lead at most;
    a touch replaces the first only when it happened earlier, the latest only
    when it happened later, so the order of arrival does not matter."""

    class Position(models.TextChoices):
        FIRST = "first", pgettext_lazy("attribution", "First touch")
        LATEST = "latest", pgettext_lazy("attribution", "Latest touch")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="touches")
    position = models.CharField(max_length=10, choices=Position.choices)
    occurred_at = models.DateTimeField(_("when"))
    # The campaign its utm_campaign names (or, for an untagged capture, the form's).
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="touches",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Activity.Kind.choices)
    activity = models.ForeignKey(
        Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField("utm_source", max_length=200, blank=True)
    medium = models.CharField("utm_medium", max_length=200, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=200, blank=True)
    term = models.CharField("utm_term", max_length=200, blank=True)
    content = models.CharField("utm_content", max_length=200, blank=True)

    class Meta:
        ordering = ["lead", "position"]
        verbose_name = _("touch")
        verbose_name_plural = _("touches")
        constraints = [
            models.UniqueConstraint(fields=["lead", "position"], name="touch_one_per_position"),
        ]
        indexes = [
            # The campaign page counts the leads it touched first.
            models.Index(fields=["campaign", "position"], name="touch_campaign_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.position}"
