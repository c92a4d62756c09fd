"""Read-only KPI figures for a period and filters.

Two sources give the same `Dashboard`: the rollups (what every page and API
request reads: five grouped queries over small rows, whatever the volume;
whole months from the monthly grain, the other days from the daily one)
and `live`, which derives the same events from the source tables at request
time (the benchmark's naive comparison, and the tests' proof that the
rollups are right). Both fill a `Cells` (`cells.py`) and `assemble` (`figures.py`) turns it into
figures; `targets.py` finds the targets that apply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from crm.models import Campaign, LostReason
from kpi.definitions import DEFINITIONS
from kpi.metrics import forecast as forecast_module
from kpi.metrics import targets as targets_module
from kpi.metrics.cells import Cells, Filters, Period, from_rollups, live_cells
from kpi.metrics.figures import (
    CampaignFacts,
    CampaignRow,
    DailyPoint,
    Dashboard,
    Figure,
    RepRow,
    Step,
    assemble,
    percent,
)
from kpi.metrics.forecast import ForecastRow, forecast
from kpi.metrics.targets import targets_for
from kpi.models import RollupState, Target
from web.people import person

__all__ = [
    "DEFINITIONS",
    "CampaignFacts",
    "CampaignRow",
    "Cells",
    "DailyPoint",
    "Dashboard",
    "Figure",
    "Filters",
    "ForecastRow",
    "Period",
    "RepRow",
    "Step",
    "assemble",
    "dashboard",
    "forecast",
    "from_rollups",
    "live_cells",
    "percent",
    "refreshed_at",
    "resolve_filters",
    "targets_for",
]


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


def dashboard(
    period: Period, filters: Filters, *, live: bool = False, by_month: bool = True
) -> Dashboard:
    """The figures for the period: from the rollups, or computed live.
    `by_month` False reads every day of the period from the daily grain
    instead of its whole months from the monthly one (the same figures; the
    path before the monthly grain, kept for the tests and the benchmark)."""
    today = timezone.localdate()
    if live:
        cells = live_cells(period, filters)
        lost_reasons = {reason.pk: reason.name for reason in LostReason.objects.all()}
        targets, open_deals = targets_for(period), forecast(today, filters)
    else:
        # The deal KPIs' reads (the forecast's grouped deals, the targets, the
        # lost reasons' names) ride along the rollups' one statement: one
        # round trip instead of four.
        months = forecast_module.months_from(today, forecast_module.MONTHS_AHEAD)
        also = [
            forecast_module.part(today, filters),
            targets_module.part(period, forecast_months=months),
            *_lost_reason_parts(),
        ]
        cells = from_rollups(period, filters, also=also, by_month=by_month)
        lost_reasons = _lost_reason_names(cells)
        target_rows = targets_module.part_rows(cells.also[targets_module.PART])
        targets = targets_for(period, rows=target_rows)
        won_targets = {
            month: value
            for kpi, span, month, value in target_rows
            if kpi == "won_revenue" and span == Target.Span.MONTH and month in months
        }
        open_deals = forecast(
            today,
            filters,
            rows=forecast_module.part_rows(cells.also[forecast_module.PART]),
            targets=won_targets,
        )
    campaign_ids = {c for c, _m in cells.by_campaign if c}
    rep_ids = {r for r, _m, _b in cells.by_rep if r}
    # Names, channels and costs only: model instances of 200 campaigns took
    # a tenth of the view's time.
    campaigns: dict[int, CampaignFacts] = {
        pk: CampaignFacts(name, channel, cost)
        for pk, name, channel, cost in Campaign.objects.filter(pk__in=campaign_ids)
        .order_by()
        .values_list("pk", "name", "channel", "actual_cost")
    } if campaign_ids else {}  # fmt: skip
    users = (
        get_user_model().objects.filter(pk__in=rep_ids).only("username", "first_name", "last_name")
        if rep_ids
        else []
    )
    reps = {user.pk: person(user) for user in users}  # family name first in Japanese
    return assemble(
        cells,
        period,
        filters,
        campaigns=campaigns,
        reps=reps,
        targets=targets,
        lost_reasons=lost_reasons,
        forecast=open_deals,
    )


# The whole managed list of lost reasons (a few dozen rows), lost deals or
# not: each name in its language, as two parts of the statement.
LOST_JA, LOST_EN = "l", "m"


def _lost_reason_parts() -> list[tuple[str, str, list[Any]]]:
    sql, params = LostReason.objects.order_by().values_list("pk").query.sql_with_params()
    table = LostReason._meta.db_table
    return [
        (part, f"SELECT '{part}', {column}, id, 0, CAST(NULL AS DATE), 0, 0, 0 FROM {table} "  # nosec B608  # the ORM's compiled SQL and fixed names; values are parameters
               f"WHERE id IN ({sql})", list(params))
        for part, column in ((LOST_JA, "name_ja"), (LOST_EN, "name_en"))
    ]  # fmt: skip


def _lost_reason_names(cells: Cells) -> dict[int, str]:
    """LostReason.name of each: the reader's language, else the other one."""
    japanese = (translation.get_language() or "").startswith("ja")
    ja = {int(pk): name for _p, name, pk, *_rest in cells.also[LOST_JA]}
    en = {int(pk): name for _p, name, pk, *_rest in cells.also[LOST_EN]}
    return {pk: ((ja[pk] if japanese else en.get(pk, "")) or ja[pk] or en.get(pk, "")) for pk in ja}


def refreshed_at() -> datetime | None:
    """When the rollups the dashboard reads were last brought up to date (the
    start of the last refresh: what happened before it is counted)."""
    return RollupState.objects.filter(pk=1).values_list("checked_at", flat=True).first()
