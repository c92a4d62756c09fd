"""Activity → sales notified, through real processes (the Handoff issue's benchmark).

gunicorn serves the app, a `celery worker` and `celery beat` run beside it,
all against a PostgreSQL database and a Redis database of this benchmark's
own. Form submits are posted to the public capture endpoint (JSON) at a steady
100 a second for 60 seconds over a pool of keep-alive connections; each lead
submits one to three times, a second apart, and form_submit is worth 20 points
against an engagement threshold of 50, so every third submit of a lead (10% of
the requests) crosses the threshold and must hand the lead off and notify
every sales rep exactly once. A poller thread with its own connection watches
`handoff_notification` every 5 ms; the figure is from the start of the
crossing request to the moment the rep's notification row is committed and
readable.

The naive way, in the same run: the same load (shorter) with the outbox relayed
by the periodic sweep alone (OUTBOX_PUBLISH_AT_COMMIT=false), as an outbox
without a publish at commit would be.

Environment: BENCH_RATE (requests a second, 100), BENCH_SECONDS (60),
BENCH_NAIVE_SECONDS (20; 0 skips the naive run), BENCH_REPS (3),
BENCH_WEB_WORKERS / BENCH_WEB_THREADS (gunicorn gthread, 2 × 4), BENCH_WORKER_CONCURRENCY (2),
BENCH_HANDOFF_DATABASE_URL, BENCH_HANDOFF_BROKER_URL, BENCH_HANDOFF_CACHE_URL.
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import queue
import secrets
import socket
import subprocess  # nosec B404  # starts the worker process under test, fixed argv
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._django import describe, percentile, setup

RATE = int(os.environ.get("BENCH_RATE", "100"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "60"))
NAIVE_SECONDS = int(os.environ.get("BENCH_NAIVE_SECONDS", "20"))
REPS = int(os.environ.get("BENCH_REPS", "3"))
WEB_WORKERS = os.environ.get("BENCH_WEB_WORKERS", "2")
WEB_THREADS = os.environ.get("BENCH_WEB_THREADS", "4")
WORKER_CONCURRENCY = os.environ.get("BENCH_WORKER_CONCURRENCY", "2")
# Its own database and Redis databases: nothing here can disturb the other
# benchmarks, the tests or `make up` (which use baton*, test_* and Redis 0/1).
DATABASE_URL = os.environ.get(
    "BENCH_HANDOFF_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/baton_bench_e2e"
)
BROKER_URL = os.environ.get("BENCH_HANDOFF_BROKER_URL", "redis://127.0.0.1:6379/14")
CACHE_URL = os.environ.get("BENCH_HANDOFF_CACHE_URL", "redis://127.0.0.1:6379/15")
QUEUE = f"bench-handoff-{os.getpid()}"
WORKER_NAME = f"{QUEUE}@localhost"
ROOT = Path(__file__).resolve().parent.parent

# Keep-alive connections: 100/s keeps to its schedule while answers take under
# 320 ms; slower, the load falls behind (reported as the rate achieved).
CONNECTIONS = 32
POLL_EVERY = 0.005
# Notification ids are taken at insert and committed in any order by the two
# worker children: each poll looks back this many ids for late commits.
POLL_LOOKBACK = 100
# Submits per lead, cycled: 10 requests of which one (a lead's third) crosses.
CHAINS = (3, 2, 2, 1, 1, 1)
FORM_SUBMIT_POINTS = 20
ENGAGEMENT_THRESHOLD = 50
CROSSING_SUBMIT = 3  # 20 + 20 < 50 <= 20 + 20 + 20 (the 30-day decay takes a hair off)
TARGETS = {"the issue": (300.0, 1000.0), "PRODUCT.md": (50.0, 250.0)}


@dataclass(frozen=True)
class Submit:
    at: float  # seconds after the load starts
    email: str
    crosses: bool  # this submit brings the lead to the threshold


@dataclass(frozen=True)
class Sent:
    submit: Submit
    started: float  # time.monotonic()
    lag: float  # seconds behind the schedule
    took: float
    status: int  # 0: no response


@dataclass
class Phase:
    label: str
    seconds: int
    sent: list[Sent] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    crossings: int = 0
    handoffs: int = 0
    notifications: int = 0
    expected_notifications: int = 0
    seen: int = 0
    missing: int = 0  # crossing leads without a handoff
    unexpected: int = 0  # handoffs of leads that did not cross
    duplicated: int = 0  # handoffs or notifications beyond the first
    unscored: int = 0
    cores: dict[str, float] = field(default_factory=dict)  # CPU used during the load
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per activity, until drained
    outbox_waits_ms: list[float] = field(default_factory=list)  # event written -> worker began
    republished: int = 0
    stages_ms: dict[str, list[float]] = field(default_factory=dict)  # a crossing, step by step


def run() -> None:
    _use_own_services()
    setup()
    from config.celery import app

    app.conf.task_default_queue = QUEUE
    capture_path, rep_ids = _prepare()
    try:
        with tempfile.TemporaryDirectory(prefix="baton-bench-handoff-") as run_dir:
            phases = [
                (
                    "baton",
                    "Baton (a drain asked for or woken at commit; the sweep as safety net)",
                    True,
                    SECONDS,
                )
            ]
            if NAIVE_SECONDS > 0:
                phases.append(
                    ("naive", "naive (the 10 s outbox sweep alone)", False, NAIVE_SECONDS)
                )
            for tag, label, at_commit, seconds in phases:
                phase = _run_phase(
                    Phase(label, seconds),
                    tag=tag,
                    publish_at_commit=at_commit,
                    capture_path=capture_path,
                    rep_ids=rep_ids,
                    run_dir=Path(run_dir),
                )
                _report(phase, judge=at_commit)
    finally:
        _forget_queue()


def _use_own_services() -> None:
    name = DATABASE_URL.rsplit("/", 1)[1]
    if name in {"baton", "baton_bench"} or name.startswith("test_"):
        raise SystemExit(f"bench_handoff_latency needs a database of its own, not {name}")
    os.environ.update(DATABASE_URL=DATABASE_URL, CELERY_BROKER_URL=BROKER_URL, CELERY_QUEUE=QUEUE)


def _prepare() -> tuple[str, list[int]]:
    """The campaign to post to, the scoring rule and policy that make a known
    share cross, and the reps to notify. Returns the capture path and rep ids."""
    from django.contrib.auth.models import Group, User

    from crm.models import Activity, Campaign, ScoringRule
    from handoff.models import HandoffPolicy, RepAvailability

    owner, _ = User.objects.get_or_create(username="bench-owner")
    campaign, _ = Campaign.objects.get_or_create(
        utm_code="bench-handoff",
        defaults={"name": "Handoff latency benchmark", "channel": "web", "owner": owner},
    )
    rules = ScoringRule.objects.filter(kind=Activity.Kind.FORM_SUBMIT)
    rules.update(
        points=FORM_SUBMIT_POINTS, cap=None, campaign=None, url_contains="", is_active=True
    )
    HandoffPolicy.current()
    HandoffPolicy.objects.filter(pk=1).update(
        fit_threshold=0,
        engagement_threshold=ENGAGEMENT_THRESHOLD,
        routing=HandoffPolicy.Routing.OPEN_QUEUE,
        chat_webhook_url="",
    )
    sales = Group.objects.get(name="sales")
    rep_ids = []
    for i in range(REPS):
        rep, _ = User.objects.get_or_create(
            username=f"bench-rep-{i}", defaults={"email": f"bench-rep-{i}@bench.example"}
        )
        rep.groups.add(sales)
        rep_ids.append(rep.pk)
    # Only these reps hear of handoffs, and all of them are taking leads.
    User.objects.filter(groups=sales).exclude(pk__in=rep_ids).update(is_active=False)
    RepAvailability.objects.all().delete()
    return f"/capture/{campaign.capture_key}/", rep_ids


def _run_phase(
    phase: Phase,
    *,
    tag: str,
    publish_at_commit: bool,
    capture_path: str,
    rep_ids: list[int],
    run_dir: Path,
) -> Phase:
    """Start the stack, warm it up, run the load while polling, drain, check."""
    _empty_tables()
    env = _stack_env(publish_at_commit)
    with running_stack(env, run_dir / tag) as (port, pids):
        # Warm up (connections, imports, a few handoffs), drained before measuring.
        _send_all(port, capture_path, _schedule(f"warm{tag}", RATE, 3))
        _wait_until_scored(timeout=60)
        schedule = _schedule(tag, RATE, phase.seconds)
        poller = NotificationPoller()
        poller.start()
        try:
            first_event = _newest_event_id()
            before, began = _cpu_seconds(pids), time.monotonic()
            phase.sent = _send_all(port, capture_path, schedule)
            loaded, wall = _cpu_seconds(pids), time.monotonic() - began
            phase.cores = {k: (v - before[k]) / wall for k, v in loaded.items()}
            crossing = _crossing_emails(phase.sent)
            phase.crossings = len(crossing)
            phase.expected_notifications = len(crossing) * len(rep_ids)
            phase.unscored = _wait_until_scored(timeout=600)
            poller.wait_for(phase.expected_notifications, timeout=5)
            drained = _cpu_seconds(pids)
            phase.cpu_ms = {
                k: (drained[k] - before[k]) * 1000 / len(phase.sent)
                for k in ("gunicorn", "worker", "postgres")
            }
        finally:
            poller.stop()
    _check(phase, tag=tag, crossing=crossing, rep_ids=rep_ids, first_seen=poller.first_seen)
    _read_outbox(phase, after=first_event)
    _crossing_stages(phase, crossing=crossing, rep_id=rep_ids[0], first_seen=poller.first_seen)
    return phase


def _stack_env(publish_at_commit: bool) -> dict[str, str]:
    return served_env(
        database_url=DATABASE_URL,
        broker_url=BROKER_URL,
        queue=QUEUE,
        # The rate limits live in the cache: shared by gunicorn's workers, and
        # raised so that the benchmark measures the capture, not the 429s.
        CACHE_URL=CACHE_URL,
        CAPTURE_PER_IP_PER_MINUTE="1000000",
        CAPTURE_PER_KEY_PER_MINUTE="1000000",
        OUTBOX_PUBLISH_AT_COMMIT="true" if publish_at_commit else "false",
    )


def served_env(*, database_url: str, broker_url: str, queue: str, **extra: str) -> dict[str, str]:
    """The environment of a benchmark's gunicorn, worker and beat: production
    settings on plain http at 127.0.0.1 (what `make up` sets), its own database,
    broker and queue, and `extra` on top."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_QUEUE": queue,
        # Connections outlive the run, so that the CPU their PostgreSQL
        # backends use is all counted (one reconnect a minute changes nothing else).
        "CONN_MAX_AGE": "600",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        # No collected static files: nothing here serves them.
        "PYTHONWARNINGS": "ignore:No directory at",
        **extra,
    }
    env.pop("REDIS_URL", None)
    return env


