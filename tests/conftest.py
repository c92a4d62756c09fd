"""Personas and the real services the suite runs against.

Without DATABASE_URL / CELERY_BROKER_URL the suite runs on SQLite with tasks
in-process, and tests marked `services` are skipped. With them (as in CI) those
tests run against PostgreSQL, Redis and a real Celery worker process; with
BATON_REQUIRE_SERVICES=1 a missing service fails the test instead of skipping.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from hypothesis import settings as hypothesis_settings

from config.celery import app as celery_app
from crm.models import Campaign

# Property tests judge results, not speed: a busy 2-core CI machine must not
# fail them on hypothesis' per-example deadline.
hypothesis_settings.register_profile("baton", deadline=None)
hypothesis_settings.load_profile("baton")

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("BATON_REQUIRE_SERVICES") == "1"


def services_missing() -> str | None:
    """Why the real services cannot be used, or None when they can."""
    if connection.vendor != "postgresql":
        return "DATABASE_URL does not point at PostgreSQL"
    if not settings.CELERY_BROKER_URL:
        return "CELERY_BROKER_URL is not set"
    return None


def skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"BATON_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _services_marker(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("services"):
        reason = services_missing()
        if reason:
            skip_or_fail(reason)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Fixtures of the tests that talk to the broker or a worker on purpose.
BROKER_FIXTURES = {"celery_worker", "private_redis", "in_process_tasks"}


@pytest.fixture(autouse=True)
def _tasks_stay_in_transactional_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that commits (transactional database, live server) and does not
    ask for the worker runs its tasks in process. Otherwise the session's
    worker, once started by another test, would take the events it commits
    while its teardown empties the tables: a deadlock, or a task on the next
    test's data."""
    marker = request.node.get_closest_marker("django_db")
    commits = "live_server" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )
    if not commits or BROKER_FIXTURES & set(request.fixturenames):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def in_process_tasks() -> Iterator[None]:
    """Tasks run in this process as they are queued (as under `make run`),
    whether or not a broker is configured."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def make_user(username: str, role: str | None, **extra: Any) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "pw", **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def marketer(db: None) -> User:
    """Runs campaigns; sees every lead; cannot claim handoffs or see KPIs."""
    return make_user("marketer", "marketer", first_name="Hanako", last_name="Sato")


@pytest.fixture
def rep(db: None) -> User:
    """A sales rep: sees the queue, leads waiting for sales and their own leads."""
    return make_user("rep", "sales", first_name="Taro", last_name="Suzuki")


@pytest.fixture
def other_rep(db: None) -> User:
    """Another sales rep: must not see or work `rep`'s claimed leads."""
    return make_user("other_rep", "sales", first_name="Ken", last_name="Tanaka")


@pytest.fixture
def manager(db: None) -> User:
    """Sees everything and the KPI dashboard; does not claim."""
    return make_user("manager", "manager", first_name="Yuki", last_name="Takahashi")


@pytest.fixture
def campaign(marketer: User) -> Campaign:
    return Campaign.objects.create(
        name="Spring webinar", channel="webinar", utm_code="spring", owner=marketer
    )


@pytest.fixture
def client_as(client: Any) -> Callable[[User], Any]:
    def login(user: User) -> Any:
        client.force_login(user)
        return client

    return login


# --- Real services ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    predicate: Callable[[], Any], *, timeout: float = 15.0, interval: float = 0.05
) -> Any:
    """Poll until `predicate()` is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


def worker_database_url() -> str:
    s = connection.settings_dict
    host, port = s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{host}:{port}/{s['NAME']}"


@contextmanager
def use_broker(url: str) -> Iterator[None]:
    """Point this process's Celery publisher at another broker for a while."""
    previous = celery_app.conf.broker_url

    def reset_pools() -> None:
        # Drop, not close: kombu keeps pools in a registry keyed by URL, and a
        # closed one would be handed out again when the URL is used again.
        celery_app._pool = None  # type: ignore[attr-defined]
        celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]

    # Celery reads CELERY_BROKER_URL from the environment before its own conf.
    previous_env = os.environ.get("CELERY_BROKER_URL")
    reset_pools()
    celery_app.conf.broker_url = os.environ["CELERY_BROKER_URL"] = url  # type: ignore[misc]
    try:
        yield
    finally:
        reset_pools()
        celery_app.conf.broker_url = previous  # type: ignore[misc]
        if previous_env is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = previous_env


class WorkerProcess:
    """A real `celery worker` process on its own queue, against the test database."""

    def __init__(self, broker_url: str, queue: str) -> None:
        self.broker_url, self.queue = broker_url, queue
        self.name = f"{queue}@localhost"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = ROOT / "test-artifacts" / f"{queue}.log"

    def start(self) -> None:
        self.log.parent.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_QUEUE": self.queue,
        }
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-l",
            "INFO",
            "-P",
            "prefork",
            "-c",
            "2",
            "-Q",
            self.queue,
            "-n",
            self.name,
            "--without-gossip",
            "--without-mingle",
        ]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        with use_broker(self.broker_url):
            wait_until(
                lambda: celery_app.control.ping(destination=[self.name], timeout=0.5), timeout=30
            )

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


# Everything this test session publishes goes to a queue of its own, so that a
# worker started by `make up` never takes a message about the test database.
TEST_QUEUE = f"baton-test-{os.getpid()}"


@pytest.fixture(scope="session", autouse=True)
def _test_queue() -> Iterator[None]:
    celery_app.conf.task_default_queue = TEST_QUEUE
    yield
    if settings.CELERY_BROKER_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.client.delete(TEST_QUEUE)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None) -> Iterator[WorkerProcess]:
    """One real worker process for the session, on the session's queue."""
    reason = services_missing()
    if reason:
        skip_or_fail(reason)
    worker = WorkerProcess(settings.CELERY_BROKER_URL, TEST_QUEUE)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


class PrivateRedis:
    """A throwaway redis-server on a free port, so a test may stop and start it
    without touching the machine's shared Redis."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
            ],
            check=True,
            capture_output=True,
        )
        wait_until(self.is_up, timeout=10)

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True
        )
        wait_until(lambda: not self.is_up(), timeout=10)

    def is_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if services_missing():
        skip_or_fail(services_missing() or "")
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        if redis.is_up():
            redis.stop()


def scheduled_retries(monkeypatch: pytest.MonkeyPatch, task: Any) -> list[dict[str, Any]]:
    """Record the retries `task` schedules (as a worker would, not eagerly)."""
    scheduled: list[dict[str, Any]] = []

    def retry(**options: Any) -> Retry:
        scheduled.append(options)
        return Retry("retry scheduled", when=options.get("countdown"))

    monkeypatch.setattr(task, "retry", retry)
    return scheduled


@pytest.fixture
def unreachable_cache(settings: Any) -> Iterator[None]:
    """The shared cache is a Redis that does not answer (nothing listens on
    its port), as when `make up`'s Redis is stopped; this process starts out
    not knowing it."""
    with redis_cache(settings, f"redis://127.0.0.1:{free_port()}/1"):
        yield


@contextmanager
def redis_cache(settings: Any, url: str) -> Iterator[None]:
    """The shared cache on the Redis at `url` for a while; then the suite's
    own again (before the autouse fixture empties it)."""
    from web import shared_cache

    previous = settings.CACHES
    settings.CACHES = {
        "default": {
            # What settings make of a redis:// CACHE_URL.
            "BACKEND": "web.shared_cache.FallbackRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
    shared_cache.forget()
    try:
        yield
    finally:
        settings.CACHES = previous
        shared_cache.forget()
