"""The HTML lead list under 8 connections, served by gunicorn as `make up`
runs it (config/gunicorn.py: 3 processes of 1 thread, keep-alive; production
settings: DEBUG off, the cached template loader, hashed static files,
sessions in PostgreSQL), at 10,000 leads.

In the same server, the lead list as it was before issue 21's second round
(bench/baseline_lead_list.py: 3cf41c4's view and templates) answers at
`BASELINE_PATH`; the served settings (bench/served_settings.py) differ from
`make up`'s only by that URL and the baseline's template folder. Each round
times today's list for `BENCH_SECONDS`, then the baseline for as long, with
8 client threads each keeping one connection (a browser's tab each), and
`BENCH_ROUNDS` rounds alternate them (the machine is shared: its load changes
from minute to minute). A marketer's logged-in session, every request the
first page without filters (50 rows, every column); each client sends back
the cookies it is given, as a browser's tab does (the CSRF cookie: before the
ninth session every answer made and set a new one).

Each page's CPU time a request is split by where it was spent (gunicorn's
processes, PostgreSQL's, the load generator, and the whole machine with the
kernel): what the two pages share bounds how far apart their rates can be.

Environment: BENCH_CONNECTIONS (8), BENCH_SECONDS (15), BENCH_ROUNDS (3),
BENCH_LEADS (10000); the data is bench_pages' (database baton_bench_pages).
"""

from __future__ import annotations

import http.client
import os
import secrets
import subprocess  # nosec B404  # starts gunicorn and collectstatic, fixed argv
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path

from bench._django import percentile, setup

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
LEADS = int(os.environ.get("BENCH_LEADS", "10000"))
ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = secrets.token_urlsafe(50)  # shared with the server: it signs the session hash
TODAY_PATH = "/crm/leads/"


def run() -> None:
    os.environ.update(SECRET_KEY=SECRET_KEY, DEBUG="false", SECURE_SSL_REDIRECT="false")
    os.environ.setdefault("MFA_REQUIRED_ROLES", "")
    setup("baton_bench_pages")
    from bench import bench_pages
    from bench.baseline_lead_list import BASELINE_PATH

    started = time.perf_counter()
    bench_pages.generate(LEADS)
    print(f"({LEADS:,} leads ready in {time.perf_counter() - started:.0f} s)", flush=True)
    # A session per connection, as each browser has its own (requests of one
    # session wait on each other: each one writes its last-seen time).
    sessions = [_marketer_session() for _ in range(CONNECTIONS)]
    with tempfile.TemporaryDirectory(prefix="baton-bench-list-http-") as folder:
        bench_pages.baseline_folder(folder)
        env = _server_env(folder)
        subprocess.run(  # nosec B603  # this interpreter, manage.py, fixed arguments
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        with serving(env) as port:
            paths = {"today": TODAY_PATH, "before (3cf41c4)": BASELINE_PATH}
            for path in paths.values():  # each process compiles the templates once
                _load(port, path, sessions, seconds=2.0)
            totals: dict[str, list[float]] = {label: [] for label in paths}
            counts = dict.fromkeys(paths, 0)
            elapsed = dict.fromkeys(paths, 0.0)
            print(f"{CONNECTIONS} connections, {SECONDS:.0f} s per page per round")
            print(f"{'round':>5} {'page':<18} {'req/s':>7} {'p50 / p95 (ms)':>16} {'errors':>7}")
            cpu: dict[str, dict[str, float]] = {label: {} for label in paths}
            for n in range(1, ROUNDS + 1):
                for label, path in paths.items():
                    before = _cpu_ms()
                    latencies, errors, took = _load(port, path, sessions, seconds=SECONDS)
                    for part, ms in _cpu_spent(before, _cpu_ms()).items():
                        cpu[label][part] = cpu[label].get(part, 0.0) + ms
                    totals[label] += latencies
                    counts[label] += len(latencies)
                    elapsed[label] += took
                    print(
                        f"{n:>5} {label:<18} {len(latencies) / took:>7.1f} "
                        f"{percentile(latencies, 50):>7.1f} / {percentile(latencies, 95):<7.1f}"
                        f" {errors:>7}",
                        flush=True,
                    )
    rates = {label: counts[label] / elapsed[label] for label in paths}
    for label in paths:
        print(
            f"all rounds, {label}: {rates[label]:.1f} req/s, p50 "
            f"{percentile(totals[label], 50):.1f} ms, p95 {percentile(totals[label], 95):.1f} ms"
        )
    print("CPU a request (ms, all rounds): " + "; ".join(
        f"{label}: " + ", ".join(f"{part} {ms / counts[label]:.2f}" for part, ms in cpu[label].items())
        for label in paths
    ))  # fmt: skip
    ratio = rates["today"] / rates["before (3cf41c4)"]
    print(f"today / before: {ratio:.2f}x the requests a second (target >= 3x)")
    print(f"load average at the end: {os.getloadavg()}")


def _cpu_ms() -> dict[tuple[str, str], float]:
    """CPU time used so far (ms) by (kind, pid): gunicorn's processes and
    PostgreSQL's (the difference of two readings counts the processes alive
    at the second), this load generator and the whole machine (every core,
    kernel included; no pid)."""
    used: dict[tuple[str, str], float] = {}
    tick = 1000 / os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        ms = (int(fields[11]) + int(fields[12])) * tick
        if b"gunicorn" in command:
            used["gunicorn", entry.name] = ms
        elif stat[stat.index("(") + 1 : stat.rindex(")")] == "postgres":
            used["PostgreSQL", entry.name] = ms
    times = os.times()
    used["load generator", ""] = (times.user + times.system) * 1000
    with open("/proc/stat") as total:
        user, nice, system, _idle, _iowait, irq, softirq, *_rest = map(
            int, total.readline().split()[1:]
        )
    used["machine", ""] = (user + nice + system + irq + softirq) * tick
    return used


def _cpu_spent(
    before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]
) -> dict[str, float]:
    """CPU time between two readings of _cpu_ms, the processes added up by kind."""
    spent: dict[str, float] = {}
    for (kind, pid), ms in after.items():
        spent[kind] = spent.get(kind, 0.0) + ms - before.get((kind, pid), 0.0)
    return spent


