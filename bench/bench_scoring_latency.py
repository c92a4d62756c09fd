"""Scoring latency of one new activity through a real Celery worker.

Each activity is recorded as ingest records it (a row and its outbox event in
one transaction, published after commit) to Redis; a `celery worker` process
scores it and rescores its lead. The figure is the time from commit to the
activity's `scored_at` being visible, at about 20 activities a second. The
way it replaces, relaying the outbox by the periodic sweep alone, would wait
for the sweep's period (10 s) on top.
"""

from __future__ import annotations

import os
import subprocess  # nosec B404  # starts the worker process under test, fixed argv
import sys
import time
from pathlib import Path

from bench._django import describe, setup

COUNT = int(os.environ.get("BENCH_LATENCY_COUNT", "200"))
QUEUE = f"bench-latency-{os.getpid()}"


def run() -> None:
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    os.environ["CELERY_QUEUE"] = QUEUE
    setup()
    from django.db import connection

    from config.celery import app
    from crm import services as crm
    from crm.models import Activity, Lead, LeadScore

    app.conf.task_default_queue = QUEUE
    env = {**os.environ, "CELERY_QUEUE": QUEUE}
    root = Path(__file__).resolve().parent.parent
    worker = subprocess.Popen(  # nosec B603  # fixed argv (this interpreter, celery), no shell
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "WARNING", "-c", "2", "-Q", QUEUE,
         "-n", f"{QUEUE}@localhost", "--without-gossip", "--without-mingle"],
        cwd=root, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[f"{QUEUE}@localhost"], timeout=0.5):
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not start")
        if not Lead.objects.exists():
            created = Lead.objects.bulk_create(
                Lead(family_name="bench", email=f"lat{i}@bench.example") for i in range(COUNT)
            )
            LeadScore.objects.bulk_create(LeadScore(lead=lead) for lead in created)
        leads = list(Lead.objects.order_by("pk").values_list("pk", flat=True)[:COUNT])
        latencies = []
        for lead_id in leads:
            activity, _ = crm.record_activity(Lead(pk=lead_id), kind=Activity.Kind.DOWNLOAD)
            committed = time.perf_counter()
            while not Activity.objects.filter(pk=activity.pk, scored_at__isnull=False).exists():
                time.sleep(0.001)
            latencies.append((time.perf_counter() - committed) * 1000)
            connection.close_if_unusable_or_obsolete()
            time.sleep(0.05)  # about 20 a second
        print(f"activity committed -> scored by the worker: {describe(latencies)}")
        print("  (the outbox sweep alone would take up to its 10 s period plus the 5 s grace)")
    finally:
        worker.terminate()
        worker.wait(timeout=20)
