"""A bulk assign of 100,000 leads from the lead list ("all N matching"):
Baton's way (the ids taken in the request, a job applying set-based chunks of
5,000, one audit entry) against the naive way (each lead loaded and saved, an
audit entry each), in the same run, on PostgreSQL.

The naive way is measured on a sample (BENCH_BULK_SAMPLE leads, 2,000 by
default) and extrapolated linearly to the full count: run whole it would take
minutes, and its cost per lead does not fall with the number of leads.
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench._django import setup

LEADS = int(os.environ.get("BENCH_BULK_LEADS", "100000"))
SAMPLE = int(os.environ.get("BENCH_BULK_SAMPLE", "2000"))
LIMIT_S = 30.0


def generate() -> None:
    """LEADS leads with no owner, by SQL (bulk_create would take longer than
    what is measured)."""
    from django.db import connection

    from crm.models import Lead

    Lead.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO crm_lead (family_name, given_name, family_name_kana, given_name_kana,
                email, phone, phone_digits, phone_direct, phone_department, mobile, fax,
                other_phone_digits, search_text, reading_key, department, title, stage,
                created_at, updated_at)
            SELECT '山田', '太郎' || n, 'ヤマダ', 'タロウ', 'bulk' || n || '@example.jp',
                '', '', '', '', '', '', '', 'やまだ', 'やまだ', '', '', 'lead', now(), now()
            FROM generate_series(1, %s) AS n
            """,
            [LEADS],
        )


def users() -> tuple[Any, Any]:
    from django.contrib.auth.models import Group, User

    marketer, _ = User.objects.get_or_create(username="bench_marketer")
    marketer.groups.add(Group.objects.get(name="marketer"))
    rep, _ = User.objects.get_or_create(username="bench_rep")
    rep.groups.add(Group.objects.get(name="sales"))
    return User.objects.get(pk=marketer.pk), rep


def baton_way(marketer: Any, rep: Any) -> tuple[float, float]:
    """What the request and the worker do for "all N matching": the ids in
    scope, the job, its chunks."""
    from crm import bulk
    from crm.forms import LeadFilterForm
    from crm.models import BulkJob, Lead

    started = time.perf_counter()
    leads = LeadFilterForm(None).filter(Lead.objects.changeable_by(marketer))
    ids = list(leads.values_list("pk", flat=True))
    job = BulkJob.objects.create(
        action=bulk.ASSIGN, params={"owner": rep.pk}, lead_ids=ids, total=len(ids),
        created_by=marketer,
    )  # fmt: skip
    asked = time.perf_counter() - started
    bulk.run_job(job.pk)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    if job.status != BulkJob.Status.DONE or job.changed != LEADS:
        raise RuntimeError(f"bulk job ended {job.status} with {job.changed} changed")
    return elapsed, asked


def naive_way(marketer: Any, rep: Any) -> float:
    """Each lead loaded and saved, with an audit entry each, on SAMPLE leads."""
    from audit import trail
    from crm.models import Lead

    sample = list(Lead.objects.changeable_by(marketer).order_by("pk")[:SAMPLE])
    started = time.perf_counter()
    for lead in Lead.objects.filter(pk__in=[lead.pk for lead in sample]).iterator():
        lead.owner = rep
        lead.save()
        trail.record(trail.Action.OWNER_CHANGED, lead, actor=marketer, changes={"owner": rep.pk})
    return time.perf_counter() - started


def run() -> None:
    setup("baton_bench_bulk")
    from crm.models import Lead

    marketer, rep = users()
    started = time.perf_counter()
    generate()
    print(f"generated {LEADS:,} leads in {time.perf_counter() - started:.1f} s")
    naive = naive_way(marketer, rep)
    per_lead_ms = naive / SAMPLE * 1000
    Lead.objects.update(owner=None)
    baton, asked = baton_way(marketer, rep)
    extrapolated = per_lead_ms * LEADS / 1000
    print(f"{'way':<44} {'leads':>9} {'seconds':>9} {'ms / lead':>10}")
    print(
        f"{'Baton: ids + job, chunks of 5,000':<44} {LEADS:>9,} {baton:>9.1f} {baton / LEADS * 1000:>10.3f}"
    )
    print(f"{'  of which the request (ids, job row)':<44} {LEADS:>9,} {asked:>9.1f}")
    print(
        f"{'naive: save() + audit per lead (measured)':<44} {SAMPLE:>9,} {naive:>9.1f} {per_lead_ms:>10.3f}"
    )
    print(
        f"{'naive, extrapolated to all':<44} {LEADS:>9,} {extrapolated:>9.1f} {per_lead_ms:>10.3f}"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average during the run (1, 5, 15 min): {load}; cores: {os.cpu_count()}")
    print(
        f"Baton {extrapolated / baton:.0f}x faster; limit {LIMIT_S:.0f} s: {'met' if baton <= LIMIT_S else 'MISSED'}"
    )
