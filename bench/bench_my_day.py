"""My day for a rep with 500 open tasks, on PostgreSQL.

Server time of the real page (Django's test client, so no network, every
middleware included) and its query count; in the same run, the naive way:
every open task of the rep loaded and filtered in Python, each task's record
and each handoff's deadline fetched as the template reads them (the page
rendered by the same view and template, `tasks.day.rep_day` swapped).

Data: 20 reps with 500 open tasks each (10,000 tasks, plus 2,000 done), the
measured rep's spread from 30 days ago to 60 days ahead (about a third due by
today), 20 claimed handoffs with their SLA deadlines, 10 deals closing this
month and 50 notifications.
"""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta

from bench._django import describe, percentile, setup

REPS = int(os.environ.get("BENCH_REPS", "20"))
OPEN_TASKS = int(os.environ.get("BENCH_OPEN_TASKS", "500"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "40"))
TARGET_P95_MS = 150


def generate() -> None:
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction
    from django.utils import timezone

    from crm.models import Company, Deal, Lead
    from handoff import sla
    from handoff.models import Handoff, Notification
    from tasks.models import Task

    rng = random.Random(19)  # nosec B311  # benchmark data, not security
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE tasks_task, tasks_reminder, handoff_notification, handoff_sladeadline, "
            "handoff_handoff, crm_deal, crm_lead, crm_company RESTART IDENTITY CASCADE"
        )
    sales = Group.objects.get(name="sales")
    now = timezone.now()
    with transaction.atomic():
        reps = []
        for i in range(REPS):
            rep, _created = User.objects.get_or_create(username=f"bench-rep-{i}")
            rep.groups.add(sales)
            reps.append(rep)
        companies = Company.objects.bulk_create(
            [Company(name=f"株式会社ベンチ{i}", key=f"bench{i}") for i in range(200)]
        )
        leads = Lead.objects.bulk_create(
            [
                Lead(
                    family_name="山田",
                    given_name=f"太郎{i}",
                    email=f"bench{i}@example.jp",
                    company=companies[i % len(companies)],
                    owner=reps[i % REPS],
                )
                for i in range(2000)
            ]
        )
        tasks = []
        for n, rep in enumerate(reps):
            for j in range(OPEN_TASKS + 100):
                on_lead = j % 2 == 0
                tasks.append(
                    Task(
                        title=f"Call back {j}",
                        due_at=now + timedelta(minutes=rng.randint(-30 * 24 * 60, 60 * 24 * 60)),
                        assignee=rep,
                        created_by=rep,
                        lead=leads[(n * 97 + j) % len(leads)] if on_lead else None,
                        company=None if on_lead else companies[j % len(companies)],
                        done_at=now if j >= OPEN_TASKS else None,
                    )
                )
        Task.objects.bulk_create(tasks, batch_size=2000)
        rep = reps[0]
        for lead in leads[:20]:
            handoff = Handoff.objects.create(
                lead=lead, status=Handoff.Status.CLAIMED, claimed_by=rep, claimed_at=now
            )
            sla.open_first_touch_deadline(handoff)
            Notification.objects.create(recipient=rep, handoff=handoff, kind="assigned")
        today = timezone.localdate()
        Deal.objects.bulk_create(
            [
                Deal(lead=leads[i], name=f"Deal {i}", owner=rep, amount=1000000, close_date=today)
                for i in range(10)
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def naive_rep_day(user, *, tomorrow, month):  # type: ignore[no-untyped-def]
    """The obvious way: everything open loaded, filtered in Python, and every
    related row fetched when the template reads it."""
    from django.utils import timezone

    from crm.models import Deal
    from handoff.models import Handoff, Notification, SlaDeadline
    from tasks.day import RepDay
    from tasks.models import Reminder, Task

    now = timezone.now()
    due = [
        t for t in Task.objects.filter(assignee=user, done_at__isnull=True) if t.due_at < tomorrow
    ]
    handoffs = list(Handoff.objects.filter(claimed_by=user, status__in=Handoff.WORKED))
    for handoff in handoffs:
        handoff.first_touch_due = (  # type: ignore[attr-defined]
            handoff.deadlines.filter(kind=SlaDeadline.Kind.FIRST_TOUCH, settled_at__isnull=True)
            .values_list("due_at", flat=True)
            .first()
        )
    deals = [
        d
        for d in Deal.objects.filter(owner=user, status=Deal.Status.OPEN)
        if d.expected_close_date and month[0] <= d.expected_close_date < month[1]
    ]
    return RepDay(
        handoffs=handoffs,
        tasks=sorted(due, key=lambda t: t.due_at),
        overdue_count=sum(t.due_at < now for t in due),
        today_count=sum(t.due_at >= now for t in due),
        deals=deals,
        notifications=list(Notification.objects.filter(recipient=user)[:5]),
        reminders=list(Reminder.objects.filter(recipient=user)[:5]),
        now=now,
    )


def measure(client, label: str) -> tuple[list[float], list[float], int]:  # type: ignore[no-untyped-def]
    from django.db import connection

    times, cpu, counted = [], [], [0]

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        counted[0] += 1
        return execute(sql, params, many, context)

    for _ in range(REPEAT):
        counted[0] = 0
        with connection.execute_wrapper(count):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get("/tasks/day/")
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, label  # nosec B101  # a benchmark sanity check
    return times, cpu, counted[0]


def run() -> None:
    setup("baton_bench_my_day")
    from django.contrib.auth.models import User
    from django.test import Client

    from tasks import day

    started = time.perf_counter()
    generate()
    print(
        f"generated {REPS} reps x {OPEN_TASKS} open tasks in {time.perf_counter() - started:.0f} s"
    )
    client = Client()
    client.force_login(User.objects.get(username="bench-rep-0"))
    start = time.perf_counter()
    client.get("/tasks/day/")
    print(
        f"first request (templates compiled): {(time.perf_counter() - start) * 1000:.0f} ms, not counted"
    )
    # The floor: the same page for a rep with nothing at all (the page's frame,
    # session, permissions), to read the figures against on a busy machine.
    empty = Client()
    empty.force_login(User.objects.get_or_create(username="bench-rep-empty")[0])
    User.objects.get(username="bench-rep-empty").groups.add(
        *User.objects.get(username="bench-rep-0").groups.all()
    )
    rows = [("empty My day (floor)", *measure(empty, "floor"))]
    rows.append(("baton", *measure(client, "baton")))
    real = day.rep_day
    day.rep_day = naive_rep_day  # type: ignore[assignment]
    try:
        measure(client, "naive warm-up")
        rows.append(("naive", *measure(client, "naive")))
    finally:
        day.rep_day = real  # type: ignore[assignment]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"{'My day, 500 open tasks':<22} {'p50 (ms)':>9} {'p95 (ms)':>9} "
        f"{'CPU p50':>8} {'CPU p95':>8} {'queries':>8}"
    )
    for label, times, cpu, queries in rows:
        print(
            f"{label:<22} {percentile(times, 50):>9.1f} {percentile(times, 95):>9.1f} "
            f"{percentile(cpu, 50):>8.1f} {percentile(cpu, 95):>8.1f} {queries:>8}"
        )
    for label, times, _cpu, _queries in rows:
        print(f"{label}: {describe(times)}")
    p95 = percentile(rows[1][1], 95)
    print(
        f"target p95 < {TARGET_P95_MS} ms: {'met' if p95 < TARGET_P95_MS else 'NOT met'} ({p95:.1f} ms)"
    )
