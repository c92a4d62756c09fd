"""50 reps claim the same handoff at once over HTTP, against the served stack.

`bench_claims` times the claim service; this times the served request: the
htmx POST a rep's "Claim" button sends, through gunicorn as `make up` runs it
(config/gunicorn.py, production settings: DEBUG off, sessions in PostgreSQL,
CSRF, the session timeout), against a database of its own. Each rep has a
logged-in session and a connection opened beforehand (a browser tab with
the queue open); the 50 are released together; 20 rounds, each on a new
handoff. Exactly one must win each round; the figure is each rep's wait
from the release to the last byte of its answer.

The client stays out of the server's way: the 50 requests are built
beforehand and written on their sockets one after the other by a single
thread, which then waits for the answers with a selector and notes the time
each one's last byte arrives (50 Python threads, as before, took CPU from the
2 cores the server has). The rep who writes first changes each round.

The naive way in the same run, round for round in turn with Baton's (the
machine is shared; its load changes from minute to minute): gunicorn as
`make up` ran it before (3 gthread processes of one thread each, keeping
connections alive for 10 s), the same requests. Baton's now runs 3 sync
processes (config/gunicorn.py says why).

gunicorn's access log gives each request's time inside the server, so the
report tells waiting for a free worker apart from doing the work; the CPU
that gunicorn's workers, their PostgreSQL backends and the client used in
the timed rounds is read from /proc (schedstat), per claim.

On a shared machine, run it as root under `setsid nice -n -15` so that it
approximates a quiet machine: Linux schedules each session (autogroup)
against the others before niceness counts, so the benchmark, in a session
of its own, gives that session its niceness (/proc/self/autogroup), and the
PostgreSQL backends serving its database the same niceness among
PostgreSQL's processes. The report prints the load average and what was set.

Environment: BENCH_REPS (50), BENCH_ROUNDS (20), BENCH_CLAIMS_DATABASE_URL,
BENCH_CLAIMS_BROKER_URL, BENCH_CLAIMS_CACHE_URL (Redis databases 9 and 10).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import selectors
import socket
import subprocess  # nosec B404  # starts gunicorn, fixed argv
import sys
import tempfile
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


@dataclass
class Result:
    winners: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    server_ms: list[float] = field(default_factory=list)
    # CPU used in the timed rounds, in ms: gunicorn, its PostgreSQL backends, the client.
    cpu_ms: Counter[str] = field(default_factory=Counter)


def stacks(port: int) -> list[Stack]:
    python = sys.executable
    served = [python, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py"]
    before = [python, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
              "--workers", "3", "--worker-class", "gthread", "--threads", "1",
              "--keep-alive", "10", "--no-control-socket"]  # fmt: skip
    return [
        Stack("Baton: make up's gunicorn (config/gunicorn.py)", served),
        Stack("naive: make up's gunicorn before (3 gthread processes x 1 thread)", before),
    ]


def run() -> None:
    os.environ.update(DATABASE_URL=DATABASE_URL, SECRET_KEY=SECRET_KEY, DEBUG="false")
    setup()
    reps = _prepare()
    ports = [_free_port(), _free_port()]
    chosen = [stacks(ports[0])[0], stacks(ports[1])[1]]
    priority = _take_priority()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="baton-bench-claims-") as run_dir:
        logs = [Path(run_dir) / f"access-{i}.log" for i in range(2)]
        with (
            serving(chosen[0], ports[0], logs[0]) as first,
            serving(chosen[1], ports[1], logs[1]) as second,
        ):
            results = _rounds(ports, [first, second], reps)
        for result, log in zip(results, logs, strict=True):
            result.server_ms = _server_times(log)
    load_after = os.getloadavg()
    print(f"load average (1 min) {load[0]:.1f} before, {load_after[0]:.1f} after; {priority}")
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
def serving(stack: Stack, port: int, access_log: Path) -> Iterator[int]:
    """gunicorn started and answering; yields its process id."""
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
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _rounds(ports: list[int], servers: list[int], reps: list[tuple[int, str]]) -> list[Result]:
    """Round after round, the two servers in turn, so that both meet the
    same machine (it is shared, and its load changes from minute to minute)."""
    from crm.models import Lead
    from handoff.models import Handoff

    results = [Result(), Result()]
    sockets = [[_connect(port) for _ in reps] for port in ports]
    for n in range(ROUNDS + 1):  # the first round warms the workers up, uncounted
        for i, port in enumerate(ports):
            lead = Lead.objects.create(
                family_name="bench", email=f"claim-http-{time.time_ns()}@bench.example"
            )
            pk = Handoff.objects.create(lead=lead).pk
            # A connection the server closed (no keep-alive) is opened again
            # before the release, as a browser's would be by the next click.
            sockets[i] = [s if s.fileno() != -1 else _connect(port) for s in sockets[i]]
            requests = [_claim_request(port, session, pk) for _rep, session in reps]
            order = list(range(len(reps)))
            order = order[n % len(order) :] + order[: n % len(order)]
            _match_niceness()
            before = _cpu_ms(servers[i])
            answers = _claim_together(sockets[i], requests, order)
            used = _cpu_ms(servers[i]) - before
            won = Handoff.objects.filter(pk=pk, status=Handoff.Status.CLAIMED).count()
            if won != 1:
                raise RuntimeError(
                    f"round {n}, server {i}: the handoff is not claimed once: {answers}"
                )
            if n:
                _count(results[i], answers)
                results[i].cpu_ms.update(used)
    for sock in sockets[0] + sockets[1]:
        sock.close()
    Lead.objects.filter(email__startswith="claim-http-").delete()
    return results


def _count(result: Result, answers: list[tuple[int, float, bytes]]) -> None:
    result.winners[sum(1 for _status, _ms, body in answers if b"claimed-by-me" in body)] += 1
    for status, ms, _body in answers:
        result.statuses[status] += 1
        result.latencies_ms.append(ms)


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _claim_request(port: int, session: str, pk: int) -> bytes:
    """The htmx POST of a rep's "Claim" button, as bytes ready to write."""
    return (
        f"POST /sales/handoffs/{pk}/claim/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Cookie: sessionid={session}; csrftoken={CSRF}\r\n"
        f"X-CSRFToken: {CSRF}\r\n"
        "HX-Request: true\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def _claim_together(
    sockets: list[socket.socket], requests: list[bytes], order: list[int]
) -> list[tuple[int, float, bytes]]:
    """Write every request in `order`, then read the answers as they come:
    (status, ms from the release to the answer's last byte, body) per rep."""
    answers: list[tuple[int, float, bytes]] = [(0, 0.0, b"")] * len(sockets)
    received = [bytearray() for _ in sockets]
    with selectors.DefaultSelector() as selector:
        for i, sock in enumerate(sockets):
            selector.register(sock, selectors.EVENT_READ, i)
        began = time.perf_counter()
        for i in order:
            sockets[i].sendall(requests[i])  # a few hundred bytes: never blocks
        pending = len(sockets)
        while pending:
            events = selector.select(timeout=30)
            if not events:
                break  # the unanswered keep status 0
            for key, _mask in events:
                i = key.data
                chunk = sockets[i].recv(65536)
                received[i] += chunk
                answer = _parse(bytes(received[i]), closed=not chunk)
                if answer is not None:
                    status, body, closing = answer
                    answers[i] = (status, (time.perf_counter() - began) * 1000, body)
                    selector.unregister(sockets[i])
                    pending -= 1
                    if closing:
                        # As a browser does: a sync worker waits (up to 2 s)
                        # for the client to close before it takes the next one.
                        sockets[i].close()
    return answers


