"""Real processes for the fault tests: Celery workers that can be killed (and run
with a skewed clock), a private Redis, a private PostgreSQL cluster, a mailbox
the workers write to, and the beat the test plays itself.

Nothing here stops or restarts the machine's shared PostgreSQL or Redis: the
services a test breaks are its own copies, started on free ports.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from config.celery import app as celery_app
from crm import outbox
from crm.models import Campaign, OutboxEvent
from handoff.models import HandoffPolicy
from tests.conftest import (
    ROOT,
    TEST_QUEUE,
    PrivateRedis,
    free_port,
    skip_or_fail,
    use_broker,
    wait_until,
    worker_database_url,
)
from tests.faults.stack import ServedStack

FAKETIME_LIBRARY = next(iter(glob.glob("/usr/lib/*/faketime/libfaketime.so.1")), None)


class FaultWorker:
    """A `celery worker` process group on the test queue of a private broker.

    Its own session (process group), so that `kill()` takes the pool children
    down with the main process, as a crash of the machine's worker would.
    """

    def __init__(
        self,
        broker_url: str,
        *,
        name: str,
        database_url: str | None = None,
        concurrency: int = 2,
        env: dict[str, str] | None = None,
    ) -> None:
        self.broker_url = broker_url
        self.name = f"{name}@localhost"
        self.database_url = database_url or worker_database_url()
        self.concurrency = concurrency
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = ROOT / "test-artifacts" / f"faults-{name}.log"

    def start(self) -> None:
        self.log.parent.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_QUEUE": TEST_QUEUE,
            **self.env,
        }
        cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO"]
        cmd += ["-P", "prefork", "-c", str(self.concurrency), "-Q", TEST_QUEUE, "-n", self.name]
        cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        with use_broker(self.broker_url):
            wait_until(self.ping, timeout=40)

    def ping(self) -> bool:
        return bool(celery_app.control.ping(destination=[self.name], timeout=0.5))

    def running_task_pids(self) -> list[int]:
        """The pool children running a task now (asked of the worker itself)."""
        with use_broker(self.broker_url):
            active = celery_app.control.inspect(destination=[self.name], timeout=1).active()
        return [task["worker_pid"] for task in (active or {}).get(self.name, [])]

    def consume(self, on: bool) -> None:
        """Start or stop taking messages from the test queue (remote control)."""
        with use_broker(self.broker_url):
            control = celery_app.control
            change = control.add_consumer if on else control.cancel_consumer
            replies = change(TEST_QUEUE, destination=[self.name], reply=True, timeout=5)
        assert replies, f"{self.name} did not answer"

    def children(self) -> set[int]:
        assert self.proc is not None
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return {int(pid) for pid in path.read_text().split()} if path.exists() else set()

    def kill(self) -> None:
        """SIGKILL the whole worker: main process and pool children."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        wait_until(lambda: not _group_alive(self.proc.pid), timeout=10)  # type: ignore[union-attr]

    def stop(self) -> None:
        """A warm shutdown, bounded: whatever is left after 20 s is killed."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=20)
        if _group_alive(self.proc.pid):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def start_worker(mail_dir: Path) -> Iterator[Callable[..., FaultWorker]]:
    """Start fault workers (emails go to the test's mailbox); all are stopped
    at teardown, however the test ends."""
    started: list[FaultWorker] = []

    def start(broker_url: str, *, name: str = "faults", **kwargs: Any) -> FaultWorker:
        env = {"EMAIL_URL": f"filemail:///{mail_dir}", **kwargs.pop("env", {})}
        worker = FaultWorker(broker_url, name=name, env=env, **kwargs)
        started.append(worker)
        worker.start()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def broker(private_redis: PrivateRedis, settings: Any) -> Iterator[PrivateRedis]:
    """This process publishes to a private Redis for the whole test; the beat
    (played by `relay_until_done`) republishes a lost event after 2 s instead
    of a minute, and the capture endpoint takes a burst from one address."""
    settings.BATON_CAPTURE_PER_IP_PER_MINUTE = 100_000
    settings.BATON_OUTBOX_REPUBLISH_AFTER = timedelta(seconds=2)
    with use_broker(private_redis.url):
        yield private_redis


@pytest.fixture
def open_queue(campaign: Campaign, rep: User, other_rep: User, manager: User) -> Campaign:
    """Two reps told of every handoff in the open queue, a manager told of
    breaches; two form submits (20 points each) cross the threshold."""
    HandoffPolicy.objects.filter(pk=1).update(engagement_threshold=40, notify_by_email=True)
    return campaign


def capture(client: Client, campaign: Campaign, email: str) -> int:
    """POST the capture form as a visitor would; the status code."""
    response = client.post(
        reverse("capture", args=[campaign.capture_key]), {"email": email, "family_name": "山田"}
    )
    return int(response.status_code)


def relay_until_done(*, timeout: float = 60) -> None:
    """Play Celery beat's outbox sweep every half second until every event is
    processed (bounded)."""

    def done() -> bool:
        if not OutboxEvent.objects.filter(processed_at__isnull=True).exists():
            return True
        outbox.relay_pending()
        return False

    wait_until(done, timeout=timeout, interval=0.5)


def lock_waiters(dsn: str) -> int:
    """Sessions of the database waiting for a row lock."""
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        (count,) = cursor.fetchone()  # type: ignore[misc]
    conn.close()
    return int(count)


@contextmanager
def rows_locked(query: str, params: list[Any], dsn: str | None = None) -> Iterator[str]:
    """Hold the rows `query` selects locked (FOR UPDATE, from another session,
    as a long report or a slow transaction would) so that a worker that needs
    them stops mid-task. Yields the DSN to watch with `lock_waiters`."""
    dsn = dsn or worker_database_url()
    conn = psycopg.connect(dsn)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"{query} FOR UPDATE", params)
        yield dsn
    finally:
        conn.rollback()
        conn.close()


def scores_locked(*lead_ids: int) -> AbstractContextManager[str]:
    """The leads' score rows locked: a worker scoring one of them stops
    mid-task, its event claimed and its activity marked scored, uncommitted."""
    return rows_locked("SELECT 1 FROM crm_leadscore WHERE lead_id = ANY(%s)", [list(lead_ids)])


def drained(broker_url: str) -> bool:
    """Nothing left in the test queue, nothing delivered and not acknowledged."""
    client = redis.Redis.from_url(broker_url)
    return client.llen(TEST_QUEUE) == 0 and client.hlen("unacked") == 0


# --- A throwaway PostgreSQL cluster -----------------------------------------------


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary directory on a free port, with the
    test schema migrated, that a test may restart at will. PostgreSQL refuses
    to run as root: as root (CI) it runs as the `postgres` OS user."""

    def __init__(self) -> None:
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version)
        if not versions:
            skip_or_fail("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
        self.bin = Path(versions[-1]).parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="baton-faults-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/baton_faults_private"
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=baton_faults_private"

    def _run(self, *args: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=timeout)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        self.start()
        conn = psycopg.connect(self.dsn.replace("baton_faults_private", "postgres"))
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute("CREATE DATABASE baton_faults_private")
        finally:
            conn.close()
        env = {**os.environ, "DATABASE_URL": self.url}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
            "-o", options, "-w", "-t", "30", action, *extra,
        )  # fmt: skip

    def start(self) -> None:
        self.pg_ctl("start")

    def restart(self) -> None:
        """A fast restart: sessions are cut, committed work is kept."""
        self.pg_ctl("restart", "-m", "fast")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_python(self, code: str, stdin: str = "") -> str:
        """Run Python with Django set up against this cluster; its stdout."""
        env = {**os.environ, "DATABASE_URL": self.url, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup()\n{code}"],
            cwd=ROOT, env=env, input=stdin, text=True, capture_output=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout


def _version(path: str) -> float:
    try:
        return float(Path(path).parts[-3])
    except ValueError:
        return 0.0


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def faketime() -> str:
    """The libfaketime library to preload (Debian's `faketime` package)."""
    if FAKETIME_LIBRARY is None:
        skip_or_fail("libfaketime is not installed (Debian package `faketime`)")
    assert FAKETIME_LIBRARY is not None
    return FAKETIME_LIBRARY


@pytest.fixture
def served_stack(
    private_postgres: PrivatePostgres, broker: PrivateRedis, mail_dir: Path, tmp_path: Path
) -> Iterator[Callable[..., ServedStack]]:
    """Start `make up`'s stack (scripts/up.sh) against the throwaway cluster
    and the private Redis, `env` on top; whatever is left is killed at
    teardown."""
    started: list[ServedStack] = []

    def start(**env: str) -> ServedStack:
        stack = ServedStack(
            database_url=private_postgres.url,
            broker_url=broker.url,
            run_dir=tmp_path / f"run{len(started)}",
            EMAIL_URL=f"filemail:///{mail_dir}",
            **env,
        )
        started.append(stack)
        stack.start()
        return stack

    yield start
    for stack in started:
        stack.kill()