@contextmanager
def running_stack(env: dict[str, str], run_dir: Path) -> Iterator[tuple[int, dict[str, int]]]:
    """gunicorn, a Celery worker and Celery beat, ready; stopped on the way out.
    Yields gunicorn's port and the process id of each."""
    run_dir.mkdir(parents=True)
    port = _free_port()
    python = sys.executable
    commands = {
        "gunicorn": [python, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
                     "--worker-class", "gthread", "--workers", WEB_WORKERS, "--threads", WEB_THREADS,
                     "--keep-alive", "10", "--log-level", "warning", "--no-control-socket"],
        "worker": [python, "-m", "celery", "-A", "config", "worker", "-l", "WARNING",
                   "-c", WORKER_CONCURRENCY, "-Q", QUEUE, "-n", WORKER_NAME,
                   "--without-gossip", "--without-mingle"],
        "beat": [python, "-m", "celery", "-A", "config", "beat", "-l", "WARNING",
                 "--schedule", str(run_dir / "celerybeat-schedule"),
                 "--pidfile", str(run_dir / "beat.pid")],
    }  # fmt: skip
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, command in commands.items():
            with open(run_dir / f"{name}.log", "wb") as log:
                # Own session: a Ctrl-C reaches only this process, whose
                # finally stops them in order.
                procs[name] = subprocess.Popen(  # nosec B603  # fixed argv (this interpreter, celery), no shell
                    command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
        _wait_until_ready(port, procs, run_dir)
        yield port, {name: proc.pid for name, proc in procs.items()}
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_ready(port: int, procs: dict[str, subprocess.Popen[bytes]], run_dir: Path) -> None:
    from config.celery import app

    ready = {
        "gunicorn": lambda: _get(port, "/readyz") == 200,
        "worker": lambda: bool(app.control.ping(destination=[WORKER_NAME], timeout=0.5)),
        "beat": lambda: bool(glob.glob(str(run_dir / "celerybeat-schedule*"))),
    }
    deadline = time.monotonic() + 90
    waiting = set(ready)
    while waiting:
        for name in sorted(waiting):
            if procs[name].poll() is not None:
                log = (run_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {procs[name].returncode}:\n{log}")
            if ready[name]():
                waiting.discard(name)
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready after 90 s: {sorted(waiting)} (logs in {run_dir})")
        time.sleep(0.2)


def _cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU time used so far by each process of the stack with its children,
    by the PostgreSQL backends serving this database (other than this
    process's own two), and by the whole machine (every core, all users)."""
    from django.db import connection

    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    def tree(root: int) -> float:
        found, todo = set(), [root]
        while todo:
            pid = todo.pop()
            found.add(pid)
            todo += [child for child, parent in parents.items() if parent == pid]
        return sum(used.get(pid, 0.0) for pid in found)

    cpu = {name: tree(pid) for name, pid in pids.items()}
    cpu["this benchmark (load, poller)"] = time.process_time()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name <> 'bench-poller' AND pid <> pg_backend_pid()"
        )
        cpu["postgres"] = sum(used.get(pid, 0.0) for (pid,) in cur.fetchall())
    machine = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    idle = int(machine[3]) + int(machine[4])  # idle, iowait
    cpu["machine busy"] = (sum(map(int, machine)) - idle) / tick
    return cpu


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


def _schedule(tag: str, rate: int, seconds: int) -> list[Submit]:
    """`rate` requests a second for `seconds`. Each of the `rate` slots of a
    second is a column of leads one after another, each lead submitting in
    consecutive seconds (so a lead's submits are a second apart, and its third
    is scored after its second); the columns start at different places in the
    cycle of CHAINS so that crossings spread evenly."""
    submits = []
    for column in range(rate):
        second, chain = 0, column
        while second < seconds:
            count = CHAINS[chain % len(CHAINS)]
            email = f"{tag}-{column}-{second}@bench.example"
            for k in range(min(count, seconds - second)):
                at = second + k + column / rate
                submits.append(Submit(at, email, crosses=k + 1 == CROSSING_SUBMIT))
            second += count
            chain += 1
    return sorted(submits, key=lambda s: s.at)


def _send_all(port: int, path: str, schedule: list[Submit]) -> list[Sent]:
    """Post every submit at its time from CONNECTIONS keep-alive connections."""
    todo: queue.SimpleQueue[Submit] = queue.SimpleQueue()
    for submit in schedule:
        todo.put(submit)
    sent: list[Sent] = []
    start = time.monotonic() + 0.2

    def sender() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            try:
                submit = todo.get_nowait()
            except queue.Empty:
                break
            due = start + submit.at
            if (delay := due - time.monotonic()) > 0:
                time.sleep(delay)
            began = time.monotonic()
            status = _post(conn, path, submit.email)
            sent.append(Sent(submit, began, began - due, time.monotonic() - began, status))
        conn.close()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent


def _post(conn: http.client.HTTPConnection, path: str, email: str) -> int:
    body = json.dumps(
        {"email": email, "family_name": "Bench", "given_name": "Load", "consent": True}
    )
    headers = {"Content-Type": "application/json", "User-Agent": "bench-handoff"}
    for _attempt in range(2):
        reused = conn.sock is not None
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed an idle keep-alive connection before reading
            # the request: send it again on a new one (once).
            conn.close()
            if not reused:
                return 0
        except (OSError, http.client.HTTPException):
            conn.close()
            return 0
    return 0


class NotificationPoller(threading.Thread):
    """Notes when each notification row first becomes readable, polling every
    5 ms on a connection of its own (autocommit: each poll sees what has been
    committed by then). Rows there before it starts are not counted."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        import psycopg

        self.conn = psycopg.connect(DATABASE_URL, application_name="bench-poller")
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            cur.execute("SELECT coalesce(max(id), 0) FROM handoff_notification")
            (self.since,) = cur.fetchone() or (0,)
        self.first_seen: dict[int, float] = {}
        self.new_handoffs = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        newest = self.since
        with self.conn.cursor() as cur:
            while not self._stop_event.is_set():
                cur.execute(
                    "SELECT id, kind FROM handoff_notification WHERE id > %s",
                    [max(newest - POLL_LOOKBACK, self.since)],
                )
                now = time.monotonic()
                for pk, kind in cur.fetchall():
                    if pk not in self.first_seen:
                        self.first_seen[pk] = now
                        self.new_handoffs += kind == "new_handoff"
                        newest = max(newest, pk)
                time.sleep(POLL_EVERY)
        self.conn.close()

    def wait_for(self, count: int, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.new_handoffs < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _empty_tables() -> None:
    """Each run starts from no leads and no events (this database is the
    benchmark's own)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE crm_lead, crm_outboxevent RESTART IDENTITY CASCADE")


def _wait_until_scored(*, timeout: float) -> int:
    """Wait until every activity is scored (and so every handoff made: they
    commit together), giving up after `timeout` or a minute without progress
    (the sweep runs every 10 s). Returns how many are left."""
    from crm.models import Activity

    deadline = time.monotonic() + timeout
    last, progressed = -1, time.monotonic()
    while left := Activity.objects.filter(scored_at__isnull=True).count():
        now = time.monotonic()
        if left != last:
            last, progressed = left, now
        if now > deadline or now - progressed > 60:
            break
        time.sleep(0.2)
    return left


def _newest_event_id() -> int:
    from crm.models import OutboxEvent

    return OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _read_outbox(phase: Phase, *, after: int) -> None:
    """How long the load's activity events waited from being written (in the
    request's transaction) until a worker began processing them, on the
    machine's clock; and how many the sweep had to publish again."""
    from crm.models import OutboxEvent

    events = OutboxEvent.objects.filter(pk__gt=after, topic="activity.recorded")
    for created, processed, attempts in events.values_list(
        "created_at", "processed_at", "attempts"
    ):
        if processed is not None:
            phase.outbox_waits_ms.append((processed - created).total_seconds() * 1000)
        phase.republished += attempts > 1


def _crossing_stages(
    phase: Phase, *, crossing: dict[str, Sent], rep_id: int, first_seen: dict[int, float]
) -> None:
    """Where a crossing's time goes: the request until its event is written,
    the wait until a drain claims it, the drain's transaction until the
    handoff row, and the rest of that transaction until the rep's
    notification is readable. Monotonic times are put on the wall clock of
    this machine, which the database, gunicorn and the worker share."""
    from crm.models import Activity, OutboxEvent
    from handoff.models import Notification

    to_wall = time.time() - time.monotonic()
    # Each lead's last activity (by id) is its crossing submit.
    last_activity = dict(
        Activity.objects.filter(lead__email__in=list(crossing))
        .order_by("pk")
        .values_list("lead__email", "pk")
    )
    events = {
        e.payload["activity_id"]: e
        for e in OutboxEvent.objects.filter(
            topic="activity.recorded", payload__activity_id__in=list(last_activity.values())
        )
    }
    notes = {
        email: (pk, handoff_at)
        for pk, email, handoff_at in Notification.objects.filter(
            recipient_id=rep_id, handoff__lead__email__in=list(crossing)
        ).values_list("pk", "handoff__lead__email", "handoff__created_at")
    }
    stages: dict[str, list[float]] = {
        "request -> event written": [],
        "event written -> claimed by a drain": [],
        "claimed -> handoff row written": [],
        "handoff row -> notification readable": [],
    }
    for email, sent in crossing.items():
        event = events.get(last_activity.get(email, 0))
        note = notes.get(email)
        if event is None or event.processed_at is None or note is None or note[0] not in first_seen:
            continue
        started = sent.started + to_wall
        written = event.created_at.timestamp()
        claimed = event.processed_at.timestamp()
        handoff_at = note[1].timestamp()
        readable = first_seen[note[0]] + to_wall
        for name, ms in zip(
            stages,
            (written - started, claimed - written, handoff_at - claimed, readable - handoff_at),
            strict=True,
        ):
            stages[name].append(ms * 1000)
    phase.stages_ms = stages


def _crossing_emails(sent: list[Sent]) -> dict[str, Sent]:
    """The leads that must hand off (every submit answered 2xx), with the
    request that crosses."""
    failed = {s.submit.email for s in sent if not 200 <= s.status < 300}
    return {s.submit.email: s for s in sent if s.submit.crosses and s.submit.email not in failed}


def _check(
    phase: Phase,
    *,
    tag: str,
    crossing: dict[str, Sent],
    rep_ids: list[int],
    first_seen: dict[int, float],
) -> None:
    """Latency per crossing (to the first rep's notification) and the counts
    against the database: one handoff per crossing lead, one notification per
    crossing lead and rep, nothing for the others."""
    from django.db.models import Count

    from handoff.models import Handoff, Notification

    ours = {"lead__email__startswith": f"{tag}-"}
    handoffs = Counter(
        dict(
            Handoff.objects.filter(**ours)
            .values("lead__email")
            .annotate(n=Count("pk"))
            .values_list("lead__email", "n")
        )
    )
    rows = Notification.objects.filter(
        kind=Notification.Kind.NEW_HANDOFF, handoff__lead__email__startswith=f"{tag}-"
    ).values_list("pk", "recipient_id", "handoff__lead__email")
    per_lead_and_rep = Counter((email, rep) for _, rep, email in rows)
    phase.handoffs = sum(handoffs.values())
    phase.notifications = len(rows)
    phase.seen = sum(pk in first_seen for pk, _, _ in rows)
    phase.missing = len(set(crossing) - set(handoffs))
    phase.unexpected = len(set(handoffs) - set(crossing))
    phase.duplicated = sum(n - 1 for n in handoffs.values()) + sum(
        n - 1 for n in per_lead_and_rep.values()
    )
    for pk, rep, email in rows:
        if rep == rep_ids[0] and email in crossing and pk in first_seen:
            phase.latencies_ms.append((first_seen[pk] - crossing[email].started) * 1000)


def _report(phase: Phase, *, judge: bool) -> None:
    sent = phase.sent
    ok = [s for s in sent if 200 <= s.status < 300]
    statuses = Counter(s.status for s in sent if not 200 <= s.status < 300)
    span = max(s.started for s in sent) - min(s.started for s in sent)
    rate = (len(sent) - 1) / span if span else 0.0
    print(f"{phase.label}: {RATE}/s for {phase.seconds} s")
    print(
        f"  requests: {len(sent)} sent at {rate:.1f}/s (at most {max(s.lag for s in sent) * 1000:.1f} ms "
        f"behind schedule), {len(ok)} answered 2xx"
        + (f", others: {dict(statuses)}" if statuses else ", none other")
    )
    print(f"  HTTP response: {describe([s.took * 1000 for s in sent])}")
    print(
        "  CPU during the load, in cores: "
        + ", ".join(f"{k} {v:.2f}" for k, v in phase.cores.items() if k != "machine busy")
        + f"; the whole machine (everyone's work) {phase.cores['machine busy']:.2f} of {os.cpu_count()}"
    )
    print(
        "  CPU per activity, until all were scored: "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in phase.cpu_ms.items())
    )
    if phase.outbox_waits_ms:
        print(
            f"  activity event written -> a worker began on it: {describe(phase.outbox_waits_ms)}; "
            f"published more than once: {phase.republished}"
        )
    exactly_once = (
        not (phase.missing or phase.unexpected or phase.duplicated or phase.unscored)
        and phase.notifications == phase.expected_notifications
    )
    print(
        f"  threshold crossings {phase.crossings}: handoffs {phase.handoffs}, rep notifications "
        f"{phase.notifications} of {phase.expected_notifications} ({REPS} reps), seen by the poller "
        f"{phase.seen}; missing {phase.missing}, unexpected {phase.unexpected}, duplicated "
        f"{phase.duplicated}, activities left unscored {phase.unscored}: "
        + ("each exactly once" if exactly_once else "NOT exactly once")
    )
    if not phase.latencies_ms:
        print("  no notification seen")
        return
    unseen = phase.crossings - len(phase.latencies_ms)
    print(
        f"  crossing request starts -> rep's notification readable: {describe(phase.latencies_ms)}"
        + (f", {unseen} never seen" if unseen else "")
    )
    # Step by step only where events are drained as they come: the naive
    # sweep scores a lead's crossing with whichever of its events it takes first.
    for name, values in phase.stages_ms.items() if judge else ():
        if values:
            print(
                f"    {name}: p50 {percentile(values, 50):.1f} ms, p99 {percentile(values, 99):.1f} ms"
            )
    if judge:
        p50, p99 = percentile(phase.latencies_ms, 50), percentile(phase.latencies_ms, 99)
        for source, (want_p50, want_p99) in TARGETS.items():
            met = p50 < want_p50 and p99 < want_p99 and exactly_once and not unseen
            print(
                f"  target ({source}: p50 < {want_p50:.0f} ms, p99 < {want_p99:.0f} ms, "
                f"each exactly once): {'met' if met else 'NOT met'}"
            )


def _forget_queue() -> None:
    """Delete this run's queue from the benchmark's Redis database (messages a
    stopped worker left, kombu's bindings): its name is this run's own."""
    import redis

    client: Any = redis.Redis.from_url(BROKER_URL)
    for key in client.scan_iter(match=f"*{QUEUE}*"):
        client.delete(key)
    client.close()
