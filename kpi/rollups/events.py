"""1. Every KPI event whose day falls in a range of local days, derived from
the source tables with a bounded number of queries (set-based reads, a few per
5,000 leads). Each event belongs to exactly one day, so a range can be
recomputed on its own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeGuard

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from crm.models import Activity, Deal, Lead, StageChange
from handoff.models import Handoff, SlaDeadline
from kpi.rollups.histograms import speed_bucket, step_bucket
from kpi.rollups.names import FUNNEL, Metric

STAGE_OF_STEP = {"mql": "mql", "sal": "sal", "sql": "sql", "opportunity": "opportunity"}
STEP_OF_STAGE = {**{stage: step for step, stage in STAGE_OF_STEP.items()}, "customer": "won"}
CONVERTED_STEPS = ("sql", "opportunity", "won")  # a recycled lead that got here converted
REJECT_REASONS = [value for value, _label in Handoff.RejectReason.choices]
CHUNK = 5000

# Whether a moment falls in the range being computed (and is not None).
Inside = Callable[[datetime | None], TypeGuard[datetime]]


@dataclass(frozen=True)
class Event:
    day: date
    metric: Metric
    campaign: int
    rep: int
    bucket: int = 0
    amount: Decimal = Decimal(0)
    count: int = 1  # events counted together by the database


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
    )


# The events come in families, each derived from its own source rows, so a
# change rebuilds only its family's rows of the days it touched (a stage
# change on a lead created months ago does not recount that day's handoffs).
FAMILIES: dict[str, tuple[Metric, ...]] = {
    "cohort": (Metric.LEAD, *(Metric.cohort(step) for step in FUNNEL)),  # by creation day
    "calendar": (
        *(Metric.calendar(step) for step in FUNNEL), Metric.RECYCLED, Metric.RECONVERTED,
    ),
    "handoffs": (
        Metric.HANDOFF, Metric.SPEED, Metric.ROUTING, Metric.REP_DELAY, Metric.CLAIMED,
        Metric.ACCEPTED, Metric.REJECTED, Metric.SLA_MET, Metric.SLA_MISSED,
    ),
    "deals": (
        Metric.WON_DEAL, Metric.LOST_DEAL, Metric.SALES_CYCLE, Metric.SOURCED, Metric.INFLUENCED,
        Metric.INFLUENCED_ANY,
    ),
}  # fmt: skip
ALL = frozenset(FAMILIES)


def events(first: date, last: date, families: frozenset[str] = ALL) -> Iterator[Event]:
    """Every KPI event of `families` dated from `first` to `last` (local days,
    included)."""
    start, end = day_bounds(first, last)

    def inside(moment: datetime | None) -> TypeGuard[datetime]:
        return moment is not None and start <= moment < end

    if families & {"cohort", "calendar"}:
        yield from _lead_events(start, end, inside, families)
    if "handoffs" in families:
        yield from _handoff_events(start, end, inside)
    if "deals" in families:
        yield from _deal_events(start, end, inside)


FUNNEL_STAGES = [*STAGE_OF_STEP.values(), "customer", "recycled"]


def _lead_events(
    start: datetime, end: datetime, inside: Inside, families: frozenset[str]
) -> Iterator[Event]:
    """New leads; each funnel step reached (by calendar day and by cohort);
    first recycling; conversion after recycling."""
    new_leads = Lead.objects.filter(created_at__gte=start, created_at__lt=end).order_by()
    cohort, calendar = "cohort" in families, "calendar" in families
    moved: set[int] = set()
    if cohort:
        # New leads are counted by the database, per day and campaign: most
        # never move, and only those that did need their history read.
        tz = timezone.get_current_timezone()
        for day, campaign, n in (
            new_leads.annotate(day=TruncDate("created_at", tzinfo=tz))
            .values_list("day", "source_campaign_id")
            .annotate(n=Count("pk"))
            .values_list("day", "source_campaign_id", "n")
        ):
            yield Event(day, Metric.LEAD, campaign or 0, 0, count=n)
        moved |= set(
            StageChange.objects.filter(lead__in=new_leads, to_stage__in=FUNNEL_STAGES)
            .order_by()
            .values_list("lead_id", flat=True)
            .distinct()
        )
        moved |= set(
            Deal.objects.filter(lead__in=new_leads, status=Deal.Status.WON)
            .order_by()
            .values_list("lead_id", flat=True)
        )
    if calendar:
        moved |= set(
            StageChange.objects.filter(
                changed_at__gte=start, changed_at__lt=end, to_stage__in=FUNNEL_STAGES
            )
            .order_by()
            .values_list("lead_id", flat=True)
            .distinct()
        )
        moved |= set(_won_deals_closed_between(start, end).values_list("lead_id", flat=True))
    ids = sorted(moved)
    for offset in range(0, len(ids), CHUNK):
        for created_at, campaign, changes in _histories(ids[offset : offset + CHUNK]):
            for event in _journey(created_at, campaign, changes, inside):
                if cohort if event.metric.startswith("c_") else calendar:
                    yield event


def _histories(chunk: list[int]) -> Iterator[tuple[datetime, int, list[tuple[datetime, str, int]]]]:
    """Each lead's creation, source campaign and funnel moves (stage changes
    and won deals) in time order: three queries for the chunk."""
    leads = {
        pk: (created_at, campaign or 0)
        for pk, created_at, campaign in Lead.objects.filter(pk__in=chunk)
        .order_by()
        .values_list("pk", "created_at", "source_campaign_id")
    }
    history: dict[int, list[tuple[datetime, str, int]]] = defaultdict(list)
    for lead_id, stage, at, by in (
        StageChange.objects.filter(lead_id__in=chunk, to_stage__in=FUNNEL_STAGES)
        .order_by("changed_at", "pk")
        .values_list("lead_id", "to_stage", "changed_at", "changed_by_id")
    ):
        history[lead_id].append((at, stage, by or 0))
    for lead_id, closed, owner in _won_deals(Deal.objects.filter(lead_id__in=chunk)):
        history[lead_id].append((closed, "customer", owner))
    for lead_id, (created_at, campaign) in leads.items():
        changes = sorted(history.get(lead_id, []), key=lambda change: change[0])
        yield created_at, campaign, changes


def _journey(
    created_at: datetime,
    campaign: int,
    changes: list[tuple[datetime, str, int]],
    inside: Inside,
) -> Iterator[Event]:
    """One lead's events. A lead that skipped a step passed it when it reached
    a later one (an SQL without an MQL counts as an MQL then): the funnel
    never grows from one step to the next."""
    cohort = inside(created_at)  # its "lead" event is counted in SQL (_lead_events)
    first: dict[str, tuple[datetime, int]] = {}
    for at, stage, by in changes:
        step = STEP_OF_STAGE.get(stage, stage)
        first.setdefault(step, (at, by))
    reached: dict[str, tuple[datetime, int]] = {}
    later: tuple[datetime, int] | None = None
    for step in reversed(FUNNEL):
        own = first.get(step)
        if own is not None and (later is None or own[0] <= later[0]):
            later = own
        if later is not None:
            reached[step] = later
    previous = created_at
    for step in FUNNEL:
        if step not in reached:
            break
        at, by = reached[step]
        bucket = step_bucket(at - previous)
        if cohort:
            yield Event(
                local_day(created_at),
                Metric.cohort(step),
                campaign,
                0 if step == "mql" else by,
                bucket,
            )
        if inside(at):
            yield Event(
                local_day(at), Metric.calendar(step), campaign, 0 if step == "mql" else by, bucket
            )
        previous = at
    if "recycled" in first:
        recycled_at, by = first["recycled"]
        if inside(recycled_at):
            yield Event(local_day(recycled_at), Metric.RECYCLED, campaign, by)
        for at, stage, converter in changes:
            if at > recycled_at and STEP_OF_STAGE.get(stage) in CONVERTED_STEPS:
                if inside(at):
                    yield Event(local_day(at), Metric.RECONVERTED, campaign, converter)
                break


def _won_deals_closed_between(start: datetime, end: datetime) -> QuerySet[Deal]:
    return _closed_between(start, end).filter(status=Deal.Status.WON)


def _closed_between(start: datetime, end: datetime) -> QuerySet[Deal]:
    """Deals whose closing moment (`won_at`) falls in the range: a close date
    on one of its days, else the time it was closed, else its opening."""
    start_day, end_day = start.date(), end.date()
    return Deal.objects.filter(
        Q(close_date__gte=start_day, close_date__lt=end_day)
        | Q(close_date__isnull=True, closed_at__gte=start, closed_at__lt=end)
        | Q(
            closed_at__isnull=True,
            close_date__isnull=True,
            created_at__gte=start,
            created_at__lt=end,
        )
    )


def won_at(closed_at: datetime | None, close_date: date | None, created_at: datetime) -> datetime:
    """When a closed (won or lost) deal was closed: noon of its close date
    (the day the customer decided, which a rep may record days later), else
    the time it was closed, else its opening."""
    if close_date is not None:
        return datetime.combine(close_date, time(12), tzinfo=timezone.get_current_timezone())
    if closed_at is not None:
        return closed_at
    return created_at


def _won_deals(deals: QuerySet[Deal]) -> Iterator[tuple[int, datetime, int]]:
    for lead_id, closed_at, close_date, created_at, owner in (
        deals.filter(status=Deal.Status.WON)
        .order_by()
        .values_list("lead_id", "closed_at", "close_date", "created_at", "owner_id")
    ):
        yield lead_id, won_at(closed_at, close_date, created_at), owner or 0


def _handoff_events(start: datetime, end: datetime, inside: Inside) -> Iterator[Event]:
    """Handoffs made (with their speed), claimed, accepted, rejected (by
    reason); then their first-touch deadlines (_deadline_events)."""
    rows = (
        Handoff.objects.filter(
            Q(created_at__gte=start, created_at__lt=end)
            | Q(claimed_at__gte=start, claimed_at__lt=end)
            | Q(decided_at__gte=start, decided_at__lt=end)
        )
        .order_by()
        .values_list(
            "created_at", "claimed_at", "decided_at", "status", "reject_reason",
            "claimed_by_id", "first_touch_at", "routing_delay", "rep_delay",
            "lead__source_campaign_id",
        )
    )  # fmt: skip
    accepted = {Handoff.Status.ACCEPTED, Handoff.Status.QUALIFIED}
    for (
        created,
        claimed,
        decided,
        status,
        reason,
        rep,
        touched,
        routing,
        rep_delay,
        campaign,
    ) in rows:
        campaign, rep = campaign or 0, rep or 0
        if inside(created):
            day = local_day(created)
            yield Event(day, Metric.HANDOFF, campaign, rep)
            if touched is not None:
                yield Event(day, Metric.SPEED, campaign, rep, speed_bucket(touched - created))
            if routing is not None:
                yield Event(day, Metric.ROUTING, campaign, rep, speed_bucket(routing))
            if rep_delay is not None:
                yield Event(day, Metric.REP_DELAY, campaign, rep, speed_bucket(rep_delay))
        if inside(claimed):
            yield Event(local_day(claimed), Metric.CLAIMED, campaign, rep)
        if inside(decided) and status in accepted:
            yield Event(local_day(decided), Metric.ACCEPTED, campaign, rep)
        if inside(decided) and status == Handoff.Status.REJECTED:
            bucket = (
                REJECT_REASONS.index(reason) if reason in REJECT_REASONS else len(REJECT_REASONS)
            )
            yield Event(local_day(decided), Metric.REJECTED, campaign, rep, bucket)
    yield from _deadline_events(start, end)


def _deadline_events(start: datetime, end: datetime) -> Iterator[Event]:
    """First-touch deadlines due in the range and settled: met or missed."""
    deadlines = (
        SlaDeadline.objects.filter(
            kind=SlaDeadline.Kind.FIRST_TOUCH,
            settled_at__isnull=False,
            due_at__gte=start,
            due_at__lt=end,
        )
        .order_by()
        .values_list(
            "due_at", "breached", "handoff__first_touch_at", "handoff__claimed_by_id",
            "handoff__lead__source_campaign_id",
        )
    )  # fmt: skip
    for due, breached, touched, rep, campaign in deadlines:
        if breached:
            yield Event(local_day(due), Metric.SLA_MISSED, campaign or 0, rep or 0)
        elif touched is not None and touched <= due:
            yield Event(local_day(due), Metric.SLA_MET, campaign or 0, rep or 0)


def _lost_deal_events(start: datetime, end: datetime, inside: Inside) -> Iterator[Event]:
    """Deals lost on the range's days, by lost reason."""
    lost = (
        _closed_between(start, end)
        .filter(status=Deal.Status.LOST)
        .order_by()
        .values_list(
            "closed_at", "close_date", "created_at", "owner_id", "lost_reason_id",
            "lead__source_campaign_id",
        )
    )  # fmt: skip
    for closed_at, close_date, created_at, owner, reason, campaign in lost:
        at = won_at(closed_at, close_date, created_at)
        if inside(at):
            yield Event(local_day(at), Metric.LOST_DEAL, campaign or 0, owner or 0, reason or 0)


