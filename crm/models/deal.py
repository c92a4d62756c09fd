"""Deals (opportunities) sales works to closure, the pipeline's stages and
the reasons a deal is lost (both lists kept by managers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.models.campaign import Campaign
from crm.models.company import Company
from crm.models.people import Lead

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class BilingualName(models.Model):
    """A managed list entry named in Japanese and English, shown in the
    reader's language (the other one when that is empty)."""

    name_ja = models.CharField(_("name (Japanese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_retired = models.BooleanField(
        _("retired"), default=False, help_text=_("Kept for the deals that use it; not offered.")
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return bilingual_name(self.name_ja, self.name_en)


def bilingual_name(name_ja: str, name_en: str) -> str:
    """The name in the reader's language, the other one when that is empty
    (BilingualName.name, for rows read as values)."""
    japanese = (translation.get_language() or "").startswith("ja")
    return (name_ja if japanese else name_en) or name_ja or name_en


class DealStageQuerySet(models.QuerySet["DealStage"]):
    def offered(self) -> DealStageQuerySet:
        """The stages a person may choose for a deal (not retired)."""
        return self.filter(is_retired=False)


class LostReasonQuerySet(models.QuerySet["LostReason"]):
    def offered(self) -> LostReasonQuerySet:
        """The reasons a person may choose for a lost deal (not retired)."""
        return self.filter(is_retired=False)


class DealStage(BilingualName):
    """A step of the pipeline. Open stages are the board's columns; a won or
    lost stage closes the deal. A stage in use is retired, never deleted."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    probability = models.PositiveSmallIntegerField(
        _("probability (%)"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("How likely a deal at this stage is to be won; new deals start with it."),
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.OPEN)

    objects = DealStageQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("deal stage")
        verbose_name_plural = _("deal stages")
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="deal_stage_probability_at_most_100"
            ),
        ]


class LostReason(BilingualName):
    """Why a deal was lost, from a list managers keep (so the reasons count)."""

    objects = LostReasonQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")


def default_stage_id() -> int | None:
    """The first open stage offered: where a new deal starts."""
    return (
        DealStage.objects.offered()
        .filter(kind=DealStage.Kind.OPEN)
        .order_by("order", "pk")
        .values_list("pk", flat=True)
        .first()
    )


class DealQuerySet(models.QuerySet["Deal"]):
    def visible_to(self, user: User | AnonymousUser) -> DealQuerySet:
        """The deals of the leads the user may see, and a rep's own deals."""
        if not (user.is_authenticated and user.has_perm("crm.view_deal")):
            return self.none()
        if user.has_perm("crm.view_all_leads"):
            return self
        # EXISTS, not `lead__in`: under the OR, IN hashes every lead the rep
        # may see (every waiting MQL: 140,000 at 1M leads, 250 ms) before the
        # first deal; EXISTS checks each candidate deal's lead by its key,
        # after an index has narrowed the deals (0.1 ms; bench_search).
        their_lead = Lead.objects.visible_to(user).filter(pk=OuterRef("lead_id"))
        return self.filter(Exists(their_lead) | Q(owner=user))

    def changeable_by(self, user: User | AnonymousUser) -> DealQuerySet:
        """Deals `user` may change: managers every deal, a rep the deals they
        own or of the leads they own; marketers none (they read)."""
        if not (user.is_authenticated and user.has_perm("crm.change_deal")):
            return self.none()
        if user.has_perm("crm.view_all_leads"):
            return self
        return self.filter(Q(owner=user) | Q(lead__owner=user))

    def open(self) -> DealQuerySet:
        return self.filter(status=Deal.Status.OPEN)


class Deal(models.Model):
    class Status(models.TextChoices):
        """The kind of the deal's stage, kept on the deal (the KPIs count by it)."""

        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="deals")
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="deals"
    )
    name = models.CharField(_("deal name"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=0, default=0)
    stage = models.ForeignKey(
        DealStage,
        on_delete=models.PROTECT,
        default=default_stage_id,
        related_name="deals",
        verbose_name=_("stage"),
    )
    status = models.CharField(
        _("status"), max_length=4, choices=Status.choices, default=Status.OPEN
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    source_campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("source campaign"),
    )
    # When the deal was won or lost (the day the customer decided).
    close_date = models.DateField(_("close date"), null=True, blank=True)
    lost_reason = models.ForeignKey(
        LostReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("lost reason"),
    )
    lost_note = models.TextField(_("note on the loss"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change: an edit made on an older version is refused.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = DealQuerySet.as_manager()
    # Field-level history (django-simple-history). The deal's services change
    # it by conditional updates and write each version themselves
    # (deals/services.py); the stage moves also have DealStageChange.
    history = HistoricalRecords(excluded_fields=["version", "created_at", "closed_at"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="deal_probability_at_most_100"
            ),
            models.CheckConstraint(
                condition=~Q(status="lost") | (Q(lost_reason__isnull=False) & ~Q(lost_note="")),
                name="deal_lost_has_reason",
            ),
        ]
        indexes = [
            # The pipeline board: open deals per stage, by expected close.
            models.Index(
                fields=["stage", "expected_close_date"],
                name="deal_open_by_stage",
                condition=Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weighted_amount(self) -> int:
        return int(self.amount * self.probability / 100)


class DealStageChange(models.Model):
    """One move of a deal between stages: the deal's timeline."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        DealStage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(DealStage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["changed_at", "pk"]
        indexes = [
            # The deal page's timeline reads a deal's moves in time order.
            models.Index(fields=["deal", "changed_at"], name="deal_stage_change_by_deal"),
            # The KPI refresh reads every minute's reopened deals (kpi/rollups/refresh.py).
            models.Index(fields=["changed_at"], name="deal_stage_change_by_time"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"
