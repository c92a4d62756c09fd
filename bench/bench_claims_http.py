"""50 reps claim the same handoff at once over HTTP, against the served stack.

`bench_claims` times the claim service; this times the served request: the
htmx POST a rep's "Claim" button sends, through gunicorn as `make up` runs it
(config/gunicorn.py, production settings: DEBUG off, sessions in PostgreSQL,
CSRF, the session timeout), against a database of its own. Each rep has a
logged-in session and a connection opened beforehand (a browser tab with
the queue open); the 50 are released together; 20 rounds, each on a new
handoff. Exactly one must win each round; the figure is each rep's wait
from the release to the last byte of its answer.

The naive way in the same run: gunicorn as `make up` ran it before (3 sync
workers, one request each at a time, no keep-alive: a new connection per
request), the same requests.

gunicorn's access log gives each request's time inside the server, so the
report tells waiting for a free worker apart from doing the work.

Environment: BENCH_REPS (50), BENCH_ROUNDS (20), BENCH_CLAIMS_DATABASE_URL.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess  # nosec B404  # starts gunicorn, fixed argv
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench._django import describe, percentile, setup

REPS = int(os.environ.get("BENCH_REPS", "50"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
DATABASE_URL = os.environ.get(
    "BENCH_CLAIMS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/baton_bench_claims"
)
ROOT = Path(__file__).resolve().parent.parent
CSRF = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret
SECRET_KEY = secrets.token_urlsafe(50)  # shared with the server: it signs the session hashes
ACCESS_FORMAT = "%(U)s %(s)s %(D)s"  # path, status, microseconds inside gunicorn


@dataclass(frozen=True)
class Stack:
    label: str
    command: list[str]
    keep_alive: bool


@dataclass
class Result:
    winners: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    server_ms: list[float] = field(default_factory=list)


def stacks(port: int) -> list[Stack]:
    python = sys.executable
    served = [python, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py"]
    before = [python, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
              "--workers", "3", "--no-control-socket"]  # fmt: skip
    return [
        Stack("Baton: make up's gunicorn (config/gunicorn.py)", served, keep_alive=True),
        Stack("naive: make up's gunicorn before (3 sync workers)", before, keep_alive=False),
    ]


def run() -> None:
    os.environ.update(DATABASE_URL=DATABASE_URL, SECRET_KEY=SECRET_KEY, DEBUG="false")
    setup()
    pks = _prepare()
    for index in range(2):
        port = _free_port()
        stack = stacks(port)[index]
        with tempfile.TemporaryDirectory(prefix="baton-bench-claims-") as run_dir:
            log = Path(run_dir) / "access.log"
            with serving(stack, port, log):
                result = _rounds(port, pks, keep_alive=stack.keep_alive)
            result.server_ms = _server_times(log)
        _report(stack.label, result)


def _prepare() -> list[tuple[int, str]]:
    """The reps, each with a logged-in session: (user id, session key)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    from config import sessions

    sales = Group.objects.get(name="sales")
    reps = []
    for i in range(REPS):
        rep, _ = User.objects.get_or_create(username=f"bench-http-rep-{i}")
        rep.groups.add(sales)
        session = SessionStore()
        session[SESSION_KEY] = str(rep.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = rep.get_session_auth_hash()
        session[sessions.STARTED] = session[sessions.LAST_SEEN] = time.time()
        session.create()
        reps.append((rep.pk, str(session.session_key)))
    return reps


def _server_env(port: int) -> dict[str, str]:
    from bench.bench_handoff_latency import served_env

    env = served_env(
        database_url=DATABASE_URL, broker_url="", queue="bench-claims-http", PORT=str(port)
    )
    env.update(SECRET_KEY=SECRET_KEY, CONN_MAX_AGE="60", LOG_LEVEL="WARNING")
    env.pop("WEB_CONCURRENCY", None)
    return env


@contextmanager
def serving(stack: Stack, port: int, access_log: Path) -> Iterator[None]:
    command = [*stack.command, "--access-logfile", str(access_log),
               "--access-logformat", ACCESS_FORMAT, "--error-logfile", "-"]  # fmt: skip
    with open(access_log.with_suffix(".err"), "wb") as err:
        proc = subprocess.Popen(  # nosec B603  # fixed argv: this interpreter, gunicorn
            command, cwd=ROOT, env=_server_env(port), stdout=err, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while _get(port, "/healthz") != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(access_log.with_suffix(".err").read_text()[-3000:])
            time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _rounds(port: int, reps: list[tuple[int, str]], *, keep_alive: bool) -> Result:
    from crm.models import Lead
    from handoff.models import Handoff

    result = Result()
    connections = [_connection(port) for _ in reps]
    for n in range(ROUNDS + 1):  # the first round warms the workers up, uncounted
        lead = Lead.objects.create(
            family_name="bench", email=f"claim-http-{time.time_ns()}@bench.example"
        )
        pk = Handoff.objects.create(lead=lead).pk
        if not keep_alive:
            connections = [_connection(port) for _ in reps]
        answers = _claim_together(connections, reps, pk)
        won = Handoff.objects.filter(pk=pk, status=Handoff.Status.CLAIMED).count()
        if n == 0:
            continue
        result.winners[sum(1 for status, _ms, body in answers if b"claimed-by-me" in body)] += 1
        if won != 1:
            raise RuntimeError(f"round {n}: the handoff is not claimed once")
        for status, ms, _body in answers:
            result.statuses[status] += 1
            result.latencies_ms.append(ms)
    for conn in connections:
        conn.close()
    Lead.objects.filter(email__startswith="claim-http-").delete()
    return result


def _connection(port: int) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    return conn


def _claim_together(
    connections: list[http.client.HTTPConnection], reps: list[tuple[int, str]], pk: int
) -> list[tuple[int, float, bytes]]:
    barrier = threading.Barrier(len(reps))
    answers: list[tuple[int, float, bytes]] = [(0, 0.0, b"")] * len(reps)
    headers_for = [
        {
            "Cookie": f"sessionid={session}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
            "HX-Request": "true",
            "Content-Length": "0",
        }
        for _rep, session in reps
    ]

    def claim(i: int) -> None:
        conn = connections[i]
        barrier.wait()
        began = time.perf_counter()
        try:
            conn.request("POST", f"/sales/handoffs/{pk}/claim/", headers=headers_for[i])
            response = conn.getresponse()
            body = response.read()
            answers[i] = (response.status, (time.perf_counter() - began) * 1000, body)
        except (OSError, http.client.HTTPException):
            answers[i] = (0, (time.perf_counter() - began) * 1000, b"")

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(reps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _server_times(log: Path) -> list[float]:
    times = []
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].endswith("/claim/"):
            times.append(int(parts[2]) / 1000)
    return times[REPS:]  # without the warm-up round


def _report(label: str, result: Result) -> None:
    rounds = ", ".join(f"{n} winner(s) in {c} rounds" for n, c in sorted(result.winners.items()))
    print(f"{label}: {REPS} reps x {ROUNDS} rounds; {rounds}; answers {dict(result.statuses)}")
    print(f"  claim over HTTP (release -> answer read): {describe(result.latencies_ms)}")
    if result.server_ms:
        print(f"  of which inside gunicorn (access log): {describe(result.server_ms)}")
    ok = set(result.winners) == {1} and percentile(result.latencies_ms, 99) < 200
    ok = ok and set(result.statuses) == {200}
    print(f"  target (exactly one winner, p99 < 200 ms over HTTP): {'met' if ok else 'NOT met'}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        conn.close()
