"""A company page of 1,000 people and 10,000 activities, on PostgreSQL.

Server time of the real company page (Django's test client, so no network,
every middleware included) for a manager (who sees every person, deal and
handoff), and its query count for a company of 100 people and 1,000
activities and for one of 1,000 and 10,000 in the same run: it must not
grow (the run fails if it does). In the same run, the naive way: every person
and every activity of the company rendered, each row's score, company, lead
and campaign fetched as the template reads it (the page rendered by the same
view and template, `crm.views_people.company_page` swapped).

Data: the two companies above and an empty one (the floor), 30 deals and 30 handoffs each, and 50 other
companies with 5,000 people and 20,000 activities around them.
"""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta
from typing import Any

from bench._django import describe, percentile, setup

PEOPLE = int(os.environ.get("BENCH_COMPANY_PEOPLE", "1000"))
ACTIVITIES_PER_PERSON = 10
REPEAT = int(os.environ.get("BENCH_REPEAT", "40"))
TARGET_P95_MS = 150


def generate() -> dict[str, int]:
    """The companies measured, by name: {"empty": pk, "small": pk, "large": pk}
    (the empty one is the floor: the page's frame, session and permissions)."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.utils import timezone

    from crm.models import Activity, Campaign, Company, Deal, Lead, LeadScore
    from handoff.models import Handoff

    rng = random.Random(18)  # nosec B311  # benchmark data, not security
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE crm_activity, handoff_handoff, crm_deal, crm_lead, crm_company "
            "RESTART IDENTITY CASCADE"
        )
    now = timezone.now()
    owner, _created = User.objects.get_or_create(username="bench-company-owner")
    campaign = Campaign.objects.get_or_create(name="ベンチ展示会", defaults={"owner": owner})[0]
    sizes = {"empty": 0, "small": PEOPLE // 10, "large": PEOPLE}
    with transaction.atomic():
        measured = {label: Company.objects.create(name=f"株式会社ベンチ{label}") for label in sizes}
        others = Company.objects.bulk_create(
            [Company(name=f"株式会社周辺{i}", key=f"shuhen{i}") for i in range(50)]
        )
        people: list[Lead] = []
        for label, size in sizes.items():
            people += [_person(f"{label}{n}", measured[label]) for n in range(size)]
        people += [_person(f"other{n}", others[n % len(others)]) for n in range(5000)]
        Lead.objects.bulk_create(people, batch_size=2000)
        LeadScore.objects.bulk_create(
            [
                LeadScore(lead=p, fit=rng.randint(0, 50), engagement=rng.randint(0, 80))
                for p in people
            ],
            batch_size=2000,
        )
        activities = []
        for n, person in enumerate(people):
            count = ACTIVITIES_PER_PERSON if n < PEOPLE + PEOPLE // 10 else 4
            activities += [
                Activity(
                    lead=person,
                    kind=rng.choice(["page_view", "email_open", "form_submit", "call"]),
                    occurred_at=now - timedelta(minutes=rng.randint(0, 365 * 24 * 60)),
                    campaign=campaign if j % 3 == 0 else None,
                )
                for j in range(count)
            ]
        Activity.objects.bulk_create(activities, batch_size=5000)
        for company in measured.values():
            staff = [p for p in people if p.company_id == company.pk][:30]
            if not staff:
                continue
            Deal.objects.bulk_create(
                [
                    Deal(
                        lead=p,
                        company=company,
                        name=f"案件 {p.given_name}",
                        amount=1_000_000,
                        owner=owner,
                    )
                    for p in staff
                ]
            )
            Handoff.objects.bulk_create([Handoff(lead=p) for p in staff])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"generated {len(people):,} people and {len(activities):,} activities "
        f"({PEOPLE:,} people and {PEOPLE * ACTIVITIES_PER_PERSON:,} activities in the large company)"
    )
    return {label: company.pk for label, company in measured.items()}


def _person(suffix: str, company: Any) -> Any:
    from crm.models import Lead

    return Lead(
        family_name="山田",
        given_name=suffix,
        email=f"{suffix}@bench.example.jp",
        reading_key=f"ヤマダ{suffix}",
        company=company,
    )


def naive_company_page(request: Any, company: Any) -> dict[str, Any]:
    """The obvious way: every person and every activity of the company on the
    page, and each row's related rows fetched when the template reads them."""
    from django.core.paginator import Paginator
    from django.db.models import Q

    from crm import history
    from crm.models import Activity, Deal, Lead
    from handoff.models import Handoff

    visible = Lead.objects.visible_to(request.user).filter(company=company)
    people = list(visible)
    activities = list(Activity.objects.filter(lead__in=visible).order_by("-occurred_at"))
    return {
        "company": company,
        "people_page": Paginator(people, max(len(people), 1)).get_page(1),
        "activities_page": Paginator(activities, max(len(activities), 1)).get_page(1),
        "changes": history.field_changes(company),
        "may_edit": True,
        "deals": Deal.objects.filter(Q(company=company) | Q(lead__in=visible)).order_by("-pk"),
        "handoffs": Handoff.objects.filter(lead__in=visible).order_by("-pk"),
    }


