"""Activity ingest through the REST API, through real processes (the API issue's benchmark).

gunicorn serves the app and a `celery worker` (with `celery beat` for the
outbox sweep) scores behind it, against a PostgreSQL database and a Redis
database of this benchmark's own. A client with a marketer's token posts
batches of 1,000 activities (`POST /api/v1/activities/batch/`, each with an
external id, over several keep-alive connections) for 5,000 leads; the figures
are the ingest rate (activities answered and committed per second of posting)
and the drain rate (activities scored per second from the first request until
the scoring backlog is empty, handoffs included). Sending one batch again
records nothing (idempotent by external id) and is checked.

The naive way, in the same run: the same kind of activities posted one per
request (`POST /api/v1/activities/`) over the same connections.

Environment: BENCH_INGEST_BATCHES (10 batches of 1,000), BENCH_INGEST_SINGLES
(1,000 single POSTs; 0 skips the naive run), BENCH_INGEST_CONNECTIONS (4),
BENCH_WEB_WORKERS / BENCH_WEB_THREADS (gunicorn gthread, 2 × 4),
BENCH_WORKER_CONCURRENCY (2), BENCH_INGEST_DATABASE_URL, BENCH_INGEST_BROKER_URL.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import bench_handoff_latency as stack
from bench._django import describe, setup

BATCHES = int(os.environ.get("BENCH_INGEST_BATCHES", "10"))
BATCH_SIZE = 1000
SINGLES = int(os.environ.get("BENCH_INGEST_SINGLES", "1000"))
CONNECTIONS = int(os.environ.get("BENCH_INGEST_CONNECTIONS", "4"))
LEADS = 5000
DATABASE_URL = os.environ.get(
    "BENCH_INGEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/baton_bench_api"
)
BROKER_URL = os.environ.get("BENCH_INGEST_BROKER_URL", "redis://127.0.0.1:6379/3")
# Mostly page views and downloads, some form submits: a few leads cross the
# threshold and are handed off while the backlog drains.
KINDS = ["page_view"] * 6 + ["download"] * 2 + ["email_click", "form_submit"]
TARGET_PER_SECOND = 1000.0


@dataclass
class Phase:
    label: str
    unit: int  # activities per request
    requests: list[tuple[float, int]] = field(default_factory=list)  # (seconds, status)
    activities: int = 0
    ingest_seconds: float = 0.0
    drain_seconds: float = 0.0
    unscored: int = 0
    handoffs: int = 0
    recorded: int = 0
    cores: dict[str, float] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per activity, until drained


def run() -> None:
    _use_own_services()
    setup()
    from config.celery import app

    app.conf.task_default_queue = stack.QUEUE
    try:
        with tempfile.TemporaryDirectory(prefix="baton-bench-ingest-") as run_dir:
            env = _stack_env()
            with stack.running_stack(env, Path(run_dir) / "stack") as (port, pids):
                key, lead_ids = _prepare()
                _send(port, key, _batch_bodies(lead_ids, "warm", 2, BATCH_SIZE), "batch/")
                _wait_until_scored(timeout=120)
                batch = _measure(
                    Phase(f"Baton: batches of {BATCH_SIZE:,}", BATCH_SIZE),
                    port, key, pids, _batch_bodies(lead_ids, "b", BATCHES, BATCH_SIZE), "batch/",
                )  # fmt: skip
                again = _send(port, key, _batch_bodies(lead_ids, "b", 1, BATCH_SIZE), "batch/")
                _report(batch)
                print(f"  the first batch sent again: {again[1]} (created, already known)")
                if SINGLES:
                    naive = _measure(
                        Phase("naive: one activity per POST", 1),
                        port, key, pids, _single_bodies(lead_ids, "s", SINGLES), "",
                    )  # fmt: skip
                    _report(naive)
                    ratio = _rate(batch.activities, batch.ingest_seconds) / _rate(
                        naive.activities, naive.ingest_seconds
                    )
                    print(f"  batches ingest {ratio:.0f}× the naive rate")
    finally:
        _forget_queue()


def _use_own_services() -> None:
    name = DATABASE_URL.rsplit("/", 1)[1]
    if name in {"baton", "baton_bench"} or name.startswith("test_"):
        raise SystemExit(f"bench_api_ingest needs a database of its own, not {name}")
    os.environ.update(
        DATABASE_URL=DATABASE_URL, CELERY_BROKER_URL=BROKER_URL, CELERY_QUEUE=stack.QUEUE
    )


def _stack_env() -> dict[str, str]:
    return stack.served_env(
        database_url=DATABASE_URL,
        broker_url=BROKER_URL,
        queue=stack.QUEUE,
        # Throttling counts in the cache, shared by gunicorn's workers; raised
        # so that the benchmark measures ingest, not 429s.
        CACHE_URL=BROKER_URL,
        API_THROTTLE_USER="1000000/minute",
    )


def _prepare() -> tuple[str, list[int]]:
    """Empty tables, LEADS leads with their score rows, a marketer's token.
    The policy routes to the open queue; form submits (20 points) hand a lead
    off at the usual engagement threshold."""
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from api import tokens
    from crm.models import Lead, LeadScore
    from handoff.models import HandoffPolicy

    with connection.cursor() as cur:
        cur.execute("TRUNCATE crm_lead, crm_outboxevent RESTART IDENTITY CASCADE")
    HandoffPolicy.current()
    HandoffPolicy.objects.filter(pk=1).update(
        routing=HandoffPolicy.Routing.OPEN_QUEUE, chat_webhook_url=""
    )
    marketer, _ = User.objects.get_or_create(username="bench-ingest")
    marketer.groups.add(Group.objects.get(name="marketer"))
    leads = Lead.objects.bulk_create(
        Lead(family_name="ベンチ", given_name=str(i), email=f"ingest{i}@bench.example")
        for i in range(LEADS)
    )
    LeadScore.objects.bulk_create(LeadScore(lead=lead) for lead in leads)
    return tokens.create_token(marketer, name=f"bench {time.time()}")[1], [
        lead.pk for lead in leads
    ]


def _batch_bodies(lead_ids: list[int], tag: str, count: int, size: int) -> list[bytes]:
    bodies = []
    for b in range(count):
        items = [
            {
                "lead": lead_ids[(b * size + i) % len(lead_ids)],
                "kind": KINDS[i % len(KINDS)],
                "details": {"url": f"/products/{i % 50}"},
                "external_id": f"{tag}-{b}-{i}",
            }
            for i in range(size)
        ]
        bodies.append(json.dumps({"activities": items}).encode())
    return bodies


def _single_bodies(lead_ids: list[int], tag: str, count: int) -> list[bytes]:
    return [
        json.dumps(
            {
                "lead": lead_ids[i % len(lead_ids)],
                "kind": KINDS[i % len(KINDS)],
                "details": {"url": f"/products/{i % 50}"},
                "external_id": f"{tag}-{i}",
            }
        ).encode()
        for i in range(count)
    ]


def _measure(
    phase: Phase, port: int, key: str, pids: dict[str, int], bodies: list[bytes], path: str
) -> Phase:
    from crm.models import Activity
    from handoff.models import Handoff

    before_count = Activity.objects.count()
    handoffs_before = Handoff.objects.count()
    cpu_before, began = stack._cpu_seconds(pids), time.monotonic()
    phase.requests, _ = _send(port, key, bodies, path)
    phase.ingest_seconds = time.monotonic() - began
    cpu_after = stack._cpu_seconds(pids)
    phase.cores = {
        k: (cpu_after[k] - cpu_before[k]) / phase.ingest_seconds
        for k in ("gunicorn", "worker", "postgres", "machine busy")
    }
    phase.activities = phase.unit * sum(1 for _took, status in phase.requests if status < 300)
    phase.unscored = _wait_until_scored(timeout=900)
    phase.drain_seconds = time.monotonic() - began
    drained = stack._cpu_seconds(pids)
    phase.cpu_ms = {
        k: (drained[k] - cpu_before[k]) * 1000 / max(phase.activities, 1)
        for k in ("gunicorn", "worker", "postgres")
    }
    phase.recorded = Activity.objects.count() - before_count
    phase.handoffs = Handoff.objects.count() - handoffs_before
    return phase


def _send(
    port: int, key: str, bodies: list[bytes], path: str
) -> tuple[list[tuple[float, int]], tuple[int, int]]:
    """POST every body from CONNECTIONS keep-alive connections, as fast as
    they are answered. Returns (seconds, status) per request and the batch
    counts (created, already known) summed."""
    todo: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    for body in bodies:
        todo.put(body)
    done: list[tuple[float, int]] = []
    counts = Counter[str]()
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", "Authorization": f"Token {key}"}

    def sender() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            try:
                body = todo.get_nowait()
            except queue.Empty:
                break
            began = time.monotonic()
            status, answer = _post(conn, f"/api/v1/activities/{path}", body, headers)
            with lock:
                done.append((time.monotonic() - began, status))
                if isinstance(answer, dict) and "created" in answer:
                    counts.update(created=answer["created"], known=answer["already_known"])
        conn.close()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done, (counts["created"], counts["known"])


def _post(
    conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, Any]:
    for _attempt in range(2):
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return response.status, json.loads(data) if data else None
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()  # an idle keep-alive connection closed: once more on a new one
        except (OSError, http.client.HTTPException, ValueError):
            conn.close()
            return 0, None
    return 0, None


def _wait_until_scored(*, timeout: float) -> int:
    from crm.models import Activity

    deadline = time.monotonic() + timeout
    while left := Activity.objects.filter(scored_at__isnull=True).count():
        if time.monotonic() > deadline:
            return left
        time.sleep(0.1)
    return 0


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else 0.0


def _report(phase: Phase) -> None:
    statuses = Counter(status for _took, status in phase.requests)
    ingest = _rate(phase.activities, phase.ingest_seconds)
    drain = _rate(phase.activities, phase.drain_seconds)
    print(f"{phase.label}: {len(phase.requests):,} requests over {CONNECTIONS} connections")
    print(
        f"  answers: {dict(statuses)}; per request {describe([t * 1000 for t, _ in phase.requests])}"
    )
    print(
        f"  ingest: {phase.activities:,} activities in {phase.ingest_seconds:.1f} s = "
        f"{ingest:,.0f} activities/s"
        + (f" (target ≥ {TARGET_PER_SECOND:,.0f}/s: {'met' if ingest >= TARGET_PER_SECOND else 'NOT met'})"
           if phase.unit > 1 else "")
    )  # fmt: skip
    print(
        f"  scoring drained {phase.drain_seconds:.1f} s after the first request = "
        f"{drain:,.0f} activities/s scored; left unscored {phase.unscored}; "
        f"handoffs made {phase.handoffs}; rows recorded {phase.recorded:,}"
    )
    print(
        "  CPU while posting, in cores: "
        + ", ".join(f"{k} {v:.2f}" for k, v in phase.cores.items())
        + f" (of {os.cpu_count()})"
    )
    print(
        "  CPU per activity, until all were scored: "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in phase.cpu_ms.items())
    )


def _forget_queue() -> None:
    """Delete this run's queue from the broker's Redis database (its name is this run's own)."""
    import redis

    client: Any = redis.Redis.from_url(BROKER_URL)
    for key in client.scan_iter(match=f"*{stack.QUEUE}*"):
        client.delete(key)
    client.close()
