"""Read-only KPI figures, computed from the stage history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm.models import Lead, StageChange
from handoff.models import Handoff


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


@dataclass(frozen=True)
class Definition:
    key: str
    name: Promise
    formula: Promise
    owner: Promise


DEFINITIONS = {
    "leads": Definition(
        "leads",
        _("New leads"),
        _("People created in the period, from any source."),
        _("Marketing"),
    ),
    "mqls": Definition(
        "mqls",
        _("MQLs"),
        _("Leads whose scores crossed the handoff threshold in the period (each lead once)."),
        _("Marketing"),
    ),
    "claimed": Definition(
        "claimed",
        _("Claimed handoffs"),
        _("Handoffs a sales rep claimed in the period."),
        _("Sales"),
    ),
}


@dataclass(frozen=True)
class LeadFlow:
    leads: int
    mqls: int
    claimed: int


@dataclass(frozen=True)
class DailyPoint:
    day: date
    leads: int
    mqls: int


def lead_flow(period: Period) -> LeadFlow:
    start, end = period.bounds
    return LeadFlow(
        leads=Lead.objects.filter(created_at__gte=start, created_at__lt=end).count(),
        mqls=StageChange.objects.filter(
            to_stage=Lead.Stage.MQL, changed_at__gte=start, changed_at__lt=end
        )
        .values("lead")
        .distinct()
        .count(),
        claimed=Handoff.objects.filter(claimed_at__gte=start, claimed_at__lt=end).count(),
    )


def daily_flow(period: Period) -> list[DailyPoint]:
    """New leads and MQLs per day, every day of the period present (two queries)."""
    start, end = period.bounds
    tz = timezone.get_current_timezone()
    leads = dict(
        Lead.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    mqls = dict(
        StageChange.objects.filter(
            to_stage=Lead.Stage.MQL, changed_at__gte=start, changed_at__lt=end
        )
        .annotate(day=TruncDate("changed_at", tzinfo=tz))
        .values_list("day")
        .annotate(n=Count("lead", distinct=True))
        .values_list("day", "n")
    )
    return [DailyPoint(day, leads.get(day, 0), mqls.get(day, 0)) for day in period.days()]
