"""KPI figures on a hand-built dataset with known answers."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Lead, StageChange
from handoff.models import Handoff
from kpi import metrics
from kpi.forms import PeriodForm, last_month, this_quarter
from tests import factories

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
OCTOBER = metrics.Period(date(2026, 10, 1), date(2026, 10, 31))


def at(day: int, month: int = 10, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TOKYO)


@pytest.fixture
def october(rep):
    """3 leads created in October (one at 00:30 on the 1st, Tokyo time), one in
    September; 2 distinct MQLs in October (one of them twice, after recycling);
    1 claim in October, 1 in November."""
    inside = [
        factories.lead(created_at=at(1, hour=0)),
        factories.lead(created_at=at(15)),
        factories.lead(created_at=at(31, hour=23)),
    ]
    before = factories.lead(created_at=at(30, month=9))
    for lead, day in [(inside[0], 2), (inside[0], 20), (before, 5)]:
        StageChange.objects.create(lead=lead, from_stage="lead", to_stage="mql", changed_at=at(day))
    StageChange.objects.create(
        lead=before, from_stage="lead", to_stage="mql", changed_at=at(1, month=11)
    )
    StageChange.objects.create(
        lead=inside[1], from_stage="lead", to_stage="sal", changed_at=at(3)
    )  # skipped MQL
    Handoff.objects.create(lead=inside[0], status="claimed", claimed_by=rep, claimed_at=at(3))
    Handoff.objects.create(
        lead=before, status="claimed", claimed_by=rep, claimed_at=at(2, month=11)
    )
    return inside


def test_lead_flow_counts_the_period_only(october):
    assert metrics.lead_flow(OCTOBER) == metrics.LeadFlow(leads=3, mqls=2, claimed=1)


def test_empty_period_is_all_zero(db):
    assert metrics.lead_flow(OCTOBER) == metrics.LeadFlow(0, 0, 0)
    daily = metrics.daily_flow(OCTOBER)
    assert len(daily) == 31 and all(p.leads == p.mqls == 0 for p in daily)


def test_daily_flow_puts_each_lead_on_its_local_day(october):
    daily = {p.day: p for p in metrics.daily_flow(OCTOBER)}
    assert daily[date(2026, 10, 1)].leads == 1  # 00:30 in Tokyo is still 1 October
    assert daily[date(2026, 10, 31)].leads == 1
    assert daily[date(2026, 10, 2)].mqls == 1
    assert (
        sum(p.mqls for p in daily.values()) == 3
    )  # per day: a lead counts once on each day it qualified


def test_presets():
    today = date(2026, 11, 27)
    assert last_month(today) == metrics.Period(date(2026, 10, 1), date(2026, 10, 31))
    assert this_quarter(today) == metrics.Period(date(2026, 10, 1), today)
    assert last_month(date(2026, 1, 5)) == metrics.Period(date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"preset": "custom", "start": "2026-10-31", "end": "2026-10-01"}, "cannot end before"),
        ({"preset": "custom", "start": "2026-10-01"}, "both dates"),
        ({"preset": "custom", "start": "2024-01-01", "end": "2026-01-01"}, "at most one year"),
    ],
)
def test_bad_custom_periods_are_refused_clearly(data, error):
    form = PeriodForm(data)
    assert not form.is_valid()
    assert error in str(form.non_field_errors())


def test_dashboard_shows_figures_with_their_definitions(client_as, manager, october):
    response = client_as(manager).get(
        reverse("kpi:dashboard"), {"preset": "custom", "start": "2026-10-01", "end": "2026-10-31"}
    )
    body = response.content.decode()
    assert [(d.key, v) for d, v in response.context["figures"]] == [
        ("leads", 3),
        ("mqls", 2),
        ("claimed", 1),
    ]
    assert str(metrics.DEFINITIONS["mqls"].formula) in body


def test_dashboard_query_count_does_not_grow_with_volume(client_as, manager):
    client = client_as(manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("kpi:dashboard")).status_code == 200
        return len(ctx.captured_queries)

    Lead.objects.bulk_create(Lead(family_name="x", email=f"a{i}@x.jp") for i in range(10))
    small = queries()
    Lead.objects.bulk_create(Lead(family_name="x", email=f"b{i}@x.jp") for i in range(1000))
    assert queries() == small


def test_lead_list_query_count_does_not_grow_with_rows(client_as, marketer, campaign):
    client = client_as(marketer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("crm:lead_list"))
        return len(ctx.captured_queries)

    for _ in range(3):
        factories.lead(source_campaign=campaign, created_at=at(1) - timedelta(days=1))
    few = queries()
    for _ in range(30):
        factories.lead(source_campaign=campaign)
    assert queries() == few
