"""Read-only KPI figures for a period and filters.

Two sources give the same `Dashboard`: the rollups (what every page and API
request reads: five grouped queries over small rows, whatever the volume)
and `live`, which derives the same events from the source tables at request
time (the benchmark's naive comparison, and the tests' proof that the
rollups are right). Both fill a `Cells` (`cells.py`) and `assemble` (`figures.py`) turns it into
figures; `targets.py` finds the targets that apply.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from crm.models import Campaign, LostReason
from kpi.definitions import DEFINITIONS
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
from kpi.models import RollupState
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


def dashboard(period: Period, filters: Filters, *, live: bool = False) -> Dashboard:
    """The figures for the period: from the rollups, or computed live."""
    cells = live_cells(period, filters) if live else from_rollups(period, filters)
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
    # The whole managed list (a few dozen rows): one query, lost deals or not.
    lost_reasons = {reason.pk: reason.name for reason in LostReason.objects.all()}
    return assemble(
        cells,
        period,
        filters,
        campaigns=campaigns,
        reps=reps,
        targets=targets_for(period),
        lost_reasons=lost_reasons,
        forecast=forecast(timezone.localdate(), filters),
    )


def refreshed_at() -> datetime | None:
    """When the rollups the dashboard reads were last brought up to date (the
    start of the last refresh: what happened before it is counted)."""
    return RollupState.objects.filter(pk=1).values_list("checked_at", flat=True).first()
