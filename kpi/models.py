from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kpi.definitions import DEFINITIONS


class TargetQuerySet(models.QuerySet["Target"]):
    def visible_to(self, user: User | AnonymousUser) -> TargetQuerySet:
        """Targets are the managers' to set: whoever may change them sees them all."""
        if user.is_authenticated and user.has_perm("kpi.change_target"):
            return self
        return self.none()


class Target(models.Model):
    """A manager's target for one KPI in one month or one quarter."""

    class Span(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    # Choices name each KPI in the reader's language (the audit trail shows them).
    kpi = models.CharField(
        _("KPI"), max_length=50, choices=[(key, d.name) for key, d in DEFINITIONS.items()]
    )
    span = models.CharField(_("span"), max_length=10, choices=Span.choices, default=Span.MONTH)
    month = models.DateField(
        _("starts on"), help_text=_("The first day of the month or of the quarter.")
    )
    value = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["-month", "span", "kpi"]
        permissions = [
            ("view_dashboard", _("Can view the KPI dashboard")),
            ("view_own_kpis", _("Can view one's own KPI figures")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "span", "month"], name="target_one_per_kpi_span_start"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.span} {self.month:%Y-%m}: {self.value}"


class RollupCell(models.Model):
    """A cell of the KPI cube, the columns both grains of time share (see
    DailyRollup): its grain, campaign, rep, metric, bucket and sums."""

    grain = models.PositiveSmallIntegerField()
    campaign_id = models.IntegerField(default=0)
    rep_id = models.IntegerField(default=0)
    metric = models.CharField(max_length=30)
    bucket = models.IntegerField(default=0)
    count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=16, decimal_places=0, default=0)

    class Meta:
        abstract = True


class DailyRollup(RollupCell):
    """One cell of the KPI cube: how many `metric` events happened on `day`.

    Written only by kpi.rollups (rebuilt a day range at a time, never edited
    in place), read by the dashboard. Each event is stored at four grains so
    that a request reads only the rows its filters need:
    0 = everything (campaign 0, rep 0), 1 = per campaign, 2 = per rep,
    3 = per campaign and rep. Campaign 0 is "no campaign" at grains 1 and 3;
    events of no rep (new leads, MQLs) are not stored at grains 2 and 3,
    which only a rep filter or the per-rep table read. `bucket` is a
    histogram bucket for duration metrics (see kpi.rollups for why
    histograms), 0 otherwise. Plain integers, not foreign
    keys: the figures outlive a deleted campaign or user until the nightly
    rebuild.
    """

    day = models.DateField()

    class Meta:
        indexes = [
            # Every dashboard read: one grain, the metrics it shows, a day range;
            # covering, so PostgreSQL answers from the index alone (a quarter of
            # per-rep histograms is some 30,000 rows scattered over the table).
            models.Index(
                fields=["grain", "metric", "day"],
                include=["campaign_id", "rep_id", "bucket", "count", "amount"],
                name="kpi_rollup_grain_metric_idx",
            ),
            # A campaign or a rep filter at grains 1-3.
            models.Index(fields=["campaign_id", "grain", "day"], name="kpi_rollup_campaign_idx"),
            models.Index(fields=["rep_id", "grain", "day"], name="kpi_rollup_rep_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} g{self.grain} c{self.campaign_id} r{self.rep_id} {self.metric}"


class MonthlyRollup(RollupCell):
    """The daily rollups of one month, summed: the same cells (grain,
    campaign, rep, metric, bucket) with `month` (its first day) for the day.

    A request reads a period's whole months here and only the days of its
    partial months from DailyRollup: a year is twelve months' rows and a few
    days' instead of 365 days' (every figure is a sum of counts, amounts and
    histogram buckets, so the month's sum is the sum of its days; no figure
    counts distinct things across days). Written only by kpi.rollups, summed
    from the month's DailyRollup rows in the same transaction that rewrites
    any of its days, so the two grains never disagree.
    """

    month = models.DateField()
    # How many daily rows the row sums: a month read less some of its days
    # holds a cell of the period's days only while some are left (a sum
    # back at 0 would otherwise show a campaign or a rep with nothing).
    cells = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # Every dashboard read of months, as kpi_rollup_grain_metric_idx
            # serves the days: covering, answered from the index alone.
            models.Index(
                fields=["grain", "metric", "month"],
                include=["campaign_id", "rep_id", "bucket", "count", "amount", "cells"],
                name="kpi_monthly_grain_metric_idx",
            ),
            # A campaign or a rep filter, covering too (the table is small; a
            # rep's months read from the heap, or a scan of the whole table,
            # cost more than the daily grain's days they replace).
            models.Index(
                fields=["campaign_id", "grain", "month"],
                include=["rep_id", "metric", "bucket", "count", "amount", "cells"],
                name="kpi_monthly_campaign_idx",
            ),
            models.Index(
                fields=["rep_id", "grain", "month"],
                include=["campaign_id", "metric", "bucket", "count", "amount", "cells"],
                name="kpi_monthly_rep_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} g{self.grain} c{self.campaign_id} r{self.rep_id} {self.metric}"


class RollupState(models.Model):
    """Where the incremental refresh left off (one row)."""

    last_stage_change_id = models.BigIntegerField(default=0)
    last_lead_id = models.BigIntegerField(default=0)
    # Database time of the last refresh's start: handoffs, deadlines and deals
    # changed since then (less a margin) are looked at again.
    checked_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"stage changes ≤ {self.last_stage_change_id}, leads ≤ {self.last_lead_id}"
