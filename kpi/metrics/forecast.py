"""The forecast: open deals now, by the month they are expected to close,
weighted by their stage's probability, with what was already won in those
months, against each month's won revenue target.

Read live (two grouped queries whatever the number of deals): it is about
today's open deals, which the rollups (events of past days) do not hold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from crm.models import Deal
from kpi import rollups
from kpi.metrics.cells import Filters
from kpi.models import Target

MONTHS_AHEAD = 6  # this month and the five after it


@dataclass(frozen=True)
class ForecastRow:
    month: date | None  # None: open deals without an expected date
    overdue: bool  # open deals expected before this month
    deals: int
    amount: Decimal
    weighted: Decimal
    won: Decimal  # won in the month so far (closing date)
    target: Decimal | None  # the month's won revenue target

    @property
    def projected(self) -> Decimal:
        return self.won + self.weighted

    @property
    def gap(self) -> Decimal | None:
        return None if self.target is None else self.projected - self.target

    @property
    def on_track(self) -> bool | None:
        return None if self.gap is None else self.gap >= 0


def months_from(first: date, count: int) -> list[date]:
    months, month = [], rollups.month_start(first)
    for _n in range(count):
        months.append(month)
        month = rollups.next_month(month)
    return months


def forecast(
    today: date,
    filters: Filters,
    *,
    rows: list[tuple[Any, ...]] | None = None,
    targets: dict[date, Decimal] | None = None,
) -> list[ForecastRow]:
    """Overdue (if any), this month and the next five, then deals without an
    expected date (if any). `rows` and `targets`: already read (the
    dashboard's one statement, `part` and targets.part), else read here."""
    months = months_from(today, MONTHS_AHEAD)
    if rows is None:
        rows = list(_grouped(months, filters))
    # key: a month, OVERDUE or None (no date) -> [deals, amount, weighted, won]
    found: dict[date | str | None, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    for status, year, month, won_year, won_month, n, total, weighted in rows:
        if status == Deal.Status.WON:
            found[date(int(won_year), int(won_month), 1)][3] += Decimal(total or 0)
            continue
        expected = date(int(year), int(month), 1) if year else None
        key: date | str | None = OVERDUE if expected and expected < months[0] else expected
        row = found[key]
        row[0] += n
        row[1] += Decimal(total or 0)
        row[2] += Decimal(weighted or 0) / 100
    if targets is None:
        targets = dict(
            Target.objects.filter(kpi="won_revenue", span=Target.Span.MONTH, month__in=months)
            .order_by()
            .values_list("month", "value")
        )
    keys: list[date | str | None] = [OVERDUE] if OVERDUE in found else []
    keys += months
    keys += [None] if None in found else []
    return [_row(key, found[key], targets) for key in keys]


def _grouped(months: list[date], filters: Filters) -> QuerySet[Deal, tuple[Any, ...]]:
    """Open deals by status and expected month, and those won since the first
    month by the month they closed: count, amount and weighted amount."""
    deals = Deal.objects.filter(
        Q(status=Deal.Status.OPEN) | Q(status=Deal.Status.WON, close_date__gte=months[0])
    )
    if filters.campaigns is not None:
        deals = deals.filter(lead__source_campaign_id__in=filters.campaigns)
    if filters.rep is not None:
        deals = deals.filter(owner_id=filters.rep)
    return (
        deals.order_by()
        .annotate(
            year=ExtractYear("expected_close_date"),
            month=ExtractMonth("expected_close_date"),
            won_year=ExtractYear("close_date"),
            won_month=ExtractMonth("close_date"),
        )
        .values_list("status", "year", "month", "won_year", "won_month")
        .annotate(n=Count("pk"), total=Sum("amount"), weighted=Sum(F("amount") * F("probability")))
        .values_list("status", "year", "month", "won_year", "won_month", "n", "total", "weighted")
    )


PART = "f"


def part(today: date, filters: Filters) -> tuple[str, str, list[Any]]:
    """`forecast`'s grouped deals as a part of the dashboard's one statement
    (kpi.metrics.cells.from_rollups): status as the metric, the expected
    month as the key and the closing month as the bucket (both year * 100 +
    month), count, amount and weighted amount."""
    try:
        sql, params = _grouped(months_from(today, MONTHS_AHEAD), filters).query.sql_with_params()
    except EmptyResultSet:  # a channel without campaigns: no deal to read
        return PART, f"SELECT '{PART}', '', 0, 0, CAST(NULL AS DATE), 0, 0, 0 WHERE 1 = 0", []
    return (
        PART,
        f'SELECT \'{PART}\', g."status", CAST(g."year" * 100 + g."month" AS INTEGER), '  # nosec B608  # the ORM's compiled SQL and fixed names; values are parameters
        'CAST(g."won_year" * 100 + g."won_month" AS INTEGER), CAST(NULL AS DATE), '
        f'g."n", g."total", g."weighted" FROM ({sql}) g',
        list(params),
    )


def part_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The part's rows as `forecast` reads them."""
    return [
        (status, *_year_month(expected), *_year_month(won), n, total, weighted)
        for _p, status, expected, won, _day, n, total, weighted in rows
    ]


def _year_month(number: int | None) -> tuple[int | None, int | None]:
    return (None, None) if number is None else divmod(int(number), 100)


OVERDUE = "overdue"


def _row(
    key: date | str | None, values: list[Decimal], targets: dict[date, Decimal]
) -> ForecastRow:
    deals, amount, weighted, won = values
    month = key if isinstance(key, date) else None
    return ForecastRow(
        month=month,
        overdue=key == OVERDUE,
        deals=int(deals),
        amount=amount,
        weighted=weighted.quantize(Decimal(1), ROUND_HALF_UP),
        won=won,
        target=targets.get(month) if month else None,
    )
