"""The summed rollup cells a dashboard is made of, for a period and filters:
from the rollups (one statement of five grouped parts over small rows) or live from the
source tables (the same events, derived at request time)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db import connection
from django.utils import timezone

from kpi import rollups
from kpi.models import DailyRollup, MonthlyRollup
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
    # The rows of the parts a caller added to the statement (`also`), by part.
    also: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    @cached_property
    def _metrics(self) -> dict[str, dict[int, list[Any]]]:
        """The totals by metric, then bucket (read once, not per figure)."""
        found: dict[str, dict[int, list[Any]]] = defaultdict(dict)
        for (metric, bucket), value in self.totals.items():
            found[metric][bucket] = value
        return found

    def count(self, metric: str) -> int:
        return sum(v[0] for v in self._metrics.get(metric, {}).values())

    def amount(self, metric: str) -> Decimal:
        return sum((Decimal(v[1]) for v in self._metrics.get(metric, {}).values()), Decimal(0))

    def histogram(self, metric: str) -> dict[int, int]:
        return {b: v[0] for b, v in self._metrics.get(metric, {}).items() if v[0]}


def _in(metrics: tuple[str, ...]) -> str:
    return f"metric IN ({', '.join(['%s'] * len(metrics))})"


@dataclass(frozen=True)
class Spans:
    """Where a period's rows are read: `days`, ranges of days (first, last)
    from the daily grain; `months`, the first days of the first and the last
    month (None for none) from the monthly grain; `less`, ranges of days of
    those months that are not in the period, subtracted (read from the
    daily grain, negated)."""

    days: tuple[tuple[date, date], ...]
    months: tuple[date, date] | None = None
    less: tuple[tuple[date, date], ...] = ()


# A partial month is read as the whole month less its days outside the
# period when those are fewer than its days inside by this many: a month's
# rows cost about what two or three days' do (a month holds a twelfth to a
# twentieth of its days' rows at 1,000,000 leads).
MONTH_IN_DAYS = 3


def spans(period: Period, *, by_month: bool = True) -> Spans:
    """The period's months from the monthly grain, each partial month either
    as its days inside the period or as the month less its days outside,
    whichever reads fewer days (so at most about half a month of days at
    either end); every day from the daily grain when `by_month` is False."""
    start, end = period.start, period.end
    if not by_month:
        return Spans(days=((start, end),))
    head, tail = rollups.month_start(start), rollups.month_start(end)
    head_end = rollups.next_month(head) - timedelta(days=1)
    tail_end = rollups.next_month(tail) - timedelta(days=1)
    days: list[tuple[date, date]] = []
    less: list[tuple[date, date]] = []
    if head == tail:  # inside one month
        outside = (start - head).days + (tail_end - end).days
        if outside + MONTH_IN_DAYS >= (end - start).days + 1:
            return Spans(days=((start, end),))
        less += [(head, start - timedelta(days=1))] if start > head else []
        less += [(end + timedelta(days=1), tail_end)] if end < tail_end else []
        return Spans(days=(), months=(head, head), less=tuple(less))
    first, last = head, tail
    if start > head:
        if (start - head).days + MONTH_IN_DAYS < (head_end - start).days + 1:
            less.append((head, start - timedelta(days=1)))
        else:
            days.append((start, head_end))
            first = rollups.next_month(head)
    if end < tail_end:
        if (tail_end - end).days + MONTH_IN_DAYS < (end - tail).days + 1:
            less.append((end + timedelta(days=1), tail_end))
        else:
            days.append((tail, end))
            last = rollups.month_start(tail - timedelta(days=1))
    months = (first, last) if first <= last else None
    return Spans(days=tuple(days), months=months, less=tuple(less))


# A dashboard reads five parts, in one statement (one round trip; the ORM
# built five querysets a request and compiled each, a fifth of the view's
# time at 10,000 leads), each at the one grain it needs. Columns: part,
# metric, key (campaign, rep or bucket), bucket, day, n, amount, extra (a
# second sum, for the parts the caller adds: `also`). A part's rows come
# from a subquery (_rows) of the period's months and days, each read through
# a covering index; a group exists when some daily row of the period's days
# does (`cells`: a month's rows count the daily rows they sum, subtracted
# days count -1 each), so that a campaign or a rep whose only rows were
# subtracted shows no row, as when every day is read.
PART_COLUMNS = {
    "t": ("metric, bucket, 0, CAST(NULL AS DATE), SUM(count), SUM(amount), 0", "metric, bucket"),
    "c": (
        "metric, campaign_id, 0, CAST(NULL AS DATE), SUM(count), SUM(amount), 0",
        "campaign_id, metric",
    ),
    "r": ("metric, rep_id, bucket, CAST(NULL AS DATE), SUM(count), 0, 0", "rep_id, metric, bucket"),
    "d": ("metric, 0, 0, day, SUM(count), 0, 0", "day, metric"),
    "p": ("metric, 0, 0, CAST(NULL AS DATE), SUM(count), 0, 0", "metric"),
}
ROW_COLUMNS = (
    "metric, bucket, campaign_id, rep_id, {day} AS day, {sign}count AS count, "
    "{sign}amount AS amount, {cells} AS cells"
)


def _rows(
    grain: int, where: Spans, metrics: tuple[str, ...], filters: tuple[str, list[int]]
) -> tuple[str, list[Any]]:
    """The rows of one grain (and `metrics`, all when empty) in the spans, as
    a subquery of ROW_COLUMNS: one branch per range of days, one for the
    months, one per range of days subtracted (a UNION ALL of plain range
    reads, each a single index scan)."""
    condition, values = filters
    if metrics:
        condition = f" AND {_in(metrics)}{condition}"
    daily, monthly = DailyRollup._meta.db_table, MonthlyRollup._meta.db_table
    # (table, day column, sign, cells, first, last)
    ranges = [(daily, "day", "", "1", first, last) for first, last in where.days]
    if where.months is not None:
        ranges.append((monthly, "month", "", "cells", *where.months))
    ranges += [(daily, "day", "-", "-1", first, last) for first, last in where.less]
    branches: list[str] = []
    params: list[Any] = []
    for table, column, sign, cells, first, last in ranges:
        columns = ROW_COLUMNS.format(day=column, sign=sign, cells=cells)
        branches.append(
            f"SELECT {columns} FROM {table} "  # nosec B608  # fixed names; values are parameters
            f"WHERE grain = %s AND {column} >= %s AND {column} <= %s{condition}"
        )
        params += [grain, first, last, *metrics, *values]
    return " UNION ALL ".join(branches), params


def from_rollups(
    period: Period,
    filters: Filters,
    *,
    also: Sequence[tuple[str, str, list[Any]]] = (),
    by_month: bool = True,
) -> Cells:
    """The period's cells in one statement over the rollups (five grouped
    parts, each at the one grain it needs); none reads a source table.
    Months come from the monthly grain, the days of partial months (or the
    days a partial month is read without) from the daily grain (`spans`;
    `by_month` False: every day from the daily grain, the path before the
    monthly grain, for comparison); the daily chart reads days.

    `also`: more parts for the same round trip, each (part, SQL, params), its
    SQL a SELECT of the eight columns of PART_COLUMNS' parts whose first is
    `part`; their rows land in `Cells.also[part]` as they come."""
    where, extra = "", list[int]()
    if filters.campaigns is not None:
        # An empty set (a channel without campaigns) matches nothing.
        ids = sorted(filters.campaigns) or [-1]
        where += f" AND campaign_id IN ({', '.join(['%s'] * len(ids))})"
        extra += ids
    if filters.rep is not None:
        where += " AND rep_id = %s"
        extra.append(filters.rep)
    grain = filters.grain
    current = spans(period, by_month=by_month)
    previous = spans(period.previous(), by_month=by_month)
    every_day = Spans(days=((period.start, period.end),))
    reads: list[tuple[str, int, Spans, tuple[str, ...]]] = [
        ("t", grain, current, ()),
        ("c", grain | 1, current, tuple(CAMPAIGN_METRICS)),
        ("r", grain | 2, current, tuple(REP_METRICS)),
        ("d", grain, every_day, tuple(DAILY_METRICS)),
        ("p", grain, previous, (Metric.R_MQL,)),
    ]
    statements: list[str] = []
    params: list[Any] = []
    for part, part_grain, part_spans, metrics in reads:
        columns, group_by = PART_COLUMNS[part]
        rows, rows_params = _rows(part_grain, part_spans, metrics, (where, extra))
        statements.append(
            f"SELECT '{part}', {columns} FROM ({rows}) AS r "  # nosec B608  # fixed parts; values are parameters
            f"GROUP BY {group_by} HAVING SUM(cells) > 0"
        )
        params += rows_params
    for _part, more, more_params in also:
        statements.append(more)
        params += more_params
    sql = "\nUNION ALL\n".join(statements)
    cells = Cells(also={part: [] for part, _sql, _params in also})
    with connection.cursor() as cursor:
        # Metric values as plain strings: the database adapter knows no StrEnum.
        cursor.execute(sql, [str(p) if isinstance(p, Metric) else p for p in params])
        rows = cursor.fetchall()
    for row in rows:
        part, metric, key, bucket, day, n, amount, _extra = row
        if part in cells.also:
            cells.also[part].append(row)
        elif part == "t":
            cells.totals[(metric, key)] = [n, _yen(amount)]
        elif part == "c":
            cells.by_campaign[(key, metric)] = [n, _yen(amount)]
        elif part == "r":
            cells.by_rep[(key, metric, bucket)] = n
        elif part == "d":
            cells.daily[(_day(day), metric)] = n
        else:
            cells.previous_mqls = n or 0
    return cells


def _yen(amount: Any) -> Decimal:
    """A summed amount as PostgreSQL (Decimal) or SQLite (int or float) gives it."""
    return amount if isinstance(amount, Decimal) else Decimal(round(amount or 0))


def _day(day: date | str) -> date:
    """SQLite gives a UNION's dates as text."""
    return day if isinstance(day, date) else date.fromisoformat(day)


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
