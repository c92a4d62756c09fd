"""The deal KPIs on hand-made deals with answers worked out by hand: won
revenue, marketing ROI, cost per won deal, win rate, average sales cycle,
lost reasons (from the rollups and live alike) and the forecast (live).

November 2026, Tokyo. Campaign A (actual cost ¥300,000) brought in lead LA;
LB came without a campaign.

- D1 (LA, ¥1,000,000): opened 1 Nov, won 11 Nov: 10 days.
- D2 (LA, ¥500,000): opened 20 Oct, won 21 Nov: 32 days.
- D3 (LB, ¥800,000): opened 2 Nov, lost 5 Nov (Price).
- D4 (LA, ¥300,000): opened 3 Nov, lost 25 Nov (Price).
- D5 (LB, ¥200,000): opened 4 Nov, lost 28 Nov (Timing).
- D6 (LB, ¥900,000): opened 5 Nov, still open.
- D7 (LA, ¥700,000): won 3 Oct: before the period.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from crm.models import Campaign, Deal, DealStage, LostReason
from kpi import metrics, rollups
from kpi.metrics import Filters
from kpi.models import Target
from tests import factories

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
NOVEMBER = metrics.Period(date(2026, 11, 1), date(2026, 11, 30))


def noon(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 12, tzinfo=TOKYO)


def stage(name_en: str) -> DealStage:
    return DealStage.objects.get(name_en=name_en)


def deal(lead, amount: int, opened: datetime, *, kind: str = "open", **fields) -> Deal:
    at = stage({"won": "Won", "lost": "Lost"}.get(kind, fields.pop("stage_name", "Proposal")))
    if kind == "lost":
        fields.setdefault("lost_note", "-")
    return Deal.objects.create(
        lead=lead, name="d", amount=amount, created_at=opened, stage=at, status=kind,
        probability=at.probability, **fields,
    )  # fmt: skip


@pytest.fixture
def november(marketer, rep):
    a = Campaign.objects.create(
        name="A", channel="web", utm_code="a", owner=marketer, actual_cost=300_000
    )
    la = factories.lead(created_at=noon(10, 1), source_campaign=a)
    lb = factories.lead(created_at=noon(10, 1))
    price = LostReason.objects.get(name_en="Price")
    timing = LostReason.objects.get(name_en="Timing")
    deal(la, 1_000_000, noon(11, 1), kind="won", close_date=date(2026, 11, 11), owner=rep)
    deal(la, 500_000, noon(10, 20), kind="won", close_date=date(2026, 11, 21), owner=rep)
    deal(lb, 800_000, noon(11, 2), kind="lost", close_date=date(2026, 11, 5), lost_reason=price)
    deal(la, 300_000, noon(11, 3), kind="lost", close_date=date(2026, 11, 25), lost_reason=price)
    deal(lb, 200_000, noon(11, 4), kind="lost", close_date=date(2026, 11, 28), lost_reason=timing)
    deal(lb, 900_000, noon(11, 5))
    deal(la, 700_000, noon(9, 1), kind="won", close_date=date(2026, 10, 3), owner=rep)
    return a


@pytest.fixture(params=["rollups", "live"])
def board(request):
    def build(filters: Filters | None = None) -> metrics.Dashboard:
        if request.param == "rollups":
            rollups.rebuild_all()
        return metrics.dashboard(NOVEMBER, filters or Filters(), live=request.param == "live")

    return build


def test_each_deal_figure_as_worked_out_by_hand(november, board):
    values = board().values()
    assert values["won_revenue"] == Decimal(1_500_000)  # D1 + D2, not D7
    assert values["win_rate"] == Decimal("40.0")  # 2 won of 5 closed
    assert values["sales_cycle"] == Decimal("21.0")  # (10 + 32) / 2
    # Campaign A: ¥1,500,000 won less its ¥300,000, over ¥300,000.
    assert values["roi"] == Decimal("400.0")
    assert values["cost_per_won_deal"] == Decimal(150_000)  # ¥300,000 over 2 deals


def test_lost_reasons_most_first(november, board):
    with_language = board()
    assert with_language.lost_reasons == [("Price", 2), ("Timing", 1)]


def test_deal_figures_follow_the_filters(november, board, rep):
    by_campaign = board(Filters(campaigns=frozenset({november.pk}))).values()
    # A's deals only: D1 and D2 won, D4 lost.
    assert by_campaign["win_rate"] == Decimal("66.7")
    assert by_campaign["won_revenue"] == Decimal(1_500_000)
    by_rep = board(Filters(rep=rep.pk)).values()
    assert by_rep["win_rate"] == Decimal("100.0") and by_rep["sales_cycle"] == Decimal("21.0")
    assert by_rep["roi"] is None and by_rep["cost_per_won_deal"] is None  # not by rep


def test_nothing_closed_gives_no_rate(db, board):
    values = board().values()
    for key in ("roi", "cost_per_won_deal", "win_rate", "sales_cycle"):
        assert values[key] is None


def test_forecast_by_expected_month_weighted_against_the_target(time_machine, marketer, rep):
    time_machine.move_to(noon(11, 15), tick=False)
    lead = factories.lead(created_at=noon(10, 1))
    # Proposal 30%, Quote 50%, Negotiation 70%, Discovery 10%.
    deal(lead, 1_000_000, noon(11, 1), expected_close_date=date(2026, 11, 30))
    deal(lead, 2_000_000, noon(11, 1), stage_name="Quote", expected_close_date=date(2027, 1, 10))
    deal(lead, 400_000, noon(9, 1), stage_name="Negotiation", expected_close_date=date(2026, 10, 1))
    deal(lead, 100_000, noon(11, 2), stage_name="Discovery")
    deal(lead, 600_000, noon(10, 1), kind="won", close_date=date(2026, 11, 10))
    deal(lead, 999_000, noon(9, 1), kind="won", close_date=date(2026, 10, 30))  # before
    Target.objects.create(kpi="won_revenue", span="month", month=date(2026, 11, 1), value=1_000_000)
    rows = metrics.forecast(date(2026, 11, 15), Filters())
    assert [(r.overdue, r.month) for r in rows] == [
        (True, None), *[(False, date(y, m, 1)) for y, m in (
            (2026, 11), (2026, 12), (2027, 1), (2027, 2), (2027, 3), (2027, 4))],
        (False, None),
    ]  # fmt: skip
    overdue, november, _december, january, *_rest, undated = rows
    assert (overdue.deals, overdue.amount, overdue.weighted) == (1, 400_000, 280_000)
    assert (november.deals, november.weighted, november.won) == (1, 300_000, 600_000)
    assert (november.projected, november.target, november.gap) == (900_000, 1_000_000, -100_000)
    assert november.on_track is False
    assert (january.weighted, january.target, january.gap) == (1_000_000, None, None)
    assert (undated.deals, undated.weighted) == (1, 10_000)
    # A rep filter keeps their deals only (none here).
    assert sum(r.deals for r in metrics.forecast(date(2026, 11, 15), Filters(rep=rep.pk))) == 0


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_dashboard_shows_the_deal_figures_with_their_definitions(
    client_as, manager, november, language
):
    from kpi.definitions import DEFINITIONS, TABLE_DEFINITIONS

    rollups.rebuild_all()
    client = client_as(manager)
    client.cookies["django_language"] = language
    params = {"preset": "custom", "start": "2026-11-01", "end": "2026-11-30"}
    body = client.get(reverse("kpi:dashboard"), params, HTTP_ACCEPT_LANGUAGE=language)
    text = body.content.decode()
    assert 'data-testid="kpi-roi-value">400.0%<' in text
    assert 'data-testid="kpi-win_rate-value">40.0%<' in text
    assert 'data-testid="kpi-won_revenue-value">¥1,500,000<' in text
    assert 'data-testid="forecast"' in text and 'data-testid="lost-reasons"' in text
    from django.utils import translation

    with translation.override(language):
        assert str(DEFINITIONS["win_rate"].formula) in text
        assert str(TABLE_DEFINITIONS["forecast"].name) in text
        assert ("価格" if language == "ja" else "Price") in text


def test_the_csv_has_the_lost_reasons_and_the_forecast(client_as, manager, november):
    import csv
    import io

    rollups.rebuild_all()
    params = {"preset": "custom", "start": "2026-11-01", "end": "2026-11-30"}
    response = client_as(manager).get(reverse("kpi:export"), params)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["Lost reasons", "Price", "Lost deals", "2", "", "", ""] in rows
    assert ["KPIs", "win_rate", "Win rate", "40.0", "", "", "percent"] in rows
    assert any(row[0] == "Forecast" and row[2] == "Won + weighted" for row in rows)


def test_the_dashboard_reads_the_deal_figures_in_the_rollups_statement(
    time_machine, client_as, manager, november, rep
):
    """The forecast's deals, the targets (the period's and the forecast's
    months) and the lost reasons' names ride along the rollups' one statement
    (kpi.metrics.cells.from_rollups): the same figures as read on their own,
    in nine queries (session, user, permissions, the statement, campaign and
    rep names, the refresh time, the campaign and rep selects)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from kpi.definitions import DEFINITIONS
    from kpi.metrics import targets_for

    time_machine.move_to(noon(11, 15), tick=False)
    lead = factories.lead(created_at=noon(10, 1))
    deal(lead, 2_000_000, noon(11, 1), stage_name="Quote", expected_close_date=date(2027, 1, 10))
    deal(lead, 400_000, noon(9, 1), stage_name="Negotiation", expected_close_date=date(2026, 10, 1))
    deal(lead, 100_000, noon(11, 2), stage_name="Discovery")
    for month, value in ((date(2026, 11, 1), 1_000_000), (date(2027, 1, 1), 2_500_000)):
        Target.objects.create(kpi="won_revenue", span="month", month=month, value=value)
    Target.objects.create(kpi="leads", span="quarter", month=date(2026, 10, 1), value=300)
    Target.objects.create(kpi="mqls", span="month", month=date(2026, 11, 1), value=40)
    rollups.rebuild_all()
    today = date(2026, 11, 15)
    for filters in (Filters(), Filters(rep=rep.pk), Filters(campaigns=frozenset({november.pk}))):
        board = metrics.dashboard(NOVEMBER, filters)
        assert board.forecast == metrics.forecast(today, filters)
        alone = targets_for(NOVEMBER)
        assert [f.target for f in board.figures] == [alone.get(key) for key in DEFINITIONS]
    empty = metrics.dashboard(NOVEMBER, Filters(campaigns=frozenset()))  # a channel without any
    assert sum(row.deals for row in empty.forecast) == 0
    for language in ("ja", "en"):
        with translation.override(language):
            names = [name for name, _count in metrics.dashboard(NOVEMBER, Filters()).lost_reasons]
            # Live reads the reasons on their own (today is the 15th: it also
            # counts the deals lost later in the month, which no rollup holds yet).
            live = metrics.dashboard(NOVEMBER, Filters(), live=True).lost_reasons
            assert set(names) <= {name for name, _count in live}
            assert ("価格" if language == "ja" else "Price") in names

    client = client_as(manager)
    params = {"preset": "custom", "start": "2026-11-01", "end": "2026-11-30"}
    client.get(reverse("kpi:dashboard"), params)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("kpi:dashboard"), params).status_code == 200
    assert len(ctx.captured_queries) <= 9
    for table in ("crm_deal", "kpi_target", "crm_lostreason"):
        reads = [q["sql"] for q in ctx.captured_queries if table in q["sql"]]
        assert len(reads) == 1 and "kpi_dailyrollup" in reads[0], table


