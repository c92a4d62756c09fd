"""The figures a dashboard shows, assembled from summed cells (kpi.metrics.cells)
with the KPI definitions, targets and the names of campaigns and reps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from crm.models import Campaign
from handoff.models import Handoff
from kpi import rollups
from kpi.definitions import DEFINITIONS, Definition
from kpi.metrics.cells import Cells, Filters, Period
from kpi.metrics.forecast import ForecastRow
from kpi.rollups import Metric


@dataclass(frozen=True)
class Figure:
    definition: Definition
    value: Any  # int, Decimal or None (nothing to divide by, or not by rep)
    target: Decimal | None = None

    @property
    def gap(self) -> Decimal | None:
        """Actual minus target."""
        if self.target is None or self.value is None or self.value == -1:
            return None
        return Decimal(self.value) - self.target

    @property
    def on_track(self) -> bool | None:
        gap = self.gap
        if gap is None:
            return None
        return gap <= 0 if self.definition.lower_is_better else gap >= 0


@dataclass(frozen=True)
class Step:
    key: str
    count: int
    conversion: Decimal | None  # percent of the step before
    median_days: int | None


class CampaignFacts(NamedTuple):
    """What the campaign table shows of a campaign besides its figures."""

    name: str
    channel: str
    cost: Decimal


@dataclass(frozen=True)
class CampaignRow:
    campaign_id: int
    name: str
    channel: str
    cost: Decimal
    leads: int
    mqls: int
    sqls: int
    won: int
    won_revenue: Decimal
    won_deals: int
    pipeline_sourced: Decimal
    pipeline_influenced: Decimal

    def cost_per(self, count: int) -> Decimal | None:
        return (self.cost / count).quantize(Decimal(1), ROUND_HALF_UP) if count else None

    @property
    def cost_per_lead(self) -> Decimal | None:
        return self.cost_per(self.leads)

    @property
    def cost_per_mql(self) -> Decimal | None:
        return self.cost_per(self.mqls)

    @property
    def cost_per_sql(self) -> Decimal | None:
        return self.cost_per(self.sqls)

    @property
    def cost_per_won(self) -> Decimal | None:
        return self.cost_per(self.won)

    @property
    def roi(self) -> Decimal | None:
        return percent(self.won_revenue - self.cost, self.cost)


@dataclass(frozen=True)
class RepRow:
    rep_id: int
    name: str
    claimed: int
    speed_p50: int | None
    accepted: int
    rejected: int
    won: int


@dataclass(frozen=True)
class DailyPoint:
    day: date
    leads: int
    mqls: int
    sqls: int
    won: int


@dataclass(frozen=True)
class Dashboard:
    period: Period
    filters: Filters
    figures: list[Figure]
    cohort: list[Step]
    calendar: list[Step]
    rejections: list[tuple[str, int]]
    lost_reasons: list[tuple[str, int]]
    campaigns: list[CampaignRow]
    reps: list[RepRow]
    daily: list[DailyPoint]
    forecast: list[ForecastRow] = field(default_factory=list)

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.definition.key == key)

    def values(self) -> dict[str, Any]:
        return {f.definition.key: f.value for f in self.figures}


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _p(histogram: dict[int, int], fraction: float) -> int | None:
    return rollups.percentile(histogram, fraction, rollups.SPEED_MINUTES)


def _funnel(cells: Cells, metric_of: Callable[[str], Metric]) -> list[Step]:
    """The funnel by cohort (`Metric.cohort`: each step a percent of the
    period's new leads, then of the step before) or by calendar day."""
    steps: list[Step] = []
    before = cells.count(Metric.LEAD) if metric_of == Metric.cohort else None
    for key in rollups.FUNNEL:
        histogram = cells.histogram(metric_of(key))
        count = sum(histogram.values())
        steps.append(
            Step(
                key,
                count,
                percent(count, before) if before is not None else None,
                rollups.percentile(histogram, 0.5, rollups.STEP_DAYS),
            )
        )
        before = count
    return steps


def assemble(
    cells: Cells,
    period: Period,
    filters: Filters,
    *,
    campaigns: dict[int, CampaignFacts],
    reps: dict[int, str],
    targets: dict[str, Decimal],
    lost_reasons: dict[int, str],
    forecast: list[ForecastRow] | None = None,
) -> Dashboard:
    campaign_rows = _campaign_rows(cells, campaigns)
    values = _values(cells, filters, campaign_rows)
    figures = []
    for key, definition in DEFINITIONS.items():
        value = values[key] if definition.by_rep or filters.rep is None else None
        figures.append(Figure(definition, value, targets.get(key)))
    return Dashboard(
        period=period,
        filters=filters,
        figures=figures,
        cohort=_funnel(cells, Metric.cohort),
        calendar=_funnel(cells, Metric.calendar),
        rejections=_rejections(cells),
        campaigns=campaign_rows,
        lost_reasons=_lost_reasons(cells, lost_reasons),
        reps=_rep_rows(cells, reps),
        daily=[
            DailyPoint(
                day,
                cells.daily.get((day, Metric.LEAD), 0),
                cells.daily.get((day, Metric.R_MQL), 0),
                cells.daily.get((day, Metric.R_SQL), 0),
                cells.daily.get((day, Metric.R_WON), 0),
            )
            for day in period.days()
        ],
        forecast=forecast or [],
    )


def _values(cells: Cells, filters: Filters, campaigns: list[CampaignRow]) -> dict[str, Any]:
    """Each KPI's value, by its key in kpi.definitions."""
    mqls = cells.count(Metric.R_MQL)
    won_deals, lost_deals = cells.count(Metric.WON_DEAL), cells.count(Metric.LOST_DEAL)
    marketing = [row for row in campaigns if row.campaign_id]
    cost = sum((row.cost for row in marketing), Decimal(0))
    revenue = sum((row.won_revenue for row in marketing), Decimal(0))
    deals_won = sum(row.won_deals for row in marketing)
    accepted, rejected = cells.count(Metric.ACCEPTED), cells.count(Metric.REJECTED)
    met, missed = cells.count(Metric.SLA_MET), cells.count(Metric.SLA_MISSED)
    return {
        "leads": cells.count(Metric.LEAD),
        "mqls": mqls,
        "sqls": cells.count(Metric.R_SQL),
        "won": cells.count(Metric.R_WON),
        "won_revenue": cells.amount(Metric.WON_DEAL),
        "roi": percent(revenue - cost, cost),
        "cost_per_won_deal": (cost / deals_won).quantize(Decimal(1), ROUND_HALF_UP)
        if deals_won
        else None,
        "win_rate": percent(won_deals, won_deals + lost_deals),
        "sales_cycle": (Decimal(cells.count(Metric.SALES_CYCLE)) / won_deals).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )
        if won_deals
        else None,
        "pipeline_sourced": cells.amount(Metric.SOURCED),
        # Per campaign, a deal counts in full for each campaign it credits;
        # without a campaign filter the total counts each deal once.
        "pipeline_influenced": cells.amount(
            Metric.INFLUENCED if filters.campaigns is not None else Metric.INFLUENCED_ANY
        ),
        "claimed": cells.count(Metric.CLAIMED),
        "speed_p50": _p(cells.histogram(Metric.SPEED), 0.5),
        "speed_p90": _p(cells.histogram(Metric.SPEED), 0.9),
        "routing_p50": _p(cells.histogram(Metric.ROUTING), 0.5),
        "rep_delay_p50": _p(cells.histogram(Metric.REP_DELAY), 0.5),
        "sla_compliance": percent(met, met + missed),
        "rejection_rate": percent(rejected, accepted + rejected),
        "recycled_converted": cells.count(Metric.RECONVERTED),
        "lead_velocity": percent(mqls - cells.previous_mqls, cells.previous_mqls),
    }


