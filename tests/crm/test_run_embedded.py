"""`make run`'s in-process beat: jobs that run every so often start at once."""

from __future__ import annotations

import os
import subprocess  # nosec B404  # a fresh interpreter, fixed code
import sys
import threading
from datetime import timedelta

from celery import shared_task
from celery.schedules import crontab

from crm.management.commands.run_embedded import run_periodic_jobs
from tests.conftest import ROOT

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


def test_every_scheduled_job_is_found_in_a_fresh_process():
    """As `make run` starts: no test has imported the apps' tasks modules
    there (the KPI rollups' were missing once, so the dashboard stayed empty)."""
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from crm.management.commands.run_embedded import scheduled_tasks\n"
        "assert sorted(scheduled_tasks()) == sorted(settings.CELERY_BEAT_SCHEDULE)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("CELERY_BROKER_URL", None)
    done = subprocess.run(  # this interpreter, fixed code
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
