"""Serve Baton with no external service: the development server plus the
periodic jobs of CELERY_BEAT_SCHEDULE run in-process (tasks are eager)."""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import Task, current_app
from celery.schedules import schedule as celery_schedule
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def scheduled_tasks() -> dict[str, Task[Any, Any]]:
    """Each entry of CELERY_BEAT_SCHEDULE with its task, the apps' tasks
    modules imported first as a worker imports them at start (autodiscovery
    is lazy: a job whose module nothing else imported would not be found)."""
    current_app.loader.import_default_modules()
    entries: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
    return {name: current_app.tasks[entry["task"]] for name, entry in entries.items()}


def run_periodic_jobs(stop: threading.Event) -> None:
    """A tiny beat: run each scheduled task in this process when it is due."""
    entries: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
    tasks = scheduled_tasks()
    schedules = {
        name: celery_schedule(entry["schedule"])
        if isinstance(entry["schedule"], timedelta)
        else entry["schedule"]
        for name, entry in entries.items()
    }
    for sched in schedules.values():
        sched.app = current_app
    # As celery beat does on a fresh start: jobs run every so often are due at
    # once (the KPI rollups are there on the first look), daily ones at their hour.
    started = datetime.now(tz=UTC)
    last_run = {
        name: started - entry["schedule"] if isinstance(entry["schedule"], timedelta) else started
        for name, entry in entries.items()
    }
    while not stop.wait(1.0):
        for name in entries:
            due, _next = schedules[name].is_due(last_run[name])
            if not due:
                continue
            last_run[name] = datetime.now(tz=UTC)
            try:
                tasks[name].apply()
            except Exception:
                logger.exception("periodic job %s failed", name)
            finally:
                close_old_connections()


def default_addrport() -> str:
    host = settings.BATON_HOST
    return f"[{host}]:{settings.BATON_PORT}" if ":" in host else f"{host}:{settings.BATON_PORT}"


class Command(BaseCommand):
    help = "Run the development server with periodic jobs in-process (the `make run` default)."

    def add_arguments(self, parser: CommandParser) -> None:
        # HOST and PORT (settings.BATON_HOST/BATON_PORT) by default: the links
        # in emails (settings.BATON_BASE_URL) are built from the same two.
        parser.add_argument("addrport", nargs="?", default="")

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
            call_command("runserver", options["addrport"] or default_addrport())
        finally:
            stop.set()