def _parse(data: bytes, *, closed: bool) -> tuple[int, bytes, bool] | None:
    """(status, body, whether the server closes the connection) once `data`
    holds a whole HTTP/1.1 answer, else None."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return (0, b"", True) if closed else None
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _colon, value in (line.partition(b":") for line in lines[1:])
    }
    closing = closed or headers.get(b"connection", b"").lower() == b"close"
    length = headers.get(b"content-length")
    if length is not None:
        return (status, body[: int(length)], closing) if len(body) >= int(length) else None
    return (status, body, True) if closed else None


def _cpu_ms(server: int) -> Counter[str]:
    """CPU used so far (ms, from /proc/*/task/*/schedstat): by `server`'s
    gunicorn processes, by the PostgreSQL backends serving this database
    (other than this process's own) and by this process."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        backends = [pid for (pid,) in cur.fetchall()]
    return Counter(
        {
            "gunicorn": sum(_task_ms(pid) for pid in [server, *_children(server)]),
            "postgres": sum(_task_ms(pid) for pid in backends),
            "client": time.process_time() * 1000,
        }
    )


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _task_ms(pid: int) -> float:
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError):  # ended meanwhile
            total += int(stat.read_text().split()[0])  # ns on a CPU
    return total / 1e6


def _take_priority() -> str:
    """Under a negative niceness, in a session of its own: the session's
    autogroup as nice as this process. What was set, for the report."""
    nice = os.nice(0)
    if nice >= 0:
        return "niceness 0 (nothing set)"
    autogroup = Path("/proc/self/autogroup")
    if os.getsid(0) != os.getpid() or not autogroup.exists():
        return f"niceness {nice}, not in a session of its own (setsid): its autogroup unchanged"
    with contextlib.suppress(OSError):
        autogroup.write_text(str(nice))
    return (
        f"niceness {nice}, its autogroup {autogroup.read_text().split()[-1]}, "
        "its PostgreSQL backends' niceness too"
    )


def _match_niceness() -> None:
    """PostgreSQL's backends for this database as nice as this process (a
    negative niceness, under root, approximates a quiet machine for the
    whole stack; otherwise nothing changes)."""
    from django.db import connection

    nice = os.nice(0)
    if nice >= 0:
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        for (pid,) in cur.fetchall():
            with contextlib.suppress(OSError):  # ended meanwhile, or not ours to change
                if os.getpriority(os.PRIO_PROCESS, pid) != nice:
                    os.setpriority(os.PRIO_PROCESS, pid, nice)


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
    claims = max(1, len(result.latencies_ms))
    cpu = ", ".join(f"{name} {ms / claims:.1f} ms" for name, ms in result.cpu_ms.items())
    print(f"  CPU per claim in the timed rounds: {cpu}")
    ok = set(result.winners) == {1} and percentile(result.latencies_ms, 99) < 200
    # 200: the row (the winner's, or a loser's "someone else has it"); 404:
    # the handoff was already claimed when the request arrived, as on every page.
    ok = ok and set(result.statuses) <= {200, 404}
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
