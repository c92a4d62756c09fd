"""50 reps claim the same handoff at once, 20 rounds, on PostgreSQL.

Each rep is its own process with its own connection, as 50 requests to
gunicorn workers would be (threads in one process would measure the GIL).
Baton's claim against the naive read-then-save, in the same run: winners per
round (must be exactly 1) and the latency each rep sees.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections import Counter
from typing import Any

from bench._django import describe, percentile, setup

REPS = 50
ROUNDS = 20


def _claim_in_child(mode: str, pk: int, rep_id: int, barrier: Any, out: Any) -> None:
    from django.contrib.auth.models import User
    from django.db import connection

    from handoff.models import Handoff

    handoff = Handoff.objects.get(pk=pk)  # also opens this process's connection
    rep = User.objects.get(pk=rep_id)
    barrier.wait()
    start = time.perf_counter()
    won = CLAIMS[mode](handoff, rep)
    out.put((won, (time.perf_counter() - start) * 1000))
    connection.close()


def baton_claim(handoff: Any, rep: Any) -> bool:
    from handoff import services

    return services.claim_handoff(handoff, rep=rep)


def naive_claim(handoff: Any, rep: Any) -> bool:
    from django.db import transaction

    from handoff.models import Handoff

    with transaction.atomic():
        fresh = Handoff.objects.get(pk=handoff.pk)
        if fresh.status != Handoff.Status.QUEUED:
            return False
        fresh.status, fresh.claimed_by = Handoff.Status.CLAIMED, rep
        fresh.save(update_fields=["status", "claimed_by"])
        return True


CLAIMS = {"baton": baton_claim, "naive": naive_claim}


def run() -> None:
    setup()
    from django.contrib.auth.models import Group, User
    from django.db import connections

    from crm.models import Lead
    from handoff.models import Handoff

    sales = Group.objects.get(name="sales")
    rep_ids = []
    for i in range(REPS):
        rep, created = User.objects.get_or_create(username=f"bench-rep-{i}")
        if created:
            rep.groups.add(sales)
        rep_ids.append(rep.pk)

    ctx = mp.get_context("fork")
    for mode, label in [
        ("baton", "baton (SKIP LOCKED + conditional UPDATE)"),
        ("naive", "naive (read, then save)"),
    ]:
        winners: Counter[int] = Counter()
        latencies: list[float] = []
        for _ in range(ROUNDS):
            lead = Lead.objects.create(
                family_name="bench", email=f"claim-{time.time_ns()}@bench.example"
            )
            pk = Handoff.objects.create(lead=lead).pk
            connections.close_all()  # children must not share the parent's socket
            barrier, out = ctx.Barrier(REPS), ctx.Queue()
            procs = [
                ctx.Process(target=_claim_in_child, args=(mode, pk, rid, barrier, out))
                for rid in rep_ids
            ]
            for p in procs:
                p.start()
            results = [out.get(timeout=60) for _ in procs]
            for p in procs:
                p.join()
            winners[sum(won for won, _ in results)] += 1
            latencies += [took for _, took in results]
        rounds = ", ".join(
            f"{n} winner(s) in {count} rounds" for n, count in sorted(winners.items())
        )
        print(f"{label}: {rounds}")
        print(f"  latency per claim: {describe(latencies)}")
        if mode == "baton":
            ok = set(winners) == {1} and percentile(latencies, 99) < 200
            print(f"  target (exactly one winner, p99 < 200 ms): {'met' if ok else 'NOT met'}")
    Lead.objects.filter(email__endswith="@bench.example").delete()
