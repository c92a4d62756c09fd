"""`make run`'s embedded default, SQLite, serves every role's pages.

The suite runs on PostgreSQL when DATABASE_URL says so (CI does), which never
exercises SQL that only PostgreSQL speaks. Here a child process migrates a
fresh SQLite file, loads the demo, signs each demo person in (their session
naming Baton's backend, as a password sign-in does) and opens their pages."""

from __future__ import annotations

import os
import subprocess  # nosec B404  # this project's own manage.py, fixed argv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PAGES = """
import django
django.setup()
from django.contrib.auth.models import User
from django.test import Client

for name in ("marketer", "rep", "manager"):
    client = Client()
    # The backend a password sign-in records in the session (axes stands first).
    client.force_login(
        User.objects.get(username=name), backend="accounts.backends.OneQueryPermissionsBackend"
    )
    for url in ("/", "/crm/leads/", "/crm/companies/", "/deals/", "/tasks/day/", "/kpi/"):
        status = client.get(url, follow=True).status_code
        assert status in (200, 403), (name, url, status)
        print(name, url, status)
"""


def test_the_embedded_sqlite_database_serves_every_role(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings",
        ALLOWED_HOSTS="testserver",
        BATON_REQUIRE_SERVICES="0",
        LOG_LEVEL="ERROR",
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, capture_output=True)  # nosec B603
    pages = subprocess.run(  # nosec B603
        [sys.executable, "-c", PAGES], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert pages.returncode == 0, pages.stderr[-3000:]
    assert pages.stdout.count(" 200") >= 12
