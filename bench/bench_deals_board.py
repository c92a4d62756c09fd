"""The pipeline board with 10,000 open deals on PostgreSQL.

Server time of the real board view (Django's test client, so no network)
for a manager who sees every deal, and its query count at 1,000 and at
10,000 deals (it must not grow). In the same run, the naive way: load every
open deal with its stage, lead and owner and sum the columns in Python.
"""

from __future__ import annotations

import os
import time

from bench._django import describe, percentile, setup

DEALS = int(os.environ.get("BENCH_DEALS", "10000"))
LEADS = 2_000
REPEAT = 40


def generate(deals: int) -> None:
    """`deals` open deals over the open stages, by SQL (leads by the ORM)."""
    from django.db import connection

    from crm.models import Lead

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE crm_dealstagechange, crm_deal RESTART IDENTITY CASCADE")
    if Lead.objects.count() < LEADS:
        Lead.objects.bulk_create(
            Lead(family_name=f"山田{n}", email=f"board{n}@example.jp", reading_key=f"ヤマダ{n}")
            for n in range(LEADS)
        )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO crm_deal (lead_id, name, amount, stage_id, status, probability,
                expected_close_date, next_step, lost_note, owner_id, created_at, version)
            SELECT l.ids[1 + g %% array_length(l.ids, 1)], '案件 ' || g, 100000 * (1 + g %% 50),
                s.ids[1 + g %% array_length(s.ids, 1)], 'open', 10 * (1 + g %% 7),
                current_date + (g %% 180), '', '', (SELECT min(id) FROM auth_user), now(), 1
            FROM generate_series(1, %s) g,
                (SELECT array_agg(id) AS ids FROM crm_lead) l,
                (SELECT array_agg(id ORDER BY "order") AS ids FROM crm_dealstage
                 WHERE kind = 'open' AND NOT is_retired) s
            """,
            [deals],
        )
        cursor.execute("ANALYZE crm_deal")


def naive_board() -> dict[int, list[int]]:
    """Every open deal into Python, summed per stage there."""
    from crm.models import Deal

    sums: dict[int, list[int]] = {}
    for deal in Deal.objects.filter(status="open").select_related("stage", "lead", "owner"):
        row = sums.setdefault(deal.stage_id or 0, [0, 0, 0])
        row[0] += 1
        row[1] += int(deal.amount)
        row[2] += deal.weighted_amount
    return sums


def timed(call: object, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return times


def run() -> None:
    setup("baton_bench_deals")
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from crm.models import Deal
    from deals.board import columns

    manager, _ = User.objects.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name="manager"))
    client = Client()
    client.force_login(manager)

    def board() -> None:
        response = client.get("/deals/board/")
        if response.status_code != 200:
            raise SystemExit(f"the board answered {response.status_code}")

    counts = {}
    for size in (DEALS // 10, DEALS):
        generate(size)
        board()
        with CaptureQueriesContext(connection) as queries:
            board()
        counts[size] = len(queries)
    print(f"board queries: {counts} (deals -> queries)")
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")
    page = timed(board, REPEAT)
    print(f"board page, {DEALS:,} open deals: {describe(page)}, p95 {percentile(page, 95):.1f} ms")
    in_sql = timed(lambda: columns(Deal.objects.all()), REPEAT)
    print(f"columns in SQL:     {describe(in_sql)}, p95 {percentile(in_sql, 95):.1f} ms")
    naive = timed(naive_board, 5)
    print(f"naive (all deals in Python): {describe(naive)}, p95 {percentile(naive, 95):.1f} ms")
    if counts[DEALS // 10] != counts[DEALS]:
        raise SystemExit("the board's query count grew with the deals")
