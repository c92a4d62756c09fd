"""Full rescore at 1,000,000 leads and 10,000,000 activities on PostgreSQL.

Baton's set-based rescore (crm.rescore: one aggregate and one UPDATE per batch
of 100,000 leads) against the per-lead ORM loop (crm.services.rescore_lead) on a
sample, extrapolated, in the same run. The rules are the default ones: seven
engagement rules with a 30-day half-life and four fit rules.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

from bench._django import setup

LEADS = int(os.environ.get("BENCH_LEADS", "1000000"))
ACTIVITIES = int(os.environ.get("BENCH_ACTIVITIES", "10000000"))
SAMPLE = 2_000
KINDS = [
    "form_submit",
    "page_view",
    "page_view",
    "page_view",
    "email_open",
    "email_click",
    "download",
    "webinar",
    "event_visit",
    "call",
]


def generate_activities() -> None:
    """10M activities over the last year, by SQL, into the table as migrated
    (its indexes in place, as in production)."""
    from django.db import connection

    from bench import bench_lead_list

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE crm_activity RESTART IDENTITY CASCADE")
        cursor.execute(
            """
            INSERT INTO crm_activity (lead_id, kind, occurred_at, campaign_id, actor_id, details, external_id, points, scored_at)
            SELECT 1 + (g * 7919) %% %s, (%s::text[])[1 + g %% 10], now() - ((g * 104729) %% 31536000) * interval '1 second',
                   %s + g %% 200, NULL, '{}'::jsonb, NULL, 0, now()
            FROM generate_series(1::bigint, %s::bigint) g
            """,
            [LEADS, KINDS, bench_lead_list.first_campaign(), ACTIVITIES],
        )
        cursor.execute("ANALYZE crm_activity")


def run() -> None:
    setup()
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from bench import bench_lead_list
    from crm import rescore
    from crm import services as crm
    from crm.models import Activity, Lead, ScoringRule

    bench_lead_list.LEADS = LEADS
    if not bench_lead_list.generated():
        bench_lead_list.generate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'crm_activity'")
        estimate = cursor.fetchone()[0]
    if abs(estimate - ACTIVITIES) > ACTIVITIES * 0.01:
        started = time.perf_counter()
        generate_activities()
        print(f"generated {ACTIVITIES:,} activities in {time.perf_counter() - started:.0f} s")
    # A rule change: page views are worth one point more, so nearly every
    # lead's engagement changes and the rescore writes nearly every row.
    # (Up on one run, down on the next: each run is a change.)
    page_views = ScoringRule.objects.filter(kind="page_view")
    bump = 1 if sum(page_views.values_list("points", flat=True)) % 2 == 0 else -1
    page_views.update(points=F("points") + bump)
    rules = ScoringRule.objects.active().snapshot()
    now = timezone.now()

    marks: list[float] = []
    started = time.perf_counter()
    changed = rescore.rescore_all(
        rules, now=now, progress=lambda done, total: marks.append(time.perf_counter())
    )
    set_based = time.perf_counter() - started
    print(
        f"set-based rescore of {LEADS:,} leads / {ACTIVITIES:,} activities after a rule change: {set_based:.1f} s"
        f" ({changed:,} leads changed; computing {marks[0] - started:.1f} s, writing {set_based - (marks[0] - started):.1f} s)"
    )
    started = time.perf_counter()
    again = rescore.rescore_all(rules, now=now)
    print(
        f"  the same again (nothing to write): {time.perf_counter() - started:.1f} s ({again:,} changed)"
    )
    started = time.perf_counter()
    nightly = rescore.rescore_all(rules, now=now + timedelta(days=1))
    print(
        f"  the next night (one day of decay): {time.perf_counter() - started:.1f} s ({nightly:,} changed)"
    )

    sample = list(Lead.objects.order_by("?").values_list("pk", flat=True)[:SAMPLE])
    started = time.perf_counter()
    for lead_id in sample:
        crm.rescore_lead(lead_id, rules=rules, now=now)
    per_lead = (time.perf_counter() - started) / SAMPLE
    loop = per_lead * LEADS
    print(
        f"per-lead ORM loop: {per_lead * 1000:.2f} ms a lead on {SAMPLE:,} leads -> {loop:,.0f} s extrapolated"
    )
    print(f"ratio: {loop / set_based:.0f}x  (targets: <= 20 s, >= 50x)")
    print(
        f"activities per lead: {Activity.objects.filter(lead_id__in=sample).count() / SAMPLE:.1f}"
    )
