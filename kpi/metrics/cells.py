"""The summed rollup cells a dashboard is made of, for a period and filters:
from the rollups (five grouped queries over small rows) or live from the
source tables (the same events, derived at request time)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from kpi import rollups
from kpi.models import DailyRollup
from kpi.rollups import Metric


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end`, both included, in the current time zone."""

    start: date
    end: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def previous(self) -> Period:
        """The period of the same length just before."""
        length = self.end - self.start
        end = self.start - timedelta(days=1)
        return Period(end - length, end)


@dataclass(frozen=True)
class Filters:
    """Resolved filters: `campaigns` None means every campaign (and leads
    without one); a set means those campaigns only (a channel is its
    campaigns). `rep` None means every rep."""

    campaigns: frozenset[int] | None = None
    rep: int | None = None

    @property
    def grain(self) -> int:
        return (1 if self.campaigns is not None else 0) + (2 if self.rep is not None else 0)

    def keeps(self, event: rollups.Event) -> bool:
        if self.campaigns is not None and event.campaign not in self.campaigns:
            return False
        return self.rep is None or event.rep == self.rep


CAMPAIGN_METRICS = (
    Metric.LEAD, Metric.R_MQL, Metric.R_SQL, Metric.R_WON, Metric.WON_DEAL, Metric.SOURCED,
    Metric.INFLUENCED,
)  # fmt: skip
REP_METRICS = (
    Metric.CLAIMED, Metric.SPEED, Metric.ACCEPTED, Metric.REJECTED, Metric.R_WON, Metric.WON_DEAL,
)  # fmt: skip
DAILY_METRICS = (Metric.LEAD, Metric.R_MQL, Metric.R_SQL, Metric.R_WON)


@dataclass
class Cells:
    """Summed rollup cells; amounts are yen."""

    totals: dict[tuple[str, int], list[Any]] = field(default_factory=dict)
    by_campaign: dict[tuple[int, str], list[Any]] = field(default_factory=dict)
    by_rep: dict[tuple[int, str, int], int] = field(default_factory=dict)
    daily: dict[tuple[date, str], int] = field(default_factory=dict)
    previous_mqls: int = 0

    def count(self, metric: str) -> int:
        return sum(v[0] for (m, _b), v in self.totals.items() if m == metric)

    def amount(self, metric: str) -> Decimal:
        return sum((Decimal(v[1]) for (m, _b), v in self.totals.items() if m == metric), Decimal(0))

    def histogram(self, metric: str) -> dict[int, int]:
        return {b: v[0] for (m, b), v in self.totals.items() if m == metric and v[0]}


def from_rollups(period: Period, filters: Filters) -> Cells:
    """Five grouped queries over the rollups; none reads a source table."""

    def rows(grain: int, first: date, last: date) -> Any:
        selected = DailyRollup.objects.filter(grain=grain, day__gte=first, day__lte=last)
        if filters.campaigns is not None:
            selected = selected.filter(campaign_id__in=filters.campaigns)
        if filters.rep is not None:
            selected = selected.filter(rep_id=filters.rep)
        return selected.order_by()

    cells = Cells()
    grain, start, end = filters.grain, period.start, period.end
    for metric, bucket, n, amount in (
        rows(grain, start, end)
        .values_list("metric", "bucket")
        .annotate(n=Sum("count"), a=Sum("amount"))
        .values_list("metric", "bucket", "n", "a")
    ):
        cells.totals[(metric, bucket)] = [n, amount]
    for campaign, metric, n, amount in (
        rows(grain | 1, start, end)
        .filter(metric__in=CAMPAIGN_METRICS)
        .values_list("campaign_id", "metric")
        .annotate(n=Sum("count"), a=Sum("amount"))
        .values_list("campaign_id", "metric", "n", "a")
    ):
        cells.by_campaign[(campaign, metric)] = [n, amount]
    for rep, metric, bucket, n in (
        rows(grain | 2, start, end)
        .filter(metric__in=REP_METRICS)
        .values_list("rep_id", "metric", "bucket")
        .annotate(n=Sum("count"))
        .values_list("rep_id", "metric", "bucket", "n")
    ):
        cells.by_rep[(rep, metric, bucket)] = n
    for day, metric, n in (
        rows(grain, start, end)
        .filter(metric__in=DAILY_METRICS)
        .values_list("day", "metric")
        .annotate(n=Sum("count"))
        .values_list("day", "metric", "n")
    ):
        cells.daily[(day, metric)] = n
    previous = period.previous()
    cells.previous_mqls = (
        rows(grain, previous.start, previous.end)
        .filter(metric=Metric.R_MQL)
        .aggregate(n=Sum("count"))["n"]
        or 0
    )
    return cells


def live_cells(period: Period, filters: Filters) -> Cells:
    """The same cells from the source tables, at request time (naive)."""
    cells = Cells()
    totals: dict[tuple[str, int], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    by_campaign: dict[tuple[int, str], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    by_rep: dict[tuple[int, str, int], int] = defaultdict(int)
    daily: dict[tuple[date, str], int] = defaultdict(int)
    for event in rollups.events(period.start, period.end):
        if not filters.keeps(event):
            continue
        total = totals[(event.metric, event.bucket)]
        total[0] += event.count
        total[1] += event.amount
        if event.metric in CAMPAIGN_METRICS:
            row = by_campaign[(event.campaign, event.metric)]
            row[0] += event.count
            row[1] += event.amount
        if event.metric in REP_METRICS:
            by_rep[(event.rep, event.metric, event.bucket)] += event.count
        if event.metric in DAILY_METRICS:
            daily[(event.day, event.metric)] += event.count
    previous = period.previous()
    cells.previous_mqls = sum(
        event.count
        for event in rollups.events(previous.start, previous.end)
        if event.metric == Metric.R_MQL and filters.keeps(event)
    )
    cells.totals, cells.by_campaign = dict(totals), dict(by_campaign)
    cells.by_rep, cells.daily = dict(by_rep), dict(daily)
    return cells
