"""What crm_leadreading's triggers cost a write, at 1,000,000 leads.

Creating a lead the way every path does (`Lead.objects.create`: its row, its
LeadScore) and renaming one (`save(update_fields=...)`, which rewrites the
reading and the search key), each timed with the triggers on and, in the same
run, alternating, with them switched off (`ALTER TABLE … DISABLE TRIGGER`),
inside a transaction that is rolled back: the benchmark's data stays as
bench_lead_list generated it (database baton_bench_leads, shared with it).
"""

from __future__ import annotations

import itertools
import os
import time

from bench._django import percentile, setup

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
PER_ROUND = 50
TRIGGERS = ("crm_leadreading_insert_delete", "crm_leadreading_update")
_serial = itertools.count()


class Rollback(Exception):
    pass


def timed_writes(*, triggers: bool) -> tuple[list[float], list[float]]:
    from django.db import connection, transaction

    from crm.models import Lead

    creates, renames = [], []
    try:
        with transaction.atomic():
            if not triggers:
                with connection.cursor() as cursor:
                    for name in TRIGGERS:
                        cursor.execute(f"ALTER TABLE crm_lead DISABLE TRIGGER {name}")
            for _ in range(PER_ROUND):
                n = next(_serial)
                start = time.perf_counter()
                lead = Lead.objects.create(
                    family_name="佐藤", given_name="花子", family_name_kana="サトウ",
                    given_name_kana="ハナコ", email=f"bench-write-{n}@example.jp",
                )  # fmt: skip
                creates.append((time.perf_counter() - start) * 1000)
                lead.family_name, lead.family_name_kana = "山田", "ヤマダ"
                start = time.perf_counter()
                lead.save(update_fields=["family_name", "family_name_kana"])
                renames.append((time.perf_counter() - start) * 1000)
            raise Rollback
    except Rollback:
        pass
    return creates, renames


def run() -> None:
    setup("baton_bench_leads")
    from crm.models import Lead

    print(
        f"{Lead.objects.count():,} leads; {ROUNDS} rounds of {PER_ROUND} creates and renames each way"
    )
    results: dict[bool, tuple[list[float], list[float]]] = {True: ([], []), False: ([], [])}
    timed_writes(triggers=True)  # warm-up
    for _ in range(ROUNDS):
        for triggers in (True, False):
            creates, renames = timed_writes(triggers=triggers)
            results[triggers][0].extend(creates)
            results[triggers][1].extend(renames)
    for triggers, (creates, renames) in results.items():
        label = "with the triggers" if triggers else "triggers off (before)"
        print(
            f"{label:<24} create p50 {percentile(creates, 50):.2f} / p95 {percentile(creates, 95):.2f} ms;"
            f" rename p50 {percentile(renames, 50):.2f} / p95 {percentile(renames, 95):.2f} ms"
        )
