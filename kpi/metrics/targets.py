"""Which targets apply to a period."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q

from kpi import rollups
from kpi.definitions import DEFINITIONS
from kpi.metrics.cells import Period
from kpi.models import Target


def targets_for(
    period: Period, *, rows: Iterable[tuple[str, str, date, Decimal]] | None = None
) -> dict[str, Decimal]:
    """The targets that apply to the period (one query, or none when `rows`,
    (kpi, span, month, value), were read with others: `part`): the quarter's
    when the period lies in one quarter and it has one; else the month's when
    the period lies in one month; else, for counts and money, the sum of the
    targets of the months the period covers, when every one of them has one."""
    first_month = period.start.replace(day=1)
    quarter = first_month.replace(month=3 * ((first_month.month - 1) // 3) + 1)
    months = _months(period)
    if rows is None:
        rows = Target.objects.filter(_applying(quarter, months)).values_list(
            "kpi", "span", "month", "value"
        )
    else:
        rows = [
            (kpi, span, month, value)
            for kpi, span, month, value in rows
            if (span == Target.Span.QUARTER and month == quarter)
            or (span == Target.Span.MONTH and month in months)
        ]
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


def _applying(quarter: date, months: list[date]) -> Q:
    return Q(span=Target.Span.QUARTER, month=quarter) | Q(span=Target.Span.MONTH, month__in=months)


PART = "g"


def part(period: Period, *, forecast_months: list[date]) -> tuple[str, str, list[Any]]:
    """The targets `targets_for` reads for the period and the forecast's month
    targets of won revenue, as a part of the dashboard's one statement
    (kpi.metrics.cells.from_rollups): the KPI as the metric, 1 as the key
    for a quarter's, the month as the day, the value as the amount."""
    quarter = _quarter_start(period.start)
    forecast = Q(kpi="won_revenue", span=Target.Span.MONTH, month__in=forecast_months)
    read = Target.objects.filter(_applying(quarter, _months(period)) | forecast).order_by()
    sql, params = read.values_list("kpi", "span", "month", "value").query.sql_with_params()
    return (
        PART,
        f"SELECT '{PART}', t.\"kpi\", CASE WHEN t.\"span\" = 'quarter' THEN 1 ELSE 0 END, 0, "  # nosec B608  # the ORM's compiled SQL and fixed names; values are parameters
        f't."month", 0, t."value", 0 FROM ({sql}) t',
        list(params),
    )


def part_rows(rows: list[tuple[Any, ...]]) -> list[tuple[str, str, date, Decimal]]:
    """The part's rows as `targets_for` reads them (SQLite gives a UNION's
    dates as text and decimals as numbers)."""
    return [
        (
            kpi,
            Target.Span.QUARTER if quarterly else Target.Span.MONTH,
            month if isinstance(month, date) else date.fromisoformat(str(month)[:10]),
            value if isinstance(value, Decimal) else Decimal(str(value)),
        )
        for _p, kpi, quarterly, _b, month, _n, value, _e in rows
    ]


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _months(period: Period) -> list[date]:
    return rollups.months_of(period.start, period.end)
