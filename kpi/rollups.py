"""The KPI rollups: every KPI event, dated and counted per day, kept current.

How a dashboard request stays fast: it never reads leads, stage changes,
handoffs or deals. It reads `DailyRollup` rows: per day, metric, campaign,
rep and histogram bucket, at the one grain its filters need (see the model).
At 1,000,000 leads a quarter is some tens of thousands of small rows.

How the rows stay right:

1. `events(first, last)` derives every KPI event whose day falls in a range
   of local days, from the source tables, with a bounded number of queries
   (set-based reads, a few per 5,000 leads; each event belongs to exactly one
   day, so a range can be recomputed on its own).
2. `rebuild(first, last)` replaces the range's rows by those events, rolled
   up to the four grains, in one transaction. Recomputing from the source
   makes it safe to run twice, in any order.
3. `refresh()` (Celery beat, every minute) finds the days that changed since
   it last ran — new stage changes and leads by id, handoffs, SLA deadlines
   and deals by their timestamps, less a margin for transactions that
   committed late — and rebuilds only those days.
4. `rebuild_all()` (nightly) rebuilds every day: the safety net for anything
   the refresh cannot see (a release clears `claimed_at`; a stage change whose
   transaction committed after a later id was seen).

Why histograms for the medians and percentiles: a median of medians is not
the median, so percentiles cannot be summed across days, campaigns or reps.
A per-handoff fact table would give exact figures but a request would read
one row per handoff in the period (25,000 a quarter at reference volume,
growing with the business). Histograms are additive: each duration falls in
a bucket, buckets are counted like any other event, and a percentile is read
from the summed buckets. The price is resolution: a percentile is reported
as the upper bound of its bucket ("at most 20 minutes"); buckets grow by
about a quarter each, so the figure is at most that much above the exact
one. Days per funnel step are exact whole days up to a week, then the
upper bound of a bucket (10, 14, 21, 30, 45, 60, 90 … days): each bucket is
a row per day, campaign and rep, and finer ones doubled what a request reads.
"""

from __future__ import annotations

import bisect
import io
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeGuard

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import Now, TruncDate
from django.utils import timezone

from crm.models import Activity, Deal, Lead, StageChange
from handoff.models import Handoff, SlaDeadline
from kpi.models import DailyRollup, RollupState

logger = logging.getLogger(__name__)

# The funnel's steps in order; "won" is the customer stage or a won deal.
FUNNEL = ("mql", "sal", "sql", "opportunity", "won")
STAGE_OF_STEP = {"mql": "mql", "sal": "sal", "sql": "sql", "opportunity": "opportunity"}
STEP_OF_STAGE = {**{stage: step for step, stage in STAGE_OF_STEP.items()}, "customer": "won"}
CONVERTED_STEPS = ("sql", "opportunity", "won")  # a recycled lead that got here converted
REJECT_REASONS = [value for value, _label in Handoff.RejectReason.choices]

# Histogram buckets: bucket i holds values above BOUNDS[i-1] up to BOUNDS[i];
# the last bucket, len(BOUNDS), holds everything longer.
SPEED_MINUTES = [
    1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 90, 120, 150, 180, 240,
    300, 360, 480, 600, 720, 960, 1200, 1440, 2160, 2880, 4320, 5760, 7200, 10080, 14400,
    20160, 30240, 43200,
]  # fmt: skip
STEP_DAYS = [*range(8), 10, 14, 21, 30, 45, 60, 90, 120, 180, 270, 365]

# GRAINS[grain] = (keeps the campaign, keeps the rep)
GRAINS = {0: (False, False), 1: (True, False), 2: (False, True), 3: (True, True)}

# Handoffs, deadlines and deals are found by their timestamps, which the app
# sets before its transaction commits: look this far behind the last run.
MARGIN = timedelta(minutes=10)
CHUNK = 5000


def speed_bucket(duration: timedelta) -> int:
    return bisect.bisect_left(SPEED_MINUTES, max(duration.total_seconds(), 0) / 60)


def step_bucket(duration: timedelta) -> int:
    return bisect.bisect_left(STEP_DAYS, max(duration.days, 0))


