"""The monthly grain (kpi.models.MonthlyRollup): a dashboard that reads a
period's whole months from it and only the days of its partial months from
the daily grain shows the very figures of the daily grain alone and of the
live computation, for any period and filter; the nightly rebuild and the
minute refresh keep every month the sum of its days.

The data: fifteen months of leads (October 2025 to today, 15 December 2026,
Tokyo) drawn from a seeded random source, each with a journey through the
funnel (stage changes by reps, a handoff with its claim, first touch,
decision and deadline, a deal won, lost or open, campaign touches), plus
leads and moves a few minutes either side of midnight at month ends, where
a day in UTC is not the day in Tokyo."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.models import Activity, Campaign, Deal, Lead, LostReason, StageChange
from handoff.models import Handoff, SlaDeadline
from kpi import metrics, rollups
from kpi.metrics import Filters, Period
from kpi.metrics.cells import Spans, spans
from kpi.models import DailyRollup, MonthlyRollup

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 12, 15, 12, tzinfo=TOKYO)
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
FIRST_DAY = date(2025, 10, 1)


def tokyo(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


def _journey(lead: Lead, rng: random.Random, reps: list[User], world: dict[str, list]) -> None:
    """One lead's way through the funnel, each step a random while after the
    one before and never after NOW; appended to `world`'s rows."""
    latest = NOW - timedelta(hours=1)

    def later(at: datetime, most_days: int) -> datetime | None:
        then = at + timedelta(days=rng.randint(0, most_days), minutes=rng.randint(1, 1439))
        return then if then < latest else None

    rep = rng.choice(reps)
    if rng.random() < 0.3 and lead.source_campaign_id:
        touch = lead.created_at + timedelta(hours=rng.randint(1, 200))
        if touch < latest:
            world["activities"].append(
                Activity(
                    lead=lead,
                    kind="email_click",
                    campaign=world["campaigns"][rng.randrange(3)],
                    occurred_at=touch,
                )
            )
    mql = later(lead.created_at, 20)
    if mql is None or rng.random() < 0.25:
        return
    if rng.random() < 0.1:  # straight to SQL, skipping MQL and SAL
        world["changes"].append(
            StageChange(
                lead=lead, from_stage="lead", to_stage="sql", changed_at=mql, changed_by=rep
            )
        )
        return
    world["changes"].append(
        StageChange(lead=lead, from_stage="lead", to_stage="mql", changed_at=mql)
    )
    handoff = Handoff(lead=lead, status="queued", created_at=mql)
    world["handoffs"].append(handoff)
    if rng.random() < 0.1:
        return  # still queued; its deadline open
    claimed = mql + timedelta(minutes=rng.randint(1, 300))
    touched = claimed + timedelta(minutes=rng.randint(0, 600))
    handoff.status, handoff.claimed_by, handoff.claimed_at = "claimed", rep, claimed
    handoff.routing_delay, handoff.first_touch_at = claimed - mql, touched
    handoff.rep_delay = touched - claimed
    decided = later(touched, 5)
    if decided is None:
        return
    handoff.decided_at = decided
    if rng.random() < 0.3:
        handoff.status, handoff.reject_reason = "rejected", rng.choice(rollups.REJECT_REASONS)
        world["changes"].append(
            StageChange(
                lead=lead, from_stage="mql", to_stage="recycled", changed_at=decided, changed_by=rep
            )
        )
        back = later(decided, 60)
        if back is not None and rng.random() < 0.4:
            world["changes"].append(
                StageChange(
                    lead=lead,
                    from_stage="recycled",
                    to_stage="sql",
                    changed_at=back,
                    changed_by=rng.choice(reps),
                )
            )
        return
    handoff.status = "accepted"
    world["changes"].append(
        StageChange(lead=lead, from_stage="mql", to_stage="sal", changed_at=decided, changed_by=rep)
    )
    sql = later(decided, 15)
    if sql is None or rng.random() < 0.3:
        return
    handoff.status = "qualified"
    world["changes"].append(
        StageChange(lead=lead, from_stage="sal", to_stage="sql", changed_at=sql, changed_by=rep)
    )
    opened = later(sql, 10)
    if opened is None:
        return
    world["changes"].append(
        StageChange(
            lead=lead, from_stage="sql", to_stage="opportunity", changed_at=opened, changed_by=rep
        )
    )
    world["deals"].append(
        (lead, opened, rep, later(opened, 50), rng.random(), rng.randint(1, 40) * 50_000)
    )