def _deal_events(start: datetime, end: datetime, inside: Inside) -> Iterator[Event]:
    """Won deals, their revenue (to the lead's source campaign) and how long
    they took; lost deals by reason (_lost_deal_events); pipeline
    sourced (the source campaign, the first touch) and influenced (every
    campaign the lead touched before the deal was opened)."""
    won = (
        _won_deals_closed_between(start, end)
        .order_by()
        .values_list(
            "closed_at", "close_date", "created_at", "owner_id", "amount",
            "lead__source_campaign_id",
        )
    )  # fmt: skip
    for closed_at, close_date, created_at, owner, amount, campaign in won:
        at = won_at(closed_at, close_date, created_at)
        if inside(at):
            day, campaign, owner = local_day(at), campaign or 0, owner or 0
            yield Event(day, Metric.WON_DEAL, campaign, owner, 0, amount)
            cycle = max((day - local_day(created_at)).days, 0)
            yield Event(day, Metric.SALES_CYCLE, campaign, owner, count=cycle)
    yield from _lost_deal_events(start, end, inside)
    opened = list(
        Deal.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values_list("lead_id", "created_at", "owner_id", "amount", "lead__source_campaign_id")
    )
    touches: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    leads = sorted({row[0] for row in opened})
    for offset in range(0, len(leads), CHUNK):
        for lead_id, campaign, first_touch in (
            Activity.objects.filter(
                lead_id__in=leads[offset : offset + CHUNK], campaign__isnull=False
            )
            .order_by()
            .values_list("lead_id", "campaign_id")
            .annotate(first=Min("occurred_at"))
            .values_list("lead_id", "campaign_id", "first")
        ):
            touches[lead_id].append((campaign, first_touch))
    for lead_id, created, owner, amount, source in opened:
        day, source, owner = local_day(created), source or 0, owner or 0
        yield Event(day, Metric.SOURCED, source, owner, 0, amount)
        influenced = {campaign for campaign, at in touches.get(lead_id, []) if at <= created}
        if source:
            influenced.add(source)
        for campaign in sorted(influenced):
            yield Event(day, Metric.INFLUENCED, campaign, owner, 0, amount)
        if influenced:
            # The total counts each deal once, however many campaigns it credits.
            yield Event(day, Metric.INFLUENCED_ANY, source, owner, 0, amount)
