"""Read-only KPI figures for a period and filters.

Two sources give the same `Dashboard`: the rollups (what every page and API
request reads: five grouped queries over small rows, whatever the volume)
and `live`, which derives the same events from the source tables at request
time (the benchmark's naive comparison, and the tests' proof that the
rollups are right). Both fill a `Cells` and `assemble` turns it into figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, Sum
from django.utils import timezone

from crm.models import Campaign
from handoff.models import Handoff
from kpi import rollups
from kpi.definitions import DEFINITIONS, Definition
from kpi.models import DailyRollup, RollupState, Target
from web.people import person


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


CAMPAIGN_METRICS = ("lead", "r_mql", "r_sql", "r_won", "won_deal", "sourced", "influenced")
REP_METRICS = ("claimed", "speed", "accepted", "rejected", "r_won", "won_deal")
DAILY_METRICS = ("lead", "r_mql", "r_sql", "r_won")


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
        .filter(metric="r_mql")
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
        if event.metric == "r_mql" and filters.keeps(event)
    )
    cells.totals, cells.by_campaign = dict(totals), dict(by_campaign)
    cells.by_rep, cells.daily = dict(by_rep), dict(daily)
    return cells


# --- figures -------------------------------------------------------------------


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
    campaigns: list[CampaignRow]
    reps: list[RepRow]
    daily: list[DailyPoint]

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


def _funnel(cells: Cells, prefix: str) -> list[Step]:
    steps: list[Step] = []
    before = cells.count("lead") if prefix == "c_" else None
    for key in rollups.FUNNEL:
        histogram = cells.histogram(prefix + key)
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
    campaigns: dict[int, Campaign],
    reps: dict[int, str],
    targets: dict[str, Decimal],
) -> Dashboard:
    mqls = cells.count("r_mql")
    accepted, rejected = cells.count("accepted"), cells.count("rejected")
    met, missed = cells.count("sla_met"), cells.count("sla_missed")
    values: dict[str, Any] = {
        "leads": cells.count("lead"),
        "mqls": mqls,
        "sqls": cells.count("r_sql"),
        "won": cells.count("r_won"),
        "won_revenue": cells.amount("won_deal"),
        "pipeline_sourced": cells.amount("sourced"),
        # Per campaign, a deal counts in full for each campaign it credits;
        # without a campaign filter the total counts each deal once.
        "pipeline_influenced": cells.amount(
            "influenced" if filters.campaigns is not None else "influenced_any"
        ),
        "claimed": cells.count("claimed"),
        "speed_p50": _p(cells.histogram("speed"), 0.5),
        "speed_p90": _p(cells.histogram("speed"), 0.9),
        "routing_p50": _p(cells.histogram("routing"), 0.5),
        "rep_delay_p50": _p(cells.histogram("rep_delay"), 0.5),
        "sla_compliance": percent(met, met + missed),
        "rejection_rate": percent(rejected, accepted + rejected),
        "recycled_converted": cells.count("reconverted"),
        "lead_velocity": percent(mqls - cells.previous_mqls, cells.previous_mqls),
    }
    figures = []
    for key, definition in DEFINITIONS.items():
        value = values[key] if definition.by_rep or filters.rep is None else None
        figures.append(Figure(definition, value, targets.get(key)))
    reasons = dict(Handoff.RejectReason.choices)
    rejections = [
        (str(reasons.get(reason, reason)), n)
        for bucket, reason in enumerate([*rollups.REJECT_REASONS, "other"])
        if (n := cells.totals.get(("rejected", bucket), [0])[0])
    ]
    return Dashboard(
        period=period,
        filters=filters,
        figures=figures,
        cohort=_funnel(cells, "c_"),
        calendar=_funnel(cells, "r_"),
        rejections=sorted(rejections, key=lambda r: -r[1]),
        campaigns=_campaign_rows(cells, campaigns),
        reps=_rep_rows(cells, reps),
        daily=[
            DailyPoint(
                day,
                cells.daily.get((day, "lead"), 0),
                cells.daily.get((day, "r_mql"), 0),
                cells.daily.get((day, "r_sql"), 0),
                cells.daily.get((day, "r_won"), 0),
            )
            for day in period.days()
        ],
    )


def _campaign_rows(cells: Cells, campaigns: dict[int, Campaign]) -> list[CampaignRow]:
    ids = {campaign for campaign, _metric in cells.by_campaign}

    def n(campaign: int, metric: str) -> int:
        return int(cells.by_campaign.get((campaign, metric), [0, 0])[0])

    def amount(campaign: int, metric: str) -> Decimal:
        return Decimal(cells.by_campaign.get((campaign, metric), [0, 0])[1])

    channels = dict(Campaign.Channel.choices)  # get_channel_display() per row took 65 ms for 200
    rows = []
    for pk in ids:
        campaign = campaigns.get(pk)
        rows.append(
            CampaignRow(
                campaign_id=pk,
                name=campaign.name if campaign else "",
                channel=str(channels.get(campaign.channel, campaign.channel)) if campaign else "",
                cost=campaign.actual_cost if campaign else Decimal(0),
                leads=n(pk, "lead"),
                mqls=n(pk, "r_mql"),
                sqls=n(pk, "r_sql"),
                won=n(pk, "r_won"),
                won_revenue=amount(pk, "won_deal"),
                pipeline_sourced=amount(pk, "sourced"),
                pipeline_influenced=amount(pk, "influenced"),
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
            if metric == "speed":
                speeds[rep][bucket] = n
    rows = [
        RepRow(
            rep_id=rep,
            name=reps.get(rep, f"#{rep}"),
            claimed=counts[(rep, "claimed")],
            speed_p50=_p(speeds[rep], 0.5),
            accepted=counts[(rep, "accepted")],
            rejected=counts[(rep, "rejected")],
            won=counts[(rep, "r_won")],
        )
        for rep in {rep for rep, _metric in counts}
    ]
    return sorted(rows, key=lambda r: (-r.claimed, r.name))


# --- the whole request ---------------------------------------------------------


def resolve_filters(*, campaign: Campaign | None, channel: str, rep: int | None) -> Filters:
    """A campaign, a channel (its campaigns; one query) or both (their overlap)."""
    campaigns: frozenset[int] | None = None
    if channel:
        campaigns = frozenset(
            Campaign.objects.filter(channel=channel).order_by().values_list("pk", flat=True)
        )
    if campaign is not None:
        campaigns = (
            frozenset({campaign.pk}) & campaigns
            if campaigns is not None
            else frozenset({campaign.pk})
        )
    return Filters(campaigns=campaigns, rep=rep)


def targets_for(period: Period) -> dict[str, Decimal]:
    """The targets that apply to the period (one query): the quarter's when the
    period lies in one quarter and it has one; else the month's when the period
    lies in one month; else, for counts and money, the sum of the targets of
    the months the period covers, when every one of them has one."""
    first_month = period.start.replace(day=1)
    quarter = first_month.replace(month=3 * ((first_month.month - 1) // 3) + 1)
    months = _months(period)
    rows = Target.objects.filter(
        Q(span=Target.Span.QUARTER, month=quarter) | Q(span=Target.Span.MONTH, month__in=months)
    ).values_list("kpi", "span", "month", "value")
    quarterly: dict[str, Decimal] = {}
    monthly: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for kpi, span, month, value in rows:
        if span == Target.Span.QUARTER:
            quarterly[kpi] = value
        else:
            monthly[kpi][month] = value
    in_one_quarter = _quarter_start(period.end) == quarter
    found: dict[str, Decimal] = {}
    for key, definition in DEFINITIONS.items():
        if in_one_quarter and key in quarterly:
            found[key] = quarterly[key]
        elif len(months) == 1 and months[0] in monthly[key]:
            found[key] = monthly[key][months[0]]
        elif definition.additive and len(months) > 1 and all(m in monthly[key] for m in months):
            found[key] = sum((monthly[key][m] for m in months), Decimal(0))
    return found


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _months(period: Period) -> list[date]:
    months, month = [], period.start.replace(day=1)
    while month <= period.end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def dashboard(period: Period, filters: Filters, *, live: bool = False) -> Dashboard:
    """The figures for the period: from the rollups, or computed live."""
    cells = live_cells(period, filters) if live else from_rollups(period, filters)
    campaign_ids = {c for c, _m in cells.by_campaign if c}
    rep_ids = {r for r, _m, _b in cells.by_rep if r}
    campaigns = Campaign.objects.in_bulk(campaign_ids) if campaign_ids else {}
    users = get_user_model().objects.filter(pk__in=rep_ids) if rep_ids else []
    reps = {user.pk: person(user) for user in users}  # family name first in Japanese
    return assemble(
        cells, period, filters, campaigns=campaigns, reps=reps, targets=targets_for(period)
    )


def refreshed_at() -> datetime | None:
    """When the rollups the dashboard reads were last brought up to date (the
    start of the last refresh: what happened before it is counted)."""
    return RollupState.objects.filter(pk=1).values_list("checked_at", flat=True).first()
