"""`make run`'s in-process beat: jobs that run every so often start at once."""

from __future__ import annotations

import threading
from datetime import timedelta

from celery import shared_task
from celery.schedules import crontab

from crm.management.commands.run_embedded import run_periodic_jobs

RAN: list[str] = []


@shared_task(name="tests.embedded_probe")
def probe(label: str = "") -> None:
    RAN.append(label)


def test_interval_jobs_run_at_start_and_daily_ones_wait_for_their_hour(settings):
    RAN.clear()
    settings.CELERY_BEAT_SCHEDULE = {
        "often": {"task": "tests.embedded_probe", "schedule": timedelta(minutes=1)},
        "nightly": {"task": "tests.embedded_probe", "schedule": crontab(hour=2, minute=30)},
    }
    stop = threading.Event()
    beat = threading.Thread(target=run_periodic_jobs, args=(stop,))
    beat.start()
    try:
        for _ in range(50):
            if RAN:
                break
            stop.wait(0.1)
    finally:
        stop.set()
        beat.join(timeout=5)
    assert RAN == [""]  # the one-minute job once, at start; not the nightly one