@pytest.fixture
def fifteen_months(time_machine, marketer, rep, other_rep) -> SimpleNamespace:
    time_machine.move_to(NOW, tick=False)
    third = User.objects.create_user("third-rep", first_name="三郎")
    third.groups.add(Group.objects.get(name="sales"))
    reps = [rep, other_rep, third]
    campaigns = [
        Campaign.objects.create(
            name=name, channel=channel, utm_code=name, owner=marketer, actual_cost=cost
        )
        for name, channel, cost in (("A", "web", 200_000), ("B", "web", 50_000), ("C", "email", 0))
    ]
    rng = random.Random(21)
    span = (NOW - tokyo(FIRST_DAY, 0)).days
    created = [
        tokyo(FIRST_DAY, 0) + timedelta(days=rng.randrange(span), minutes=rng.randrange(1440))
        for _ in range(180)
    ]
    # Either side of midnight at month ends (Tokyo), where UTC is still on the day before.
    for month in rollups.months_of(date(2025, 11, 1), date(2026, 12, 1)):
        created += [tokyo(month - timedelta(days=1), 23, 50), tokyo(month, 0, 10)]
    leads = Lead.objects.bulk_create(
        Lead(
            family_name="月", email=f"m{n}@example.jp", created_at=at,
            source_campaign=campaigns[n % 4] if n % 4 < 3 else None,
        )
        for n, at in enumerate(sorted(created))
    )  # fmt: skip
    world: dict[str, list] = defaultdict(list)
    world["campaigns"] = campaigns
    for lead in leads:
        _journey(lead, rng, reps, world)
    StageChange.objects.bulk_create(world["changes"])
    Activity.objects.bulk_create(world["activities"])
    for handoff in Handoff.objects.bulk_create(world["handoffs"]):
        settled = handoff.first_touch_at
        due = handoff.created_at + timedelta(hours=1)
        SlaDeadline.objects.create(
            handoff=handoff, kind="first_touch", due_at=due,
            settled_at=min(settled, due) if settled else None,
            breached=bool(settled and settled > due),
        )  # fmt: skip
    price = LostReason.objects.get(name_en="Price")
    for lead, opened, owner, closed, luck, amount in world["deals"]:
        if closed is None or luck < 0.3:
            Deal.objects.create(lead=lead, name="d", amount=amount, owner=owner, created_at=opened)
        elif luck < 0.7:
            Deal.objects.create(
                lead=lead, name="d", amount=amount, owner=owner, created_at=opened,
                status="won", closed_at=closed,
                close_date=closed.astimezone(TOKYO).date() if luck < 0.6 else None,
            )  # fmt: skip
            StageChange.objects.create(
                lead=lead,
                from_stage="opportunity",
                to_stage="customer",
                changed_at=closed,
                changed_by=owner,
            )
        else:
            Deal.objects.create(
                lead=lead, name="d", amount=amount, owner=owner, created_at=opened, status="lost",
                closed_at=closed, close_date=closed.astimezone(TOKYO).date(), lost_reason=price,
                lost_note="-",
            )  # fmt: skip
    return SimpleNamespace(campaigns=campaigns, reps=reps)


def filters_of(world: SimpleNamespace) -> list[Filters]:
    a, b, c = (campaign.pk for campaign in world.campaigns)
    return [
        Filters(),
        Filters(campaigns=frozenset({a})),
        Filters(campaigns=frozenset({a, b})),  # the channel "web"
        Filters(rep=world.reps[0].pk),
        Filters(campaigns=frozenset({c}), rep=world.reps[1].pk),
        Filters(campaigns=frozenset()),  # a channel without campaigns
    ]


def assert_same_figures(period: Period, filters: Filters, *, live: bool = True) -> None:
    by_month = metrics.dashboard(period, filters)
    assert by_month == metrics.dashboard(period, filters, by_month=False), (period, filters)
    if live:
        assert by_month == metrics.dashboard(period, filters, live=True), (period, filters)


def summed_days() -> list[tuple]:
    """The daily rows summed by month, as the monthly grain should hold them
    (with how many daily rows each sums)."""
    months: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), 0])
    for day, *key, count, amount in DailyRollup.objects.values_list(
        "day", "grain", "campaign_id", "rep_id", "metric", "bucket", "count", "amount"
    ):
        cell = months[(day.replace(day=1), *key)]
        cell[0] += count
        cell[1] += amount
        cell[2] += 1
    return sorted((*key, *sums) for key, sums in months.items())


def monthly_rows() -> list[tuple]:
    return sorted(
        MonthlyRollup.objects.values_list(
            "month", "grain", "campaign_id", "rep_id", "metric", "bucket", "count", "amount",
            "cells",
        )
    )  # fmt: skip


def daily_rows() -> list[tuple]:
    return sorted(
        DailyRollup.objects.values_list(
            "day", "grain", "campaign_id", "rep_id", "metric", "bucket", "count", "amount"
        )
    )


