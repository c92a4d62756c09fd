"""`make up`'s stack as a test starts it: scripts/up.sh (supervisord running
gunicorn, a Celery worker and Celery beat) on a free port, against a
database and a Redis of the test's own, configured as `make up` configures
it (production settings on plain http, the cache on the broker's Redis,
next database)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

from config.celery import app as celery_app
from tests.conftest import ROOT, free_port, use_broker, wait_until

PROGRAMS = {"web": "gunicorn", "worker": " worker ", "beat": " beat "}
# What the developer's shell or the test session may have set, that `make up`
# would otherwise take from them instead of its own defaults.
NOT_INHERITED = (
    "CACHE_URL", "REDIS_URL", "CELERY_QUEUE", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "WEB_CONCURRENCY", "LOG_LEVEL",
)  # fmt: skip


class ServedStack:
    def __init__(self, *, database_url: str, broker_url: str, run_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.broker_url = broker_url
        self.run_dir = run_dir
        self.log = ROOT / "test-artifacts" / f"faults-stack-{self.port}.log"
        self.env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        self.env.update(
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=broker_url,
            PORT=str(self.port),
            BATON_RUN_DIR=str(run_dir),
            **env,
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until gunicorn is ready and the worker answers."""
        self.log.parent.mkdir(exist_ok=True)
        with self.log.open("ab") as log:
            # Its own session, as a terminal's foreground job: only what the
            # test sends reaches supervisord (up.sh execs it: same pid).
            self.proc = subprocess.Popen(
                ["bash", "scripts/up.sh"], cwd=ROOT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        wait_until(lambda: self.get("/readyz") == 200 or self._exited(), timeout=180, interval=0.5)
        assert not self._exited(), self.log.read_text(errors="replace")[-3000:]
        wait_until(lambda: self.worker_answers() and "beat" in self.programs(), timeout=90)

    def _exited(self) -> bool:
        return self.proc is None or self.proc.poll() is not None

    def get(self, path: str, timeout: float = 2) -> int:
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return 0

    def worker_answers(self) -> bool:
        with use_broker(self.broker_url):
            return bool(celery_app.control.ping(timeout=1))

    def programs(self) -> dict[str, int]:
        """The process id of each program supervisord runs now."""
        assert self.proc is not None
        found = {}
        for pid in _children(self.proc.pid):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            for name, marker in PROGRAMS.items():
                if marker in f" {command} ":
                    found[name] = pid
        return found

    def processes(self) -> set[int]:
        """supervisord and everything under it."""
        assert self.proc is not None
        found, todo = set(), [self.proc.pid]
        while todo:
            pid = todo.pop()
            if Path(f"/proc/{pid}").exists():
                found.add(pid)
                todo += _children(pid)
        return found

    def interrupt(self, *, timeout: float = 120) -> float:
        """Ctrl-C: SIGINT to supervisord, as a terminal sends it. Returns the
        seconds until supervisord exited, every process of the stack with it."""
        assert self.proc is not None
        before = self.processes()
        started = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=timeout)
        took = time.monotonic() - started
        wait_until(lambda: not any(_alive(pid) for pid in before), timeout=10)
        return took

    def kill(self) -> None:
        """Whatever is left (a failed test): every process of the stack."""
        if self.proc is None or self._exited():
            return
        for pid in self.processes():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in path.read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
