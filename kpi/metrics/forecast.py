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

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from crm.models import Deal
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
    months, month = [], first.replace(day=1)
    for _n in range(count):
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def forecast(today: date, filters: Filters) -> list[ForecastRow]:
    """Overdue (if any), this month and the next five, then deals without an
    expected date (if any)."""
    months = months_from(today, MONTHS_AHEAD)
    deals = Deal.objects.filter(
        Q(status=Deal.Status.OPEN) | Q(status=Deal.Status.WON, close_date__gte=months[0])
    )
    if filters.campaigns is not None:
        deals = deals.filter(lead__source_campaign_id__in=filters.campaigns)
    if filters.rep is not None:
        deals = deals.filter(owner_id=filters.rep)
    # key: a month, OVERDUE or None (no date) -> [deals, amount, weighted, won]
    found: dict[date | str | None, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    for status, year, month, won_year, won_month, n, total, weighted in (
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
    ):
        if status == Deal.Status.WON:
            found[date(won_year, won_month, 1)][3] += Decimal(total or 0)
            continue
        expected = date(year, month, 1) if year else None
        key: date | str | None = OVERDUE if expected and expected < months[0] else expected
        row = found[key]
        row[0] += n
        row[1] += Decimal(total or 0)
        row[2] += Decimal(weighted or 0) / 100
    targets = dict(
        Target.objects.filter(kpi="won_revenue", span=Target.Span.MONTH, month__in=months)
        .order_by()
        .values_list("month", "value")
    )
    keys: list[date | str | None] = [OVERDUE] if OVERDUE in found else []
    keys += months
    keys += [None] if None in found else []
    return [_row(key, found[key], targets) for key in keys]


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
