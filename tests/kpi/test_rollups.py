"""The rollups equal the live computation: after a full rebuild, after the
incremental refresh, whatever the filters; and a dashboard request reads the
same number of queries at 10 and at 10,000 leads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import services as crm
from crm.models import Campaign, Deal, Lead, StageChange
from handoff import services as handoff_services
from handoff.models import Handoff
from kpi import metrics, rollups, tasks
from kpi.metrics import Filters
from kpi.models import DailyRollup, MonthlyRollup, RollupState
from tests import factories
from tests.kpi.conftest import at

pytestmark = pytest.mark.django_db
AUTUMN = metrics.Period(date(2026, 9, 1), date(2026, 11, 30))


def snapshot() -> list[tuple]:
    """Every rollup row, daily and monthly."""
    columns = ("grain", "campaign_id", "rep_id", "metric", "bucket", "count", "amount")
    return sorted(DailyRollup.objects.values_list("day", *columns)) + sorted(
        MonthlyRollup.objects.values_list("month", *columns)
    )


def every_filter(october) -> list[Filters]:
    return [
        Filters(),
        Filters(campaigns=frozenset({october.a.pk})),
        Filters(campaigns=frozenset({october.a.pk, october.b.pk})),
        Filters(rep=october.rep.pk),
        Filters(campaigns=frozenset({october.b.pk}), rep=october.other_rep.pk),
        Filters(campaigns=frozenset()),  # a channel without campaigns
    ]


def assert_rollups_equal_live(october, period: metrics.Period = AUTUMN) -> None:
    for filters in every_filter(october):
        assert metrics.dashboard(period, filters) == metrics.dashboard(period, filters, live=True)


def test_rollups_equal_live_for_every_filter(october):
    rollups.rebuild_all()
    assert_rollups_equal_live(october)
    assert_rollups_equal_live(october, metrics.Period(date(2026, 10, 10), date(2026, 10, 20)))


def test_rebuilding_twice_changes_nothing(october):
    rollups.rebuild_all()
    first = snapshot()
    rollups.rebuild(date(2026, 10, 1), date(2026, 10, 31))
    rollups.rebuild_all()
    assert snapshot() == first and first


def test_incremental_refresh_equals_a_full_rebuild_and_live(october):
    with time_machine.travel(at(3, month=11), tick=False):
        tasks.refresh_rollups()  # the first run rebuilds everything
        assert RollupState.objects.get().checked_at is not None
    with time_machine.travel(at(4, month=11), tick=False):
        # Work done since: a new lead and its MQL, a claim, a stage change
        # recorded with an October date (an import), a deal won.
        fresh = factories.lead(source_campaign=october.b)
        crm.change_stage(fresh, Lead.Stage.MQL)
        queued = Handoff.objects.get(status="queued")
        assert handoff_services.claim_handoff(queued, rep=october.rep)
        StageChange.objects.create(
            lead=october.leads[3], from_stage="mql", to_stage="sal", changed_at=at(6),
            changed_by=october.rep,
        )  # fmt: skip
        Deal.objects.create(
            lead=october.leads[1], name="追加", amount=300_000, status="won",
            owner=october.other_rep, closed_at=at(4, month=11),
        )  # fmt: skip
        ranges = rollups.refresh()
    assert ranges and all(first <= last for _family, first, last in ranges)
    # The October stage change: that day's calendar family only, and its
    # lead's creation day (30 September) for the cohort.
    assert ("calendar", date(2026, 10, 6), date(2026, 10, 6)) in ranges
    assert ("cohort", date(2026, 9, 30), date(2026, 9, 30)) in ranges
    incremental = snapshot()
    assert_rollups_equal_live(october)
    rollups.rebuild_all()
    assert snapshot() == incremental


def test_refresh_with_nothing_new_rebuilds_nothing(october):
    with time_machine.travel(at(3, month=11), tick=False):
        rollups.refresh()
    with time_machine.travel(at(3, month=12), tick=False):
        assert rollups.refresh() == []


def test_dashboard_query_count_is_the_same_at_10_and_10000_leads(client_as, manager, marketer, rep):
    client = client_as(manager)
    campaigns = [
        Campaign.objects.create(name=f"c{n}", channel="web", utm_code=f"c{n}", owner=marketer)
        for n in range(5)
    ]
    today = timezone.localdate()

    def add_leads(count: int, prefix: str) -> None:
        leads = Lead.objects.bulk_create(
            Lead(
                family_name="x", email=f"{prefix}{i}@x.jp", source_campaign=campaigns[i % 5],
                created_at=factories_time(today, i),
            )
            for i in range(count)
        )  # fmt: skip
        StageChange.objects.bulk_create(
            StageChange(lead=lead, from_stage="lead", to_stage="mql", changed_at=lead.created_at)
            for lead in leads[::3]
        )
        rollups.rebuild_all()

    # A quarter, and a year: whole months from the monthly grain, the
    # partial ones by day; with filters, at the grains they need.
    year = {"preset": "custom", "start": str(today - timedelta(days=365)), "end": str(today)}
    requests = [
        {"preset": "last_90_days"},
        year,
        {**year, "campaign": str(campaigns[0].pk), "rep": str(rep.pk)},
        {**year, "channel": "web"},
    ]

    def queries() -> list[int]:
        counts = []
        for params in requests:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(reverse("kpi:dashboard"), params)
                assert response.status_code == 200
            counts.append(len(ctx.captured_queries))
        return counts

    add_leads(10, "a")
    small = queries()
    add_leads(10_000, "b")
    assert MonthlyRollup.objects.exists()
    assert queries() == small
    figures = client.get(reverse("kpi:dashboard"), {"preset": "last_90_days"}).context["board"]
    assert figures.values()["leads"] == 10_010


def factories_time(today: date, i: int):
    from datetime import datetime, time

    from django.utils import timezone

    day = today - timedelta(days=i % 80)
    return datetime.combine(day, time(12), tzinfo=timezone.get_current_timezone())