def measure(client: Any, url: str, repeat: int) -> tuple[list[float], int]:
    from django.db import connection

    times, counted = [], [0]

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        counted[0] += 1
        return execute(sql, params, many, context)

    for _ in range(repeat):
        counted[0] = 0
        with connection.execute_wrapper(count):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return times, counted[0]


def run() -> None:
    setup("baton_bench_company")
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.urls import reverse

    from crm import views_people

    started = time.perf_counter()
    companies = generate()
    print(f"in {time.perf_counter() - started:.0f} s")
    manager, _created = User.objects.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name="manager"))
    client = Client()
    client.force_login(manager)
    urls = {label: reverse("crm:company_detail", args=[pk]) for label, pk in companies.items()}
    measure(client, urls["large"], 1)  # templates compiled, not counted
    floor, floor_queries = measure(client, urls["empty"], REPEAT)
    small, small_queries = measure(client, urls["small"], REPEAT)
    large, large_queries = measure(client, urls["large"], REPEAT)
    real = views_people.company_page
    views_people.company_page = naive_company_page  # type: ignore[assignment]
    try:
        naive_small, naive_small_queries = measure(client, urls["small"], 3)
        naive_large, naive_large_queries = measure(client, urls["large"], 3)
    finally:
        views_people.company_page = real  # type: ignore[assignment]
    print(f"load average (1, 5, 15 min): {os.getloadavg()} on {os.cpu_count()} cores")
    head = f"{'company page':<44} {'p50 (ms)':>9} {'p95 (ms)':>9} {'queries':>8}"
    print(head)
    small_label = f"{PEOPLE // 10:,} people / {PEOPLE:,} activities"
    large_label = f"{PEOPLE:,} people / {PEOPLE * ACTIVITIES_PER_PERSON:,} activities"
    for label, times, queries in (
        ("empty company (floor)", floor, floor_queries),
        (f"baton, {small_label}", small, small_queries),
        (f"baton, {large_label}", large, large_queries),
        (f"naive, {small_label}", naive_small, naive_small_queries),
        (f"naive, {large_label}", naive_large, naive_large_queries),
    ):
        print(
            f"{label:<44} {percentile(times, 50):>9.1f} {percentile(times, 95):>9.1f} {queries:>8}"
        )
    print(f"baton, large: {describe(large)}")
    print(f"naive, large: {describe(naive_large)}")
    p95 = percentile(large, 95)
    print(
        f"target p95 < {TARGET_P95_MS} ms: {'met' if p95 < TARGET_P95_MS else 'NOT met'} ({p95:.1f} ms)"
    )
    if small_queries != large_queries:
        raise SystemExit(
            f"the company page's query count grew with its data: {small_queries} -> {large_queries}"
        )