def _rejections(cells: Cells) -> list[tuple[str, int]]:
    """Rejections by reason, most first."""
    reasons = dict(Handoff.RejectReason.choices)
    rejections = [
        (str(reasons.get(reason, reason)), n)
        for bucket, reason in enumerate([*rollups.REJECT_REASONS, "other"])
        if (n := cells.totals.get((Metric.REJECTED, bucket), [0])[0])
    ]
    return sorted(rejections, key=lambda r: -r[1])


def _lost_reasons(cells: Cells, names: dict[int, str]) -> list[tuple[str, int]]:
    """Lost deals by reason, most first (a reason deleted since: "other")."""
    lost = [
        (names.get(reason) or str(_("Other")), n)
        for reason, n in cells.histogram(Metric.LOST_DEAL).items()
    ]
    return sorted(lost, key=lambda r: (-r[1], r[0]))


def _campaign_rows(cells: Cells, campaigns: dict[int, CampaignFacts]) -> list[CampaignRow]:
    counts: dict[int, dict[str, list[Any]]] = defaultdict(dict)
    for (campaign, metric), value in cells.by_campaign.items():
        counts[campaign][metric] = value
    # Each label once: get_channel_display() per row took 65 ms for 200.
    channels = {value: str(label) for value, label in Campaign.Channel.choices}
    rows = []
    for pk, found in counts.items():
        facts = campaigns.get(pk)

        def n(metric: str, found: dict[str, list[Any]] = found) -> int:
            return int(found[metric][0]) if metric in found else 0

        def amount(metric: str, found: dict[str, list[Any]] = found) -> Decimal:
            return Decimal(found[metric][1]) if metric in found else Decimal(0)

        rows.append(
            CampaignRow(
                campaign_id=pk,
                name=facts.name if facts else "",
                channel=channels.get(facts.channel, facts.channel) if facts else "",
                cost=facts.cost if facts else Decimal(0),
                leads=n(Metric.LEAD),
                mqls=n(Metric.R_MQL),
                sqls=n(Metric.R_SQL),
                won=n(Metric.R_WON),
                won_revenue=amount(Metric.WON_DEAL),
                won_deals=n(Metric.WON_DEAL),
                pipeline_sourced=amount(Metric.SOURCED),
                pipeline_influenced=amount(Metric.INFLUENCED),
            )
        )
    # No campaign last; then most leads first.
    return sorted(rows, key=lambda r: (r.campaign_id == 0, -r.leads, -r.won, r.name))


def _rep_rows(cells: Cells, reps: dict[int, str]) -> list[RepRow]:
    counts: dict[tuple[int, str], int] = defaultdict(int)
    speeds: dict[int, dict[int, int]] = defaultdict(dict)
    for (rep, metric, bucket), n in cells.by_rep.items():
        if rep:
            counts[(rep, metric)] += n
            if metric == Metric.SPEED:
                speeds[rep][bucket] = n
    rows = [
        RepRow(
            rep_id=rep,
            name=reps.get(rep, f"#{rep}"),
            claimed=counts[(rep, Metric.CLAIMED)],
            speed_p50=_p(speeds[rep], 0.5),
            accepted=counts[(rep, Metric.ACCEPTED)],
            rejected=counts[(rep, Metric.REJECTED)],
            won=counts[(rep, Metric.R_WON)],
        )
        for rep in {rep for rep, _metric in counts}
    ]
    return sorted(rows, key=lambda r: (-r.claimed, r.name))
