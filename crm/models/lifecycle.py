"""What happens to a lead over time: its stage changes (the KPIs count them)
and its consents to marketing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    pass


from crm.models.people import Lead


class StageChange(models.Model):
    """Every lifecycle change of a lead; the KPIs are computed from these rows.

    The reason is a code, worded when read in the reader's language; an
    import's reason is its source (the file), which needs no words.
    """

    class Reason(models.TextChoices):
        CREATED = "created", _("Entered by hand")
        CAPTURE = "capture", _("Sent a web form")
        API = "api", _("Entered through the API")
        DEMO = "demo", _("Demo data")
        SCORE_CROSSED = "score_crossed", _("Score crossed the handoff threshold")
        SCORE_FELL = "score_fell", _("Score fell below the handoff threshold")
        ACCEPTED = "accepted", _("Accepted by sales")
        QUALIFIED = "qualified", _("Qualified by sales")
        REJECTED = "rejected", _("Sent back to marketing by sales")
        DEAL_OPENED = "deal_opened", _("Deal opened")
        DEAL_WON = "deal_won", _("Deal won")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=20, choices=Lead.Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Lead.Stage.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True, choices=Reason.choices)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [
            # KPI counts: leads reaching a stage within a period.
            models.Index(fields=["to_stage", "changed_at"], name="stagechange_to_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_stage} → {self.to_stage}"


class Consent(models.Model):
    """A person's consent to marketing, with its evidence (APPI, GDPR)."""

    class Basis(models.TextChoices):
        # 特定電子メール法 art. 3: advertising email needs an opt-in, except to
        # a person who notified the address in writing (a business card
        # handed over), one in a business relationship, or an address
        # published for business. Each is recorded with how it was obtained.
        CONSENT = "consent", _("Opt-in")
        WRITTEN_NOTICE = "written_notice", _("Address given in writing (business card)")
        BUSINESS_RELATIONSHIP = "business_relationship", _("Business relationship")
        PUBLISHED_FOR_BUSINESS = "published_for_business", _("Address published for business")
        CONTRACT = "contract", _("Contract")
        LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")

    # The bases an import may record for every person of its file.
    IMPORT_BASES = (
        Basis.WRITTEN_NOTICE,
        Basis.BUSINESS_RELATIONSHIP,
        Basis.PUBLISHED_FOR_BUSINESS,
        Basis.CONSENT,
    )

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="consents")
    basis = models.CharField(_("basis"), max_length=30, choices=Basis.choices)
    policy_version = models.CharField(_("policy version"), max_length=50, blank=True)
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    # The evidence of an address obtained otherwise than by opt-in: the day
    # the card was exchanged, who recorded it, the file it came in.
    obtained_on = models.DateField(_("obtained on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    import_job = models.ForeignKey(
        "crm.ImportJob",
        verbose_name=_("import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consents",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # A consent given by following a confirmation email (double opt-in): the
    # row that proves it.
    confirmation = models.ForeignKey(
        "crm.CaptureConfirmation",
        verbose_name=_("confirmation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consents",
    )

    class Meta:
        ordering = ["-given_at", "-pk"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.get_basis_display()} ({self.lead_id})"