def percentile(histogram: dict[int, int], fraction: float, bounds: list[int]) -> int | None:
    """The upper bound of the bucket holding the nearest-rank percentile;
    None for no values, -1 for "beyond the last bound"."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, -(-int(fraction * total * 1000) // 1000))  # ceil without float noise
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bounds[bucket] if bucket < len(bounds) else -1
    return -1  # pragma: no cover


# Whether a moment falls in the range being computed (and is not None).
Inside = Callable[[datetime | None], TypeGuard[datetime]]


@dataclass(frozen=True)
class Event:
    day: date
    metric: str
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


# --- 1. events --------------------------------------------------------------


# The events come in families, each derived from its own source rows, so a
# change rebuilds only its family's rows of the days it touched (a stage
# change on a lead created months ago does not recount that day's handoffs).
FAMILIES = {
    "cohort": ("lead", *(f"c_{step}" for step in FUNNEL)),  # by creation day
    "calendar": (*(f"r_{step}" for step in FUNNEL), "recycled", "reconverted"),
    "handoffs": (
        "handoff", "speed", "routing", "rep_delay", "claimed", "accepted", "rejected",
        "sla_met", "sla_missed",
    ),
    "deals": ("won_deal", "sourced", "influenced", "influenced_any"),
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
            yield Event(day, "lead", campaign or 0, 0, count=n)
        moved |= set(
            StageChange.objects.filter(lead__in=new_leads, to_stage__in=FUNNEL_STAGES)
            .order_by()
            .values_list("lead_id", flat=True)
            .distinct()
        )
        moved |= set(
            Deal.objects.filter(lead__in=new_leads, stage=Deal.Stage.WON)
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
        chunk = ids[offset : offset + CHUNK]
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
            for event in _journey(created_at, campaign, changes, inside):
                if cohort if event.metric.startswith("c_") else calendar:
                    yield event


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
                local_day(created_at), f"c_{step}", campaign, 0 if step == "mql" else by, bucket
            )
        if inside(at):
            yield Event(local_day(at), f"r_{step}", campaign, 0 if step == "mql" else by, bucket)
        previous = at
    if "recycled" in first:
        recycled_at, by = first["recycled"]
        if inside(recycled_at):
            yield Event(local_day(recycled_at), "recycled", campaign, by)
        for at, stage, converter in changes:
            if at > recycled_at and STEP_OF_STAGE.get(stage) in CONVERTED_STEPS:
                if inside(at):
                    yield Event(local_day(at), "reconverted", campaign, converter)
                break


def _won_deals_closed_between(start: datetime, end: datetime) -> QuerySet[Deal]:
    start_day, end_day = start.date(), end.date()
    return Deal.objects.filter(stage=Deal.Stage.WON).filter(
        Q(closed_at__gte=start, closed_at__lt=end)
        | Q(closed_at__isnull=True, close_date__gte=start_day, close_date__lt=end_day)
        | Q(
            closed_at__isnull=True,
            close_date__isnull=True,
            created_at__gte=start,
            created_at__lt=end,
        )
    )


def won_at(closed_at: datetime | None, close_date: date | None, created_at: datetime) -> datetime:
    """When a won deal was won: its closing time, else noon of its close date,
    else its creation."""
    if closed_at is not None:
        return closed_at
    if close_date is not None:
        return datetime.combine(close_date, time(12), tzinfo=timezone.get_current_timezone())
    return created_at


def _won_deals(deals: QuerySet[Deal]) -> Iterator[tuple[int, datetime, int]]:
    for lead_id, closed_at, close_date, created_at, owner in (
        deals.filter(stage=Deal.Stage.WON)
        .order_by()
        .values_list("lead_id", "closed_at", "close_date", "created_at", "owner_id")
    ):
        yield lead_id, won_at(closed_at, close_date, created_at), owner or 0


def _handoff_events(start: datetime, end: datetime, inside: Inside) -> Iterator[Event]:
    """Handoffs made (with their speed), claimed, accepted, rejected (by
    reason); first-touch deadlines met or missed."""
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
            yield Event(day, "handoff", campaign, rep)
            if touched is not None:
                yield Event(day, "speed", campaign, rep, speed_bucket(touched - created))
            if routing is not None:
                yield Event(day, "routing", campaign, rep, speed_bucket(routing))
            if rep_delay is not None:
                yield Event(day, "rep_delay", campaign, rep, speed_bucket(rep_delay))
        if inside(claimed):
            yield Event(local_day(claimed), "claimed", campaign, rep)
        if inside(decided) and status in accepted:
            yield Event(local_day(decided), "accepted", campaign, rep)
        if inside(decided) and status == Handoff.Status.REJECTED:
            bucket = (
                REJECT_REASONS.index(reason) if reason in REJECT_REASONS else len(REJECT_REASONS)
            )
            yield Event(local_day(decided), "rejected", campaign, rep, bucket)
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
            yield Event(local_day(due), "sla_missed", campaign or 0, rep or 0)
        elif touched is not None and touched <= due:
            yield Event(local_day(due), "sla_met", campaign or 0, rep or 0)


def _deal_events(start: datetime, end: datetime, inside: Inside) -> Iterator[Event]:
    """Won deals and their revenue (to the lead's source campaign); pipeline
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
            yield Event(local_day(at), "won_deal", campaign or 0, owner or 0, 0, amount)
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
        yield Event(day, "sourced", source, owner, 0, amount)
        influenced = {campaign for campaign, at in touches.get(lead_id, []) if at <= created}
        if source:
            influenced.add(source)
        for campaign in sorted(influenced):
            yield Event(day, "influenced", campaign, owner, 0, amount)
        if influenced:
            # The total counts each deal once, however many campaigns it credits.
            yield Event(day, "influenced_any", source, owner, 0, amount)


# --- 2. rollups -------------------------------------------------------------

Cell = tuple[date, int, int, int, str, int]  # day, grain, campaign, rep, metric, bucket


def roll_up(found: Iterable[Event]) -> dict[Cell, list[int | Decimal]]:
    """The events counted at every grain."""
    cells: dict[Cell, list[int | Decimal]] = defaultdict(lambda: [0, Decimal(0)])
    for event in found:
        for grain, (by_campaign, by_rep) in GRAINS.items():
            if by_rep and not event.rep:
                # Nobody reads rep 0 by rep: a rep filter names a rep, and the
                # per-rep table leaves out what no rep did.
                continue
            key = (
                event.day,
                grain,
                event.campaign if by_campaign else 0,
                event.rep if by_rep else 0,
                event.metric,
                event.bucket,
            )
            cell = cells[key]
            cell[0] += event.count
            cell[1] += event.amount
    return cells


def rebuild(first: date, last: date, families: frozenset[str] = ALL) -> int:
    """Replace the rollups of `families` on the days from `first` to `last`
    by a fresh count from the source tables. Safe to run twice: it recomputes
    from source. Returns how many rows it wrote."""
    metrics = [metric for family in families for metric in FAMILIES[family]]
    with transaction.atomic():
        # Rebuilds take turns, so two of the same days never both insert.
        _lock_state()
        cells = roll_up(events(first, last, families))
        # Every grain named, so the (grain, metric, day) index finds the rows.
        DailyRollup.objects.filter(
            grain__in=GRAINS, day__gte=first, day__lte=last, metric__in=metrics
        ).delete()
        _write(cells)
    return len(cells)


COLUMNS = ("day", "grain", "campaign_id", "rep_id", "metric", "bucket", "count", "amount")


def _write(cells: dict[Cell, list[int | Decimal]]) -> None:
    """Insert the cells: by COPY on PostgreSQL (a nightly rebuild writes
    millions of rows; building a model instance for each took most of its
    time), by bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        DailyRollup.objects.bulk_create(
            (
                DailyRollup(**dict(zip(COLUMNS, (*key, *values), strict=True)))
                for key, values in cells.items()
            ),
            batch_size=2000,
        )
        return
    buffer = io.StringIO()
    # In the order requests read them (grain, metric, day), so that a quarter
    # of one metric lies on few pages.
    ordered = sorted(cells.items(), key=lambda cell: (cell[0][1], cell[0][4], cell[0][0]))
    for (day, grain, campaign, rep, metric, bucket), (count, amount) in ordered:
        buffer.write(
            f"{day.isoformat()}\t{grain}\t{campaign}\t{rep}\t{metric}\t{bucket}\t{count}\t{amount}\n"
        )
    buffer.seek(0)
    with connection.cursor() as cursor:
        table = DailyRollup._meta.db_table
        cursor.cursor.copy_expert(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN", buffer)  # type: ignore[attr-defined]


def _lock_state() -> RollupState:
    state, _created = RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=state.pk)


def rebuild_all(*, chunk_days: int = 31) -> int:
    """Rebuild every day from the first lead to today, a month at a time (each
    month in its own transaction, so the minute refresh can run in between).
    Returns how many rows it wrote."""
    earliest = Lead.objects.aggregate(first=Min("created_at"))["first"]
    today = timezone.localdate()
    first = min(local_day(earliest), today) if earliest else today
    DailyRollup.objects.filter(Q(day__lt=first) | Q(day__gt=today)).delete()
    written = 0
    day = first
    while day <= today:
        last = min(day + timedelta(days=chunk_days - 1), today)
        written += rebuild(day, last)
        day = last + timedelta(days=1)
    RollupState.objects.filter(pk=1).update(rebuilt_at=Now())
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Fresh statistics, and a visibility map so that requests read the
        # covering index alone.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {DailyRollup._meta.db_table}")
    return written


# --- 3. the incremental refresh ---------------------------------------------


def refresh() -> list[tuple[str, date, date]]:
    """Rebuild each family's days touched since the last refresh and return
    them as (family, first, last) ranges. The first refresh ever notes where
    the sources stand, then rebuilds everything."""
    with transaction.atomic():
        state = _lock_state()
        if state.checked_at is not None:
            started = timezone.now()
            touched, last_change, last_lead = _touched_days(state)
            ranges = [
                (family, first, last)
                for family, days in sorted(touched.items())
                for first, last in _ranges(days)
            ]
            for family, first, last in ranges:
                rebuild(first, last, frozenset({family}))
            RollupState.objects.filter(pk=state.pk).update(
                checked_at=started, last_stage_change_id=last_change, last_lead_id=last_lead
            )
            return ranges
        RollupState.objects.filter(pk=state.pk).update(
            checked_at=timezone.now(),
            last_stage_change_id=_max_id(StageChange.objects.all()),
            last_lead_id=_max_id(Lead.objects.all()),
        )
    rebuild_all()
    return [(family, date.min, date.max) for family in sorted(FAMILIES)]


def _max_id(rows: QuerySet[Any]) -> int:
    return rows.aggregate(last=Max("pk"))["last"] or 0


def _touched_days(state: RollupState) -> tuple[dict[str, set[date]], int, int]:
    """The days of each family whose events may have changed since the
    state's last run, with the newest stage change and lead ids seen."""
    if state.checked_at is None:
        raise ValueError("the first refresh rebuilds everything; there is nothing to compare")
    since = state.checked_at - MARGIN
    touched: dict[str, set[date]] = defaultdict(set)
    last_change = state.last_stage_change_id
    for pk, changed_at, created_at in StageChange.objects.filter(
        pk__gt=state.last_stage_change_id
    ).values_list("pk", "changed_at", "lead__created_at"):
        touched["calendar"].add(local_day(changed_at))
        touched["cohort"].add(local_day(created_at))
        last_change = max(last_change, pk)
    last_lead = state.last_lead_id
    for pk, created_at in Lead.objects.filter(pk__gt=state.last_lead_id).values_list(
        "pk", "created_at"
    ):
        touched["cohort"].add(local_day(created_at))
        last_lead = max(last_lead, pk)
    handoffs = Handoff.objects.filter(
        Q(created_at__gte=since)
        | Q(claimed_at__gte=since)
        | Q(decided_at__gte=since)
        | Q(first_touch_at__gte=since)
    ).values_list("created_at", "claimed_at", "decided_at")
    for moments in handoffs:
        touched["handoffs"] |= {local_day(moment) for moment in moments if moment is not None}
    for (due_at,) in SlaDeadline.objects.filter(settled_at__gte=since).values_list("due_at"):
        touched["handoffs"].add(local_day(due_at))
    deals = Deal.objects.filter(Q(created_at__gte=since) | Q(closed_at__gte=since)).values_list(
        "created_at", "closed_at", "close_date", "lead__created_at"
    )
    for created_at, closed_at, close_date, lead_created_at in deals:
        won = local_day(won_at(closed_at, close_date, created_at))
        touched["deals"] |= {local_day(created_at), won}
        # A won deal is a lead won: its funnel moves too.
        touched["calendar"].add(won)
        touched["cohort"].add(local_day(lead_created_at))
    return {family: days for family, days in touched.items() if days}, last_change, last_lead


def _ranges(days: set[date], *, gap: int = 1) -> list[tuple[date, date]]:
    """The days as ranges of consecutive days (a range costs a few queries
    whatever its length, but every day in it is recounted)."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and (day - ranges[-1][1]).days <= gap:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges
