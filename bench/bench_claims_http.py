"""50 reps claim the same handoff at once over HTTP, against the served stack.

`bench_claims` times the claim service; this times the served request: the
htmx POST a rep's "Claim" button sends, through gunicorn as `make up` runs it
(config/gunicorn.py, production settings: DEBUG off, sessions in PostgreSQL,
CSRF, the session timeout), against a database of its own. Each rep has a
logged-in session and a connection opened beforehand (a browser tab with
the queue open); the 50 are released together; 20 rounds, each on a new
handoff. Exactly one must win each round; the figure is each rep's wait
from the release to the last byte of its answer.

The naive way in the same run, round for round in turn with Baton's (the
machine is shared; its load changes from minute to minute): gunicorn as
`make up` ran it before (3 sync workers, one request each at a time, no
keep-alive: a new connection per request), the same requests.

gunicorn's access log gives each request's time inside the server, so the
report tells waiting for a free worker apart from doing the work.

Environment: BENCH_REPS (50), BENCH_ROUNDS (20), BENCH_CLAIMS_DATABASE_URL,
BENCH_CLAIMS_BROKER_URL, BENCH_CLAIMS_CACHE_URL (Redis databases 9 and 10).
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
# As `make up`: a Redis broker, and the cache on its next database.
BROKER_URL = os.environ.get("BENCH_CLAIMS_BROKER_URL", "redis://127.0.0.1:6379/9")
CACHE_URL = os.environ.get("BENCH_CLAIMS_CACHE_URL", "redis://127.0.0.1:6379/10")
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
    reps = _prepare()
    ports = [_free_port(), _free_port()]
    chosen = [stacks(ports[0])[0], stacks(ports[1])[1]]
    with tempfile.TemporaryDirectory(prefix="baton-bench-claims-") as run_dir:
        logs = [Path(run_dir) / f"access-{i}.log" for i in range(2)]
        with serving(chosen[0], ports[0], logs[0]), serving(chosen[1], ports[1], logs[1]):
            results = _rounds(ports, reps, keep_alive=[s.keep_alive for s in chosen])
        for result, log in zip(results, logs, strict=True):
            result.server_ms = _server_times(log)
    for stack, result in zip(chosen, results, strict=True):
        _report(stack.label, result)


def _prepare() -> list[tuple[int, str]]:
    """The reps, each with a logged-in session: (user id, session key)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    from web import sessions

    sales = Group.objects.get(name="sales")
    reps = []
    for i in range(REPS):
        rep, _ = User.objects.get_or_create(username=f"bench-http-rep-{i}")
        rep.groups.add(sales)
        session = SessionStore()
        session[SESSION_KEY] = str(rep.pk)
        session[BACKEND_SESSION_KEY] = "accounts.backends.OneQueryPermissionsBackend"
        session[HASH_SESSION_KEY] = rep.get_session_auth_hash()
        session[sessions.STARTED] = session[sessions.LAST_SEEN] = time.time()
        session.create()
        reps.append((rep.pk, str(session.session_key)))
    return reps


def _server_env(port: int) -> dict[str, str]:
    from bench.bench_handoff_latency import served_env

    env = served_env(
        database_url=DATABASE_URL,
        broker_url=BROKER_URL,
        queue="bench-claims-http",
        PORT=str(port),
        CACHE_URL=CACHE_URL,
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


def _rounds(
    ports: list[int], reps: list[tuple[int, str]], *, keep_alive: list[bool]
) -> list[Result]:
    """Round after round, the two servers in turn, so that both meet the
    same machine (it is shared, and its load changes from minute to minute)."""
    from crm.models import Lead
    from handoff.models import Handoff

    results = [Result(), Result()]
    connections = [[_connection(port) for _ in reps] for port in ports]
    for n in range(ROUNDS + 1):  # the first round warms the workers up, uncounted
        for i, port in enumerate(ports):
            lead = Lead.objects.create(
                family_name="bench", email=f"claim-http-{time.time_ns()}@bench.example"
            )
            pk = Handoff.objects.create(lead=lead).pk
            if not keep_alive[i]:
                connections[i] = [_connection(port) for _ in reps]
            answers = _claim_together(connections[i], reps, pk)
            won = Handoff.objects.filter(pk=pk, status=Handoff.Status.CLAIMED).count()
            if won != 1:
                raise RuntimeError(f"round {n}: the handoff is not claimed once")
            if n:
                _count(results[i], answers)
    for conn in connections[0] + connections[1]:
        conn.close()
    Lead.objects.filter(email__startswith="claim-http-").delete()
    return results


def _count(result: Result, answers: list[tuple[int, float, bytes]]) -> None:
    result.winners[sum(1 for _status, _ms, body in answers if b"claimed-by-me" in body)] += 1
    for status, ms, _body in answers:
        result.statuses[status] += 1
        result.latencies_ms.append(ms)


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
