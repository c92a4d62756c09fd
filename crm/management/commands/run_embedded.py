"""Serve Baton with no external service: the development server plus the
periodic jobs of CELERY_BEAT_SCHEDULE run in-process (tasks are eager)."""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def run_periodic_jobs(stop: threading.Event) -> None:
    """A tiny beat: run each scheduled task in this process when it is due."""
    schedule: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
    next_run = dict.fromkeys(schedule, 0.0)
    while not stop.wait(1.0):
        now = time.monotonic()
        for name, entry in schedule.items():
            if now < next_run[name]:
                continue
            every = entry["schedule"]
            next_run[name] = now + (
                every.total_seconds() if isinstance(every, timedelta) else float(every)
            )
            try:
                current_app.tasks[entry["task"]].apply()
            except Exception:
                logger.exception("periodic job %s failed", name)
            finally:
                close_old_connections()


class Command(BaseCommand):
    help = "Run the development server with periodic jobs in-process (the `make run` default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            self.stderr.write(
                "A broker is configured: run `make up` for the worker and beat instead."
            )
        stop = threading.Event()
        # Django's autoreloader runs the server in a child process (RUN_MAIN);
        # only that process runs the jobs.
        if os.environ.get("RUN_MAIN") == "true" and settings.CELERY_TASK_ALWAYS_EAGER:
            threading.Thread(target=run_periodic_jobs, args=(stop,), daemon=True).start()
        try:
            call_command("runserver", options["addrport"])
        finally:
            stop.set()