def _marketer_session() -> str:
    """A marketer's logged-in session key (a browser that has logged in)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    from web import sessions

    marketer, _created = User.objects.get_or_create(username="bench-marketer")
    marketer.groups.add(Group.objects.get(name="marketer"))
    session = SessionStore()
    session[SESSION_KEY] = str(marketer.pk)
    session[BACKEND_SESSION_KEY] = "accounts.backends.OneQueryPermissionsBackend"
    session[HASH_SESSION_KEY] = marketer.get_session_auth_hash()
    session[sessions.STARTED] = session[sessions.LAST_SEEN] = time.time()
    session.create()
    return str(session.session_key)


def _server_env(baseline_templates: str) -> dict[str, str]:
    from bench.bench_handoff_latency import served_env

    env = served_env(
        database_url=os.environ["DATABASE_URL"],
        broker_url=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/9"),
        queue="bench-lead-list-http",
        SECRET_KEY=SECRET_KEY,
        CONN_MAX_AGE="60",  # config/settings.py's default
        MFA_REQUIRED_ROLES="",
        DJANGO_SETTINGS_MODULE="bench.served_settings",
        BENCH_BASELINE_TEMPLATES=baseline_templates,
    )
    env.pop("WEB_CONCURRENCY", None)
    env.pop("WEB_THREADS", None)
    return env


@contextmanager
def serving(env: dict[str, str]) -> Iterator[int]:
    from bench.bench_claims_http import _free_port, _get

    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py",
               "--access-logfile", "/dev/null", "--error-logfile", "-"]  # fmt: skip
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(  # nosec B603  # fixed argv: this interpreter, gunicorn
            command, cwd=ROOT, env={**env, "PORT": str(port)}, stdout=err, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 60
            while _get(port, "/healthz") != 200:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err.seek(0)
                    raise RuntimeError(err.read().decode()[-3000:])
                time.sleep(0.2)
            yield port
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _load(
    port: int, path: str, sessions: list[str], *, seconds: float
) -> tuple[list[float], int, float]:
    """CONNECTIONS clients asking for `path` one request after another for
    `seconds`: each answer's time (ms), the errors, the time taken."""
    latencies: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    errors = [0] * CONNECTIONS
    barrier = threading.Barrier(CONNECTIONS + 1)
    stop = [0.0]

    def client(i: int) -> None:
        # A browser's tab: it sends back the cookies it was given (the CSRF
        # cookie of the first answer; without it every answer makes a new one).
        jar = {"sessionid": sessions[i]}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        while time.perf_counter() < stop[0]:
            began = time.perf_counter()
            cookies = "; ".join(f"{name}={value}" for name, value in jar.items())
            try:
                conn.request("GET", path, headers={"Cookie": cookies, "Accept-Encoding": "gzip"})
                response = conn.getresponse()
                response.read()
                for header in response.msg.get_all("Set-Cookie") or ():
                    jar.update(
                        (name, morsel.value) for name, morsel in SimpleCookie(header).items()
                    )
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            if response.status == 200:
                latencies[i].append((time.perf_counter() - began) * 1000)
            else:
                errors[i] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop[0] = began + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - began
    return [ms for each in latencies for ms in each], sum(errors), took
