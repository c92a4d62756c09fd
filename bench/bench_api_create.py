"""Creating a lead through the API at 10,000, 100,000 and 1,000,000 leads.

`POST /api/v1/leads/` in-process (DRF's test client, a marketer's token, so
no network), its server time and query count, with the table grown by SQL
between sizes. In the same run, at each size, today's duplicate check against
the old one: `Lead.objects.with_email` (`LOWER(email) = …`, the unique index's
expression) and `email__iexact` (`UPPER(email) = UPPER(…)`), each timed alone
and through a whole create, and their plans (EXPLAIN).

`BENCH_CREATE_SIZES` (10000,100000,1000000) and `BENCH_CREATES` (100 per
size and way) set the sizes. Database `baton_bench_create`.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bench._django import percentile, setup

SIZES = [int(n) for n in os.environ.get("BENCH_CREATE_SIZES", "10000,100000,1000000").split(",")]
CREATES = int(os.environ.get("BENCH_CREATES", "100"))
_serial = itertools.count()


def grow_to(leads: int) -> None:
    """Leads by SQL up to `leads` (the trigram indexes dropped and built again
    around a large insert, as bench_lead_list does)."""
    from django.db import connection

    from crm.models import Lead

    have = Lead.objects.count()
    if have == leads:
        return
    with connection.cursor() as cursor:
        if have > leads:  # a smaller size after a larger run: start again
            cursor.execute(
                "TRUNCATE crm_activity, crm_stagechange, crm_leadscore, crm_lead RESTART IDENTITY CASCADE"
            )
            have = 0
        cursor.execute("SET maintenance_work_mem = '256MB'")
        big = leads - have > 50_000
        if big:
            for index in ("lead_search_text_trgm", "lead_phone_digits_trgm"):
                cursor.execute(f"DROP INDEX IF EXISTS {index}")
        cursor.execute(
            """
            INSERT INTO crm_lead (family_name, given_name, family_name_kana, given_name_kana, email, phone,
                phone_digits, search_text, department, title, stage, created_at, updated_at)
            SELECT '山田', '太郎' || g, 'ヤマダ', 'タロウ', 'seed' || g || '@example.jp', '', '',
                '山田太郎' || g || 'seed' || g || 'examplejp', '', '', 'lead',
                now() - (g %% 365) * interval '1 day', now()
            FROM generate_series(%s, %s) g
            """,
            [have + 1, leads],
        )
        cursor.execute(
            "INSERT INTO crm_leadscore (lead_id, fit, engagement) SELECT id, 0, 0 FROM crm_lead "
            "WHERE NOT EXISTS (SELECT 1 FROM crm_leadscore s WHERE s.lead_id = crm_lead.id)"
        )
        if big:
            cursor.execute(
                "CREATE INDEX lead_search_text_trgm ON crm_lead USING gin (search_text gin_trgm_ops)"
            )
            cursor.execute(
                "CREATE INDEX lead_phone_digits_trgm ON crm_lead USING gin (phone_digits gin_trgm_ops)"
            )
        # As a table that has been in use: hint bits set, visibility map built.
        cursor.execute("VACUUM ANALYZE crm_lead")
        cursor.execute("VACUUM ANALYZE crm_leadscore")


@contextmanager
def old_duplicate_check() -> Iterator[None]:
    """The API's duplicate check as it was: `email__iexact`."""
    from crm.models.people import LeadQuerySet

    current = LeadQuerySet.with_email

    def iexact(self: LeadQuerySet, email: str) -> LeadQuerySet:
        return self.filter(email__iexact=email)

    LeadQuerySet.with_email = iexact  # type: ignore[method-assign]
    try:
        yield
    finally:
        LeadQuerySet.with_email = current  # type: ignore[method-assign]


def creates(client: object, n: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for _ in range(n):
        k = next(_serial)
        body = {
            "family_name": "佐藤",
            "given_name": f"花子{k}",
            "email": f"Bench{k}.{time.time_ns()}@Example.JP",
        }
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.post("/api/v1/leads/", body, format="json")  # type: ignore[attr-defined]
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 201, response.content  # nosec B101  # a benchmark sanity check
        queries = len(ctx.captured_queries)
        if os.environ.get("BENCH_SHOW_SQL"):
            print("\n".join(q["sql"][:120] for q in ctx.captured_queries))
    return times, queries


def timed(check: Callable[[], object], n: int = 20) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        check()
        times.append((time.perf_counter() - start) * 1000)
    return times


def plan(queryset: object) -> str:
    """The plan's scan line: how the lead is found."""
    text = queryset.order_by().explain()  # type: ignore[attr-defined]
    scan = next((line for line in text.splitlines() if "Scan" in line), text.splitlines()[0])
    return scan.strip(" ->").split("  (")[0]


def run() -> None:
    os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")
    setup("baton_bench_create")
    from django.contrib.auth.models import Group, User
    from rest_framework.test import APIClient

    from api import tokens
    from crm.models import Lead

    marketer, _ = User.objects.get_or_create(username="bench-marketer")
    marketer.groups.add(Group.objects.get(name="marketer"))
    key = tokens.create_token(marketer, name=f"bench {time.time_ns()}", scope="write", days=1)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    creates(client, 3)  # warm-up: the token's first use, imports, translations
    print(
        f"{'leads':>10} {'way':<34} {'create p50 / p95 (ms)':>22} {'queries':>8} {'check alone p50 (ms)':>21}  plan"
    )
    for size in SIZES:
        started = time.perf_counter()
        grow_to(size)
        print(f"({Lead.objects.count():,} leads ready in {time.perf_counter() - started:.0f} s)")
        probe = "Nobody.Here@Example.JP"  # a new email, as a create checks: no early match
        new_check = Lead.objects.with_email(probe)
        old_check = Lead.objects.filter(email__iexact=probe)
        # Alternating, so that the machine's load falls on both alike.
        new_times, old_times = [], []
        new_q = old_q = 0
        for _ in range(CREATES // 20):
            t, new_q = creates(client, 20)
            new_times += t
            with old_duplicate_check():
                t, old_q = creates(client, 20)
            old_times += t
        for label, times, queries, check in (
            ("Baton: LOWER(email) = key", new_times, new_q, new_check),
            ("before: email__iexact (UPPER)", old_times, old_q, old_check),
        ):
            alone = timed(check.exists)
            print(
                f"{size:>10,} {label:<34} {percentile(times, 50):>9.1f} / {percentile(times, 95):<10.1f}"
                f" {queries:>8} {percentile(alone, 50):>21.2f}  {plan(check)}"
            )