DEAL_FIGURES = ("won_revenue", "roi", "cost_per_won_deal", "win_rate", "sales_cycle")


@pytest.mark.parametrize("closing", ["win", "lose"])
def test_a_reopened_deal_leaves_its_closing_day_at_the_next_refresh(closing, marketer, rep):
    """Reopening clears the deal's close date and closing time, which is how
    the minute refresh finds the days a deal changed: its old closing day is
    found through its field history instead, and rebuilt without it."""
    import time_machine

    from deals import services as deal_services

    def figures(*, live: bool) -> dict[str, object]:
        values = metrics.dashboard(NOVEMBER, Filters(), live=live).values()
        return {name: values[name] for name in DEAL_FIGURES}

    campaign = Campaign.objects.create(
        name="A", channel="web", utm_code="a", owner=marketer, actual_cost=300_000
    )
    lead = factories.lead(created_at=noon(10, 1), source_campaign=campaign)
    price = LostReason.objects.get(name_en="Price")
    with time_machine.travel(noon(11, 10), tick=False):
        rollups.refresh()  # the first run notes where the sources stand
        terms = deal_services.DealTerms("更新案件", Decimal(1_000_000))
        opened = deal_services.open_deal(lead, by=rep, terms=terms)
        if closing == "win":
            deal_services.win_deal(
                opened, close_date=date(2026, 11, 3), amount=Decimal(1_200_000), by=rep
            )
        else:
            deal_services.lose_deal(
                opened, reason=price, note="予算", by=rep, close_date=date(2026, 11, 3)
            )
    with time_machine.travel(noon(11, 11), tick=False):
        rollups.refresh()
    closed = figures(live=False)
    assert closed["win_rate"] == Decimal(100 if closing == "win" else 0)
    assert closed["won_revenue"] == Decimal(1_200_000 if closing == "win" else 0)
    with time_machine.travel(noon(11, 20), tick=False):  # long after the refresh's margin
        deal_services.reopen_deal(opened, to=stage("Proposal"), by=rep)
        ranges = rollups.refresh()
    assert ("deals", date(2026, 11, 3), date(2026, 11, 3)) in ranges
    reopened = figures(live=False)
    assert reopened["win_rate"] is None  # nothing closed in November any more
    assert reopened["won_revenue"] == Decimal(0)
    assert reopened == figures(live=True)