def days(first: tuple[int, int, int], last: tuple[int, int, int]) -> tuple[date, date]:
    return date(*first), date(*last)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Inside one month: its days, or the month less a few days.
        ((2026, 10, 9), (2026, 10, 20), Spans((days((2026, 10, 9), (2026, 10, 20)),))),
        (
            (2026, 10, 3), (2026, 10, 29),
            Spans((), (date(2026, 10, 1), date(2026, 10, 1)),
                  (days((2026, 10, 1), (2026, 10, 2)), days((2026, 10, 30), (2026, 10, 31)))),
        ),
        # A whole month, nothing else.
        ((2026, 2, 1), (2026, 2, 28), Spans((), (date(2026, 2, 1), date(2026, 2, 1)))),
        # The last 365 days: December 2025 less its first two days, then
        # January to November, then the first days of December.
        (
            (2025, 12, 3), (2026, 12, 3),
            Spans((days((2026, 12, 1), (2026, 12, 3)),), (date(2025, 12, 1), date(2026, 11, 1)),
                  (days((2025, 12, 1), (2025, 12, 2)),)),
        ),
        # Half a month either side: days.
        (
            (2025, 12, 16), (2026, 12, 15),
            Spans((days((2025, 12, 16), (2025, 12, 31)), days((2026, 12, 1), (2026, 12, 15))),
                  (date(2026, 1, 1), date(2026, 11, 1))),
        ),
        # Two partial months and no whole one, each read the cheaper way.
        (
            (2026, 9, 15), (2026, 10, 30),
            Spans((days((2026, 9, 15), (2026, 9, 30)),), (date(2026, 10, 1), date(2026, 10, 1)),
                  (days((2026, 10, 31), (2026, 10, 31)),)),
        ),
        ((2026, 9, 29), (2026, 10, 2), Spans((days((2026, 9, 29), (2026, 9, 30)),
                                              days((2026, 10, 1), (2026, 10, 2)))),),
        # From a first day to mid-month; from mid-month to a last day.
        (
            (2026, 9, 1), (2026, 10, 5),
            Spans((days((2026, 10, 1), (2026, 10, 5)),), (date(2026, 9, 1), date(2026, 9, 1))),
        ),
        (
            (2026, 8, 20), (2026, 9, 30),
            Spans((days((2026, 8, 20), (2026, 8, 31)),), (date(2026, 9, 1), date(2026, 9, 1))),
        ),
    ],
)  # fmt: skip
def test_a_period_reads_months_and_as_few_days_as_it_can(start, end, expected):
    period = Period(date(*start), date(*end))
    assert spans(period) == expected
    assert spans(period, by_month=False) == Spans(((period.start, period.end),))


def test_each_month_is_the_sum_of_its_days_after_the_nightly_rebuild(fifteen_months):
    rollups.rebuild_all()
    assert monthly_rows() == summed_days()
    # The data reaches every metric, at every grain.
    assert {(grain, metric) for _m, grain, _c, _r, metric, *_rest in monthly_rows()} >= {
        (grain, str(metric)) for grain in (0, 1) for metric in rollups.Metric
    }
    assert {month for month, *_rest in monthly_rows()} == set(
        rollups.months_of(FIRST_DAY, NOW.date())
    )


@pytest.mark.parametrize(
    "period",
    [
        Period(date(2026, 10, 10), date(2026, 10, 20)),  # inside one month
        Period(date(2026, 10, 2), date(2026, 10, 30)),  # October less two days
        Period(date(2026, 11, 1), date(2026, 11, 30)),  # one whole month
        Period(date(2026, 9, 15), date(2026, 11, 10)),  # spanning months
        Period(date(2026, 1, 1), date(2026, 12, 31)),  # a whole calendar year, still running
        Period(date(2025, 12, 16), date(2026, 12, 15)),  # the last 365 days
        Period(date(2025, 10, 1), date(2026, 9, 30)),  # a fiscal year, its previous before any lead
        Period(date(2026, 2, 1), date(2026, 3, 31)),  # whole months only, February among them
    ],
    ids=str,
)
def test_months_give_the_figures_of_days_alone_and_of_live(fifteen_months, period):
    rollups.rebuild_all()
    assert MonthlyRollup.objects.exists()
    for filters in filters_of(fifteen_months):
        assert_same_figures(period, filters)


