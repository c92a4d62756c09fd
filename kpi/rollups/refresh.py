"""3. The incremental refresh: the days each family's events may have changed
on since the last run, rebuilt, and their months summed again
(kpi.rollups.store)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from crm.models import Deal, DealStage, DealStageChange, Lead, StageChange
from handoff.models import Handoff, SlaDeadline
from kpi.models import RollupState
from kpi.rollups.events import FAMILIES, local_day, won_at
from kpi.rollups.store import lock_state, months_of, rebuild, rebuild_all, sum_months

# Handoffs, deadlines and deals are found by their timestamps, which the app
# sets before its transaction commits: look this far behind the last run.
MARGIN = timedelta(minutes=10)


def refresh() -> list[tuple[str, date, date]]:
    """Rebuild each family's days touched since the last refresh and return
    them as (family, first, last) ranges. The first refresh ever notes where
    the sources stand, then rebuilds everything."""
    with transaction.atomic():
        state = lock_state()
        if state.checked_at is not None:
            started = timezone.now()
            touched, last_change, last_lead = _touched_days(state)
            ranges = [
                (family, first, last)
                for family, days in sorted(touched.items())
                for first, last in _ranges(days)
            ]
            months: dict[date, set[str]] = defaultdict(set)
            for family, first, last in ranges:
                rebuild(first, last, frozenset({family}), months=False)
                for month in months_of(first, last):
                    months[month].add(family)
            # Each month a range touched, summed again once from its days (a
            # reopened deal's old closing day included: it is one of them).
            for month, families in sorted(months.items()):
                sum_months([month], frozenset(families))
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
    for closed_on, lead_created_at in _reopened_deals_closing_days(since):
        # A reopened deal is no longer won or lost on the day it closed.
        won = local_day(won_at(None, closed_on, lead_created_at))
        touched["deals"].add(won)
        touched["calendar"].add(won)
        touched["cohort"].add(local_day(lead_created_at))
    return {family: days for family, days in touched.items() if days}, last_change, last_lead


def _reopened_deals_closing_days(since: datetime) -> set[tuple[date, datetime]]:
    """The close dates (with the lead's creation) that deals reopened since
    `since` had: reopening clears the deal's close date and closing time, so
    only its field history still knows the day it counted on (every close
    date it ever had: a deal won, reopened and won again counted on each)."""
    reopened = DealStageChange.objects.filter(
        changed_at__gte=since,
        from_stage__kind__in=[DealStage.Kind.WON, DealStage.Kind.LOST],
    ).values("deal_id")
    versions = (
        Deal.history.filter(id__in=reopened, close_date__isnull=False)  # type: ignore[attr-defined]
        .order_by()
        .values_list("id", "close_date")
        .distinct()
    )
    closed = list(versions)
    created = dict(
        Deal.objects.filter(pk__in={deal for deal, _day in closed}).values_list(
            "pk", "lead__created_at"
        )
    )
    return {(day, created[deal]) for deal, day in closed if deal in created}


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
