"""Why a form submit costs more in-process than over HTTP (issue 21).

The same JSON capture (`POST /capture/<key>/`, a new lead each time) through
Django's test client in this process, two ways in one run, alternating:

- tasks in-process (`make run`'s embedded default, no broker: Celery's
  eager mode), where asking for the outbox drain runs the drain itself inside
  the request: scoring the activity (and a handoff when it crosses);
- a broker (`make up`): the request only asks for a drain (one Redis round
  trip) and a worker does the rest, out of the request's time.

Database `baton_bench_capture`; Redis db 13 as the broker (its queue emptied
after). `BENCH_CAPTURES` (100 per way).
"""

from __future__ import annotations

import json
import os
import time

from bench._django import percentile, setup

CAPTURES = int(os.environ.get("BENCH_CAPTURES", "100"))
BROKER = os.environ.get("BENCH_CAPTURE_BROKER", "redis://127.0.0.1:6379/13")
QUEUE = "bench-capture-inprocess"


def run() -> None:
    os.environ["CELERY_BROKER_URL"] = BROKER
    os.environ["CELERY_QUEUE"] = QUEUE
    os.environ.setdefault("CAPTURE_PER_IP_PER_MINUTE", "1000000")
    os.environ.setdefault("CAPTURE_PER_KEY_PER_MINUTE", "1000000")
    setup("baton_bench_capture")
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from config.celery import app
    from crm.models import Campaign

    owner, _ = User.objects.get_or_create(username="bench-owner")
    campaign, _ = Campaign.objects.get_or_create(
        utm_code="bench-capture",
        defaults={"name": "Bench capture", "channel": "web", "owner": owner},
    )
    client = Client(enforce_csrf_checks=False)
    url = f"/capture/{campaign.capture_key}/"
    serial = time.time_ns()

    def submit() -> tuple[float, float, int]:
        nonlocal serial
        serial += 1
        body = json.dumps(
            {"email": f"c{serial}@example.jp", "family_name": "山田", "consent": False}
        )
        with CaptureQueriesContext(connection) as ctx:
            start, cpu = time.perf_counter(), time.process_time()
            response = client.post(url, data=body, content_type="application/json")
            wall, cpu = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
        assert response.status_code in (200, 201, 202), response.content  # nosec B101  # a benchmark sanity check
        return wall, cpu, len(ctx.captured_queries)

    results: dict[str, list[tuple[float, float, int]]] = {"in-process tasks": [], "broker": []}
    for mode in results:  # warm-up of both paths
        app.conf.task_always_eager = mode == "in-process tasks"
        submit()
    for _ in range(CAPTURES):
        for mode, found in results.items():
            app.conf.task_always_eager = mode == "in-process tasks"
            found.append(submit())
    app.conf.task_always_eager = False
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(QUEUE)  # type: ignore[attr-defined]
    print(f"{'tasks':<20} {'wall p50 / p95 (ms)':>22} {'CPU p50 (ms)':>13} {'queries':>8}")
    for mode, found in results.items():
        walls, cpus, queries = zip(*found, strict=True)
        print(
            f"{mode:<20} {percentile(walls, 50):>10.1f} / {percentile(walls, 95):<9.1f}"
            f" {percentile(cpus, 50):>13.1f} {max(queries):>8}"
        )
