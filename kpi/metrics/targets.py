"""Which targets apply to a period."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q

from kpi.definitions import DEFINITIONS
from kpi.metrics.cells import Period
from kpi.models import Target


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
