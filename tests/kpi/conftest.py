"""A hand-built October (Tokyo time) whose every KPI is worked out by hand.

Campaigns: A (web, actual cost ¥100,000), B (email, no cost).

- L1 (A), created 1 Oct 00:30: MQL 2 Oct 12:00 → SAL 3 Oct 12:00 (rep) →
  SQL 5 Oct 12:00 (rep) → opportunity 10 Oct 12:00 (rep) → customer
  20 Oct 15:00 (rep). Its deal (¥1,000,000, owner rep) opened 10 Oct, won
  20 Oct 15:00. It touched campaign B on 5 Oct, before the deal.
- L2 (A), created 15 Oct 09:00: MQL 15 Oct 10:00 → SAL 16 Oct 10:00 (rep) →
  recycled 17 Oct (rep rejected it) → MQL again 25 Oct → SQL 28 Oct 10:00
  (other_rep): a recycled lead that converted.
- L3 (B), created 31 Oct 23:00: SQL 31 Oct 23:30 (other_rep), skipping MQL
  and SAL.
- L4 (no campaign), created 30 Sep: MQL 5 Oct.
- L5 (B), created 10 Sep: MQL 12 Sep (the previous period's only MQL).

Handoffs: H1 (L1) made 2 Oct 12:00, claimed by rep 12:10, first touch 12:30,
accepted 3 Oct (now qualified), its first-touch deadline (due 13:00) met.
H2 (L2) made 15 Oct 12:00, claimed by rep 13:00, first touch 14:00, rejected
17 Oct for no budget, its deadline (due 13:00) missed. H3 (L4) made 5 Oct,
still queued, its deadline open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from crm.models import Activity, Campaign, Deal, StageChange
from handoff.models import Handoff, SlaDeadline
from kpi import metrics
from tests import factories
from tests.api.conftest import token_client

TOKYO = ZoneInfo("Asia/Tokyo")
OCTOBER = metrics.Period(date(2026, 10, 1), date(2026, 10, 31))


def at(day: int, hour: int = 12, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


def moves(lead, *steps) -> None:
    previous = ""
    for stage, when, by in steps:
        StageChange.objects.create(
            lead=lead, from_stage=previous, to_stage=stage, changed_at=when, changed_by=by
        )
        previous = stage


@pytest.fixture
def api_as() -> Callable[[User], APIClient]:
    """`api_as(rep)`: an API client sending `rep`'s token (as in tests/api)."""
    return token_client


@pytest.fixture
def october(marketer, rep, other_rep) -> SimpleNamespace:
    a = Campaign.objects.create(
        name="秋の展示会", channel="web", utm_code="a", owner=marketer, actual_cost=100_000
    )
    b = Campaign.objects.create(name="メルマガ", channel="email", utm_code="b", owner=marketer)
    l1 = factories.lead(created_at=at(1, 0, 30), source_campaign=a)
    l2 = factories.lead(created_at=at(15, 9), source_campaign=a)
    l3 = factories.lead(created_at=at(31, 23), source_campaign=b)
    l4 = factories.lead(created_at=at(30, month=9))
    l5 = factories.lead(created_at=at(10, month=9), source_campaign=b)
    moves(
        l1,
        ("mql", at(2), None),
        ("sal", at(3), rep),
        ("sql", at(5), rep),
        ("opportunity", at(10), rep),
        ("customer", at(20, 15), rep),
    )
    moves(
        l2,
        ("mql", at(15, 10), None),
        ("sal", at(16, 10), rep),
        ("recycled", at(17), rep),
        ("mql", at(25), None),
        ("sql", at(28, 10), other_rep),
    )
    moves(l3, ("sql", at(31, 23, 30), other_rep))
    moves(l4, ("mql", at(5), None))
    moves(l5, ("mql", at(12, month=9), None))
    Activity.objects.create(lead=l1, kind="email_click", campaign=b, occurred_at=at(5))
    Deal.objects.create(
        lead=l1, name="導入", amount=1_000_000, status="won", owner=rep,
        created_at=at(10), closed_at=at(20, 15),
    )  # fmt: skip
    h1 = Handoff.objects.create(
        lead=l1, status="qualified", created_at=at(2), claimed_by=rep, claimed_at=at(2, 12, 10),
        first_touch_at=at(2, 12, 30), routing_delay=timedelta(minutes=10),
        rep_delay=timedelta(minutes=20), decided_at=at(3),
    )  # fmt: skip
    h2 = Handoff.objects.create(
        lead=l2, status="rejected", created_at=at(15), claimed_by=rep, claimed_at=at(15, 13),
        first_touch_at=at(15, 14), routing_delay=timedelta(minutes=60),
        rep_delay=timedelta(minutes=60), decided_at=at(17), reject_reason="no_budget",
    )  # fmt: skip
    h3 = Handoff.objects.create(lead=l4, status="queued", created_at=at(5))
    SlaDeadline.objects.create(
        handoff=h1, kind="first_touch", due_at=at(2, 13), settled_at=at(2, 12, 30)
    )
    SlaDeadline.objects.create(
        handoff=h2, kind="first_touch", due_at=at(15, 13), settled_at=at(15, 13), breached=True
    )
    SlaDeadline.objects.create(handoff=h3, kind="first_touch", due_at=at(5, 13))
    return SimpleNamespace(a=a, b=b, leads=[l1, l2, l3, l4, l5], rep=rep, other_rep=other_rep)


EXPECTED_OCTOBER = {
    "leads": 3,
    "mqls": 4,  # L1, L2 (once), L3 (through its SQL), L4
    "sqls": 3,
    "won": 1,
    "won_revenue": Decimal(1_000_000),
    "roi": Decimal("900.0"),  # campaign A's ¥1,000,000 won less A and B's ¥100,000, over it
    "cost_per_won_deal": Decimal(100_000),  # ¥100,000 over one won deal
    "win_rate": Decimal("100.0"),  # one deal won, none lost
    "sales_cycle": Decimal("10.0"),  # opened 10 Oct, won 20 Oct
    "pipeline_sourced": Decimal(1_000_000),
    "pipeline_influenced": Decimal(1_000_000),  # one deal, counted once in the total
    "claimed": 2,
    "speed_p50": 30,
    "speed_p90": 120,
    "routing_p50": 10,
    "rep_delay_p50": 20,
    "sla_compliance": Decimal("50.0"),
    "rejection_rate": Decimal("50.0"),
    "recycled_converted": 1,
    "lead_velocity": Decimal("300.0"),  # 4 against 1
}
