"""`make run`'s embedded default, SQLite, serves every role's pages.

The suite runs on PostgreSQL when DATABASE_URL says so (CI does), which never
exercises SQL that only PostgreSQL speaks. Here a child process migrates a
fresh SQLite file, loads the demo, signs each demo person in (their session
naming Baton's backend, as a password sign-in does) and follows every link
from home, one page of each URL shape."""

from __future__ import annotations

import os
import re
import subprocess  # nosec B404  # this project's own manage.py, fixed argv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PAGES = """
import re

import django
django.setup()
from django.contrib.auth.models import User
from django.test import Client

# Links not to follow: signing out, files, the API, and what changes data.
SKIP = re.compile(
    r"^/(logout|static|admin|api/|i18n|favicon)|\\.(ics|csv|json)$|/export|/delete/|/erase/"
)

for name in ("marketer", "rep", "manager"):
    client = Client(raise_request_exception=False)
    # The backend a password sign-in records in the session (axes stands first).
    client.force_login(
        User.objects.get(username=name), backend="accounts.backends.OneQueryPermissionsBackend"
    )
    # Every page the person can reach by following links from home, one URL
    # of each shape (/crm/leads/N/ once, whatever N).
    shapes, queue = set(), ["/"]
    while queue:
        url = queue.pop(0)
        shape = re.sub(r"\\d+", "N", url.split("?")[0])
        if shape in shapes:
            continue
        shapes.add(shape)
        response = client.get(url, follow=True)
        assert response.status_code in (200, 403), (name, url, response.status_code)
        print(name, url, response.status_code)
        if response.status_code == 200 and "html" in response["Content-Type"]:
            for href in re.findall(r'href="(/[^"#]*)"', response.content.decode()):
                if not SKIP.search(href.split("?")[0]):
                    queue.append(href.replace("&amp;", "&"))
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
    assert pages.stdout.count(" 200") >= 100, pages.stdout
    for page in (r"/deals/board/", r"/kpi/", r"/tasks/day/", r"/crm/leads/\d+/", r"/sales/queue/"):
        assert re.search(rf"^\w+ {page} 200$", pages.stdout, re.MULTILINE), page
