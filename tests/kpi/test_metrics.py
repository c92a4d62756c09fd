"""Every KPI on a hand-built dataset with known answers (tests/kpi/conftest.py),
from the rollups and live alike."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kpi import metrics, rollups
from kpi.forms import PeriodForm, last_month, this_quarter
from kpi.metrics import Filters
from tests.kpi.conftest import EXPECTED_OCTOBER, OCTOBER

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["rollups", "live"])
def board(request):
    """The dashboard for a period and filters, from either source."""

    def build(
        period: metrics.Period = OCTOBER, filters: Filters | None = None
    ) -> metrics.Dashboard:
        if request.param == "rollups":
            rollups.rebuild_all()
        return metrics.dashboard(period, filters or Filters(), live=request.param == "live")

    return build


def test_every_headline_kpi(october, board):
    assert board().values() == EXPECTED_OCTOBER


def test_empty_period_has_no_division_by_zero(db, board):
    values = board().values()
    assert values["leads"] == values["mqls"] == values["claimed"] == 0
    assert values["won_revenue"] == Decimal(0)
    for ratio in ("speed_p50", "sla_compliance", "rejection_rate", "lead_velocity"):
        assert values[ratio] is None
    empty = board()
    assert [s.count for s in empty.cohort] == [0] * 5
    assert all(s.conversion is None and s.median_days is None for s in empty.cohort)
    assert empty.campaigns == [] and empty.reps == [] and len(empty.daily) == 31


def test_cohort_funnel_counts_skipped_steps_as_passed(october, board):
    steps = {s.key: s for s in board().cohort}
    assert [steps[k].count for k in rollups.FUNNEL] == [3, 3, 3, 1, 1]
    assert steps["mql"].conversion == Decimal("100.0")  # 3 of 3 new leads
    assert steps["opportunity"].conversion == Decimal("33.3")
    # Whole days from the step before: MQL 1, 0, 0; SAL 1, 1, 0; SQL 2, 12, 0.
    assert [steps[k].median_days for k in rollups.FUNNEL] == [0, 1, 2, 5, 10]


def test_calendar_funnel_counts_each_lead_once_per_step(october, board):
    steps = {s.key: s.count for s in board().calendar}
    # MQL: L1, L2 (its second MQL not again), L3 (through its SQL), L4.
    assert steps == {"mql": 4, "sal": 3, "sql": 3, "opportunity": 1, "won": 1}


def test_per_campaign_costs_roi_and_pipeline(october, board):
    rows = {row.campaign_id: row for row in board().campaigns}
    a, b = rows[october.a.pk], rows[october.b.pk]
    assert (a.leads, a.mqls, a.sqls, a.won) == (2, 2, 2, 1)
    assert (a.cost_per_lead, a.cost_per_mql, a.cost_per_won) == (50_000, 50_000, 100_000)
    assert a.roi == Decimal("900.0")
    assert a.pipeline_sourced == a.pipeline_influenced == 1_000_000
    assert (b.leads, b.mqls, b.sqls, b.won) == (1, 1, 1, 0)
    assert b.pipeline_sourced == 0 and b.pipeline_influenced == 1_000_000  # touched before the deal
    assert b.roi is None and b.cost_per_won is None  # no cost, nothing won
    assert rows[0].mqls == 1  # L4 has no campaign


def test_per_rep_row(october, board):
    reps = {row.rep_id: row for row in board().reps}
    row = reps[october.rep.pk]
    assert (row.claimed, row.speed_p50, row.accepted, row.rejected, row.won) == (2, 30, 1, 1, 1)


def test_rejection_reasons(october, board):
    assert board().rejections == [("No budget", 1)]


def test_filters_by_campaign_channel_and_rep(october, board):
    by_campaign = board(filters=Filters(campaigns=frozenset({october.a.pk}))).values()
    assert (by_campaign["leads"], by_campaign["mqls"], by_campaign["claimed"]) == (2, 2, 2)
    by_channel = metrics.resolve_filters(campaign=None, channel="email", rep=None)
    assert by_channel.campaigns == frozenset({october.b.pk})
    assert board(filters=by_channel).values()["leads"] == 1
    by_rep = board(filters=Filters(rep=october.other_rep.pk)).values()
    assert by_rep["sqls"] == 2 and by_rep["claimed"] == 0
    assert by_rep["leads"] is None and by_rep["mqls"] is None  # marketing: not credited to reps


def test_daily_points_are_local_days(october, board):
    daily = {p.day: p for p in board().daily}
    assert daily[date(2026, 10, 1)].leads == 1  # 00:30 in Tokyo is still 1 October
    assert daily[date(2026, 10, 31)].leads == 1 and daily[date(2026, 10, 31)].sqls == 1


def test_percentiles_read_the_bucket_upper_bound():
    assert rollups.percentile({}, 0.5, rollups.SPEED_MINUTES) is None
    b = rollups.speed_bucket
    from datetime import timedelta

    histogram = {b(timedelta(minutes=7)): 1, b(timedelta(minutes=11)): 1, b(timedelta(days=90)): 1}
    assert rollups.percentile(histogram, 0.5, rollups.SPEED_MINUTES) == 12  # 11 → "≤ 12"
    assert rollups.percentile(histogram, 0.9, rollups.SPEED_MINUTES) == -1  # beyond the last


def test_presets():
    today = date(2026, 11, 27)
    assert last_month(today) == metrics.Period(date(2026, 10, 1), date(2026, 10, 31))
    assert this_quarter(today) == metrics.Period(date(2026, 10, 1), today)
    assert last_month(date(2026, 1, 5)) == metrics.Period(date(2025, 12, 1), date(2025, 12, 31))
    assert OCTOBER.previous() == metrics.Period(date(2026, 8, 31), date(2026, 9, 30))


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
