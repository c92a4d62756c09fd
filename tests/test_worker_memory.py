"""A Celery pool child gives the memory a task freed back to the system.

glibc's malloc returns freed memory on its own only from the top of its heap:
a task's peak freed below a block still in use stayed in the pool child's
resident size, which grew with each new peak while its memory in use stayed
flat (the soak, bench/README.md). After each task the worker calls
malloc_trim (config/celery.py, WORKER_MALLOC_TRIM).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings

from config import celery as celery_config


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def task(*, eager: bool) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


@pytest.fixture
def trims(monkeypatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(celery_config, "_malloc_trim", calls.append)
    return calls


def test_the_worker_trims_after_each_task(trims, settings):
    settings.BATON_WORKER_MALLOC_TRIM = True
    celery_config.return_freed_memory(sender=task(eager=False))
    celery_config.return_freed_memory(sender=task(eager=False))
    assert trims == [0, 0]


def test_not_for_a_task_run_in_process_nor_when_turned_off(trims, settings):
    settings.BATON_WORKER_MALLOC_TRIM = True
    celery_config.return_freed_memory(sender=task(eager=True))
    settings.BATON_WORKER_MALLOC_TRIM = False
    celery_config.return_freed_memory(sender=task(eager=False))
    assert trims == []


@pytest.mark.skipif(celery_config._malloc_trim is None, reason="not glibc")
def test_malloc_trim_returns_memory_freed_below_a_block_in_use():
    # 100 MiB in blocks under glibc's mmap threshold (so on its heap), one
    # block kept at the top: freeing the rest leaves the heap where it was.
    blocks = [bytearray(64 * 1024) for _ in range(1600)]
    kept = blocks[-1]
    del blocks
    before = rss_mib()
    celery_config._malloc_trim(0)
    after = rss_mib()
    assert len(kept) == 64 * 1024
    assert before - after > 50, f"RSS {before:.1f} -> {after:.1f} MiB"


@pytest.mark.services
def test_a_pool_child_is_replaced_after_its_share_of_tasks(monkeypatch, django_db_setup):
    """WORKER_MAX_TASKS_PER_CHILD, read by a real worker: its pool children
    are new processes after each has run that many tasks, and every task ran."""
    from config.celery import app
    from crm.tasks import relay_outbox
    from tests.conftest import WorkerProcess, services_missing, skip_or_fail, use_broker, wait_until

    if reason := services_missing():
        skip_or_fail(reason)
    monkeypatch.setenv("WORKER_MAX_TASKS_PER_CHILD", "2")
    worker = WorkerProcess(settings.CELERY_BROKER_URL, f"baton-test-recycle-{os.getpid()}")
    worker.start()
    try:
        with use_broker(settings.CELERY_BROKER_URL):

            def stats() -> Any:
                answer = app.control.inspect(destination=[worker.name], timeout=2).stats() or {}
                return answer.get(worker.name, {})

            def children() -> set[int]:
                return set(stats().get("pool", {}).get("processes", []))

            def ran() -> int:
                return int(stats().get("total", {}).get(relay_outbox.name, 0))

            first = children()
            assert len(first) == 2
            for _ in range(8):
                relay_outbox.apply_async(queue=worker.queue)
            wait_until(lambda: ran() == 8, timeout=60)
            wait_until(lambda: len(children()) == 2 and not (children() & first), timeout=30)
    finally:
        worker.stop()