def test_any_period_and_filter_gives_the_same_figures(fifteen_months):
    """Property: random periods (from a day to a year and a half, anywhere
    from before the first lead to after today) and filters."""
    rollups.rebuild_all()
    every_filter = filters_of(fifteen_months)

    @given(
        start=st.dates(min_value=date(2025, 8, 1), max_value=date(2027, 1, 31)),
        length=st.integers(min_value=0, max_value=540),
        which=st.integers(min_value=0, max_value=len(every_filter) - 1),
    )
    @settings(
        max_examples=25,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    def same(start: date, length: int, which: int) -> None:
        assert_same_figures(Period(start, start + timedelta(days=length)), every_filter[which])

    same()


def test_the_minute_refresh_keeps_every_month_the_sum_of_its_days(
    fifteen_months, time_machine, rep
):
    """A refreshed day sums its month again: new work today, a stage change
    recorded on a day months ago (an import), a claim, and a deal won in
    October then reopened in December, whose old closing day only the
    deal's history knows."""
    from crm.models import DealStage
    from deals import services as deal_services

    rollups.refresh()  # the first run rebuilds everything
    # Won today, recorded as decided on 27 October (a rep catching up).
    time_machine.move_to(NOW + timedelta(minutes=10), tick=False)
    lead = Lead.objects.filter(created_at__month=9, created_at__year=2026).order_by("pk").first()
    terms = deal_services.DealTerms("更新案件", Decimal(1_000_000))
    won = deal_services.open_deal(lead, by=rep, terms=terms)
    deal_services.win_deal(won, close_date=date(2026, 10, 27), amount=Decimal(1_300_000), by=rep)
    time_machine.move_to(NOW + timedelta(minutes=20), tick=False)
    rollups.refresh()
    october = Period(date(2026, 10, 1), date(2026, 10, 31))
    assert october_revenue(october) == october_revenue(october, by_month=False)
    assert monthly_rows() == summed_days()

    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    fresh = Lead.objects.create(
        family_name="新", email="new@example.jp", source_campaign=fifteen_months.campaigns[0]
    )
    StageChange.objects.create(
        lead=fresh, from_stage="lead", to_stage="mql", changed_at=NOW + timedelta(hours=1)
    )
    old = Lead.objects.filter(created_at__year=2026, created_at__month=3).order_by("pk").first()
    StageChange.objects.create(
        lead=old, from_stage="lead", to_stage="sql", changed_at=tokyo(date(2026, 4, 30), 23, 55),
        changed_by=rep,
    )  # fmt: skip
    queued = Handoff.objects.filter(status="queued").order_by("pk").first()
    Handoff.objects.filter(pk=queued.pk).update(
        status="claimed", claimed_by=rep, claimed_at=NOW + timedelta(hours=1)
    )
    time_machine.move_to(NOW + timedelta(hours=2), tick=False)  # the refresh's margin long past
    deal_services.reopen_deal(won, to=DealStage.objects.get(name_en="Proposal"), by=rep)
    ranges = rollups.refresh()
    assert ("deals", date(2026, 10, 27), date(2026, 10, 27)) in ranges
    assert ("calendar", date(2026, 4, 30), date(2026, 4, 30)) in ranges
    assert monthly_rows() == summed_days()
    for period in (
        october,
        Period(date(2026, 4, 1), date(2026, 4, 30)),
        Period(date(2026, 1, 1), date(2026, 12, 31)),
    ):
        for filters in filters_of(fifteen_months):
            assert_same_figures(period, filters)
    refreshed = (daily_rows(), monthly_rows())
    rollups.rebuild_all()
    assert (daily_rows(), monthly_rows()) == refreshed


def test_a_campaign_whose_only_rows_are_subtracted_shows_no_row(fifteen_months, marketer):
    """October 5 to 31 is October less its first four days: a campaign whose
    only lead came on 2 October sums back to nothing, and shows no row."""
    lonely = Campaign.objects.create(name="D", channel="ads", utm_code="d", owner=marketer)
    Lead.objects.create(
        family_name="一", email="one@example.jp", source_campaign=lonely,
        created_at=tokyo(date(2026, 10, 2)),
    )  # fmt: skip
    rollups.rebuild_all()
    period = Period(date(2026, 10, 5), date(2026, 10, 31))
    assert spans(period).less == ((date(2026, 10, 1), date(2026, 10, 4)),)
    board = metrics.dashboard(period, Filters())
    assert lonely.pk not in {row.campaign_id for row in board.campaigns}
    assert board == metrics.dashboard(period, Filters(), by_month=False)
    assert lonely.pk in {row.campaign_id for row in metrics.dashboard(OCTOBER, Filters()).campaigns}


def october_revenue(october: Period, *, by_month: bool = True) -> Decimal:
    return metrics.dashboard(october, Filters(), by_month=by_month).values()["won_revenue"]


def test_rebuilding_one_range_sums_its_months_again(fifteen_months):
    rollups.rebuild_all()
    before = monthly_rows()
    MonthlyRollup.objects.filter(month=date(2026, 5, 1)).update(count=0)
    rollups.rebuild(date(2026, 5, 31), date(2026, 6, 2))
    assert monthly_rows() == before
