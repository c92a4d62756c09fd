"""PostgreSQL restarted (fast shutdown, then start) under continuous writes.

The whole stack runs against a throwaway cluster of its own: gunicorn serving
the capture endpoint, a Celery worker, a private Redis. Two visitors post
captures without pause, each with a new email that crosses the threshold on
its own (so every write is a handoff to make), while the cluster restarts.

- Every acknowledged capture (202) is in the database after the restart: one
  lead each, scored once, handed off once, each rep notified and emailed once.
- Requests fail only while the cluster is down (the web processes' persistent
  connections are checked before use, CONN_HEALTH_CHECKS, and replaced).
- Events whose task died with its connection are published again by the
  outbox sweep (run by the worker, as beat would ask it to) and applied once.
- Scoring does not stall: the running activity drain rides out the lost
  connection and takes the captures that arrive after the restart within
  a second or two (a drain that died with its connection kept its Redis
  flag up, and nothing drained for about 10 s until it expired).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
import pytest

from crm import tasks as crm_tasks
from tests.conftest import ROOT, TEST_QUEUE, free_port, wait_until
from tests.faults.conftest import PrivatePostgres, drained

pytestmark = [
    pytest.mark.services,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SETUP = """
from django.contrib.auth.models import Group, User
from crm.models import Campaign
from handoff.models import HandoffPolicy

def user(name, group):
    created = User.objects.create_user(name, f"{name}@example.com", "pw")
    created.groups.add(Group.objects.get(name=group))
    return created

marketer = user("marketer", "marketer")
user("rep", "sales"); user("other_rep", "sales"); user("manager", "manager")
HandoffPolicy.current()
HandoffPolicy.objects.update(engagement_threshold=20, notify_by_email=True)
campaign = Campaign.objects.create(
    name="Restart", channel="webinar", utm_code="restart", owner=marketer
)
print(campaign.capture_key)
"""


@dataclass
class Visitors:
    """Visitors posting captures in threads; what was acknowledged, what failed, when."""

    url: str
    acked: list[tuple[float, str]] = field(default_factory=list)
    failed: list[tuple[float, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def post(self, email: str) -> None:
        body = json.dumps({"email": email, "family_name": "再起動"}).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                ok = response.status == 202
        except (urllib.error.URLError, OSError) as error:
            ok, reason = False, str(error)
        else:
            reason = "" if ok else f"status {response.status}"
        (self.acked if ok else self.failed).append((time.monotonic(), email if ok else reason))

    def run(self, name: str) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            self.post(f"{name}-{n}@example.jp")

    @contextmanager
    def posting(self, visitors: int = 2) -> Iterator[None]:
        threads = [threading.Thread(target=self.run, args=(f"v{i}",)) for i in range(visitors)]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            self.stop.set()
            for thread in threads:
                thread.join(timeout=30)

    def acked_after(self, moment: float) -> int:
        return sum(1 for at, _email in self.acked if at > moment)


def drained_since(cluster: PrivatePostgres, moment: float) -> tuple[int, float]:
    """Activity events written after `moment` (a Unix time): how many wait,
    and the longest any of them waited before a drain claimed it (seconds)."""
    with psycopg.connect(cluster.dsn) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE processed_at IS NULL),"
            " coalesce(extract(epoch FROM max(coalesce(processed_at, now()) - created_at)), 0)"
            " FROM crm_outboxevent WHERE topic = 'activity.recorded'"
            " AND created_at >= to_timestamp(%s)",
            [moment],
        )
        waiting, longest = cursor.fetchone()  # type: ignore[misc]
    conn.close()
    return int(waiting), float(longest)


def unprocessed(cluster: PrivatePostgres) -> int:
    with psycopg.connect(cluster.dsn) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM crm_outboxevent WHERE processed_at IS NULL")
        (count,) = cursor.fetchone()  # type: ignore[misc]
    conn.close()
    return int(count)


@pytest.fixture
def web(private_postgres: PrivatePostgres, broker) -> Iterator[str]:
    """gunicorn serving Baton against the private cluster; its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": private_postgres.url,
        "CELERY_BROKER_URL": broker.url,
        "CELERY_QUEUE": TEST_QUEUE,
        "CAPTURE_PER_IP_PER_MINUTE": "100000",
        "CAPTURE_PER_KEY_PER_MINUTE": "100000",
    }
    log = ROOT / "test-artifacts" / "faults-gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    cmd += ["--workers", "2", "--no-control-socket", "--error-logfile", "-"]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_until(up, timeout=30, interval=0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_every_acknowledged_capture_survives_a_postgres_restart_under_load(
    private_postgres, broker, web, start_worker, mail_dir
):
    cluster = private_postgres
    key = cluster.run_python(SETUP).strip().splitlines()[-1]
    start_worker(
        broker.url,
        name="faults-restart",
        database_url=cluster.url,
        env={"OUTBOX_REPUBLISH_SECONDS": "2"},
    )
    visitors = Visitors(f"{web}/capture/{key}/")

    with visitors.posting():
        wait_until(lambda: len(visitors.acked) >= 20, timeout=30)
        down = time.monotonic()
        cluster.restart()
        up, up_wall = time.monotonic(), time.time()
        wait_until(lambda: visitors.acked_after(up) >= 20, timeout=30)
    # Before any sweep: the drain that was running takes them itself.
    wait_until(lambda: drained_since(cluster, up_wall)[0] == 0, timeout=30, interval=0.2)
    stall = drained_since(cluster, up_wall)[1]
    assert stall < 2, f"captures after the restart waited {stall:.1f} s to be scored"

    def settled() -> bool:
        # Beat asks the worker to sweep the outbox (every 10 s in production).
        crm_tasks.relay_outbox.delay()
        return unprocessed(cluster) == 0 and drained(broker.url)

    wait_until(settled, timeout=90, interval=1)

    late = [(round(at - up, 2), reason) for at, reason in visitors.failed if at > up + 20]
    assert not late, f"requests failed long after the restart: {late}"
    assert all(at >= down for at, _reason in visitors.failed), visitors.failed
    accepted = {email: 1 for _at, email in visitors.acked}
    args = json.dumps({"accepted": accepted, "exact": False, "mail_dir": str(mail_dir)})
    found = cluster.run_python("from tests.faults.invariants import main; main()", stdin=args)
    assert json.loads(found) == []
    print(  # the figures, for the report (-s shows them)
        f"restart {up - down:.2f} s; scoring stalled {stall:.2f} s after it; "
        f"{len(visitors.acked)} acknowledged, "
        f"{len(visitors.failed)} failed: {sorted({r for _at, r in visitors.failed})}"
    )
