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


def _fresh_process(code: str, **environment: str) -> str:
    """Run `code` after django.setup() in a new interpreter, with `environment`
    instead of the test session's HOST, PORT and BASE_URL."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **environment}
    for name in (
        "CELERY_BROKER_URL",
        *(n for n in ("HOST", "PORT", "BASE_URL") if n not in environment),
    ):
        env.pop(name, None)
    done = subprocess.run(  # this interpreter, fixed code
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


LINKS = (
    "from django.conf import settings\n"
    "from nurture.sending import absolute, tracked_url\n"
    "from handoff.notify import absolute_url\n"
    "from crm.management.commands.run_embedded import default_addrport\n"
    "print(settings.BATON_BASE_URL)\n"
    "print(absolute('/nurture/unsubscribe/x/'))\n"
    "print(tracked_url('nurture:open', 'tok'))\n"
    "print(absolute_url('/crm/leads/1/'))\n"
    "print(default_addrport())\n"
)


def test_port_moves_the_server_the_login_address_and_every_emailed_link():
    """`PORT=8101 make run` printed "Log in at http://127.0.0.1:8000/" and the
    emails' links pointed at port 8000: one source for both now."""
    base, unsubscribe, tracking, lead, addrport = _fresh_process(LINKS, PORT="8101").split()
    assert base == "http://127.0.0.1:8101"
    assert unsubscribe.startswith("http://127.0.0.1:8101/nurture/")
    assert tracking.startswith("http://127.0.0.1:8101/nurture/")
    assert lead == "http://127.0.0.1:8101/crm/leads/1/"
    assert addrport == "127.0.0.1:8101"


def test_base_url_wins_when_it_is_set():
    base, _unsubscribe, _tracking, lead, addrport = _fresh_process(
        LINKS, PORT="8101", BASE_URL="https://crm.example.com/"
    ).split()
    assert base == "https://crm.example.com"
    assert lead == "https://crm.example.com/crm/leads/1/"
    assert addrport == "127.0.0.1:8101"


def test_a_wildcard_host_gives_links_to_the_loopback_address():
    base = _fresh_process(LINKS, HOST="0.0.0.0", PORT="8102").split()[0]  # nosec B104  # the case under test
    assert base == "http://127.0.0.1:8102"


def test_the_demo_seed_prints_the_address_the_server_listens_on(settings, marketer):
    from io import StringIO

    from django.core.management import call_command

    settings.BATON_BASE_URL = "http://127.0.0.1:8101"
    out = StringIO()
    call_command("seed_demo", stdout=out)  # the marketer exists: only the logins are printed
    assert "Log in at http://127.0.0.1:8101/ as one of" in out.getvalue()


def test_make_run_hands_host_and_port_to_both_commands():
    done = subprocess.run(  # make, dry run: prints the commands only
        ["make", "-n", "run", "PORT=8101"], cwd=ROOT, capture_output=True, text=True
    )
    lines = [
        line
        for line in done.stdout.splitlines()
        if "manage.py seed_demo" in line or "manage.py run_embedded" in line
    ]
    assert len(lines) == 2, done.stdout
    assert all("PORT=8101" in line for line in lines)
