"""The served stack for a long while at a steady load: does memory level off?

`make up`'s stack exactly as `make up` starts it (scripts/up.sh: supervisord
running gunicorn per config/gunicorn.py, a Celery worker and Celery beat;
production settings; the cache on the broker's Redis), against a database
and a Redis of its own, takes form submits on the public capture endpoint at
a steady BENCH_SOAK_RATE (30) activities a second for BENCH_SOAK_MINUTES
(30), every lead with a company of its own, one submit in ten crossing the
handoff threshold (a handoff, a notification and an email per rep). Every
BENCH_SOAK_SAMPLE_SECONDS (60) it prints the resident memory (RSS) of each
process; at the end, each process's growth over the second half of the run
(least squares, MiB a minute), which levels off when it is near zero, and
whether everything accepted was scored once.

There is no naive peer here: the comparison is the process with itself over
time. Environment: BENCH_SOAK_MINUTES, BENCH_SOAK_RATE,
BENCH_SOAK_SAMPLE_SECONDS, BENCH_SOAK_DATABASE_URL, BENCH_SOAK_BROKER_URL
(the cache goes on the next Redis database, as `make up` does),
BENCH_SOAK_WALL_MINUTES (stop sending then, however far behind) and
BENCH_SOAK_PROBE_DIR (bench/memprobe's samples of the worker's pool children:
their heap, Python's objects and allocator).
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import subprocess  # nosec B404  # starts `make up`'s script, fixed argv
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench._django import setup

MINUTES = float(os.environ.get("BENCH_SOAK_MINUTES", "30"))
RATE = int(os.environ.get("BENCH_SOAK_RATE", "30"))
SAMPLE_SECONDS = float(os.environ.get("BENCH_SOAK_SAMPLE_SECONDS", "60"))
DATABASE_URL = os.environ.get(
    "BENCH_SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/baton_bench_soak"
)
BROKER_URL = os.environ.get("BENCH_SOAK_BROKER_URL", "redis://127.0.0.1:6379/13")
# A folder for bench/memprobe's samples of the worker's pool children (off when unset).
PROBE_DIR = os.environ.get("BENCH_SOAK_PROBE_DIR", "")
# A busy machine falls behind the schedule: stop sending this many minutes
# after the start, whatever is left (unset: send everything).
WALL_MINUTES = float(os.environ.get("BENCH_SOAK_WALL_MINUTES", "0"))
ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 8
# Growth below this (MiB a minute, second half of the run) counts as level.
LEVEL = 0.05


def run() -> None:
    os.environ.update(DATABASE_URL=DATABASE_URL, CELERY_BROKER_URL=BROKER_URL)
    setup()
    from bench.bench_handoff_latency import _prepare, _schedule

    _empty_tables()
    capture_path, _reps = _prepare()
    seconds = int(MINUTES * 60)
    schedule = _schedule("soak", RATE, seconds)
    with tempfile.TemporaryDirectory(prefix="baton-bench-soak-") as run_dir:
        stack = Stack(Path(run_dir))
        try:
            stack.start()
            print(f"{RATE} form submits a second for {MINUTES:g} min on make up's stack "
                  f"(port {stack.port}); RSS in MiB every {SAMPLE_SECONDS:g} s", flush=True)  # fmt: skip
            samples = _load_and_sample(stack, capture_path, schedule)
            _report(samples)
            _check(accepted=sum(n for status, n in samples[-1][2].items() if status == 202))
        finally:
            stack.stop()


class Stack:
    """scripts/up.sh, as `make up` runs it."""

    def __init__(self, run_dir: Path) -> None:
        from bench.bench_handoff_latency import _free_port

        self.port = _free_port()
        self.run_dir = run_dir
        self.env = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "REDIS_URL")}
        self.env.update(
            DATABASE_URL=DATABASE_URL,
            CELERY_BROKER_URL=BROKER_URL,
            PORT=str(self.port),
            BATON_RUN_DIR=str(run_dir),
            # One test client sends everything: not refused with 429.
            CAPTURE_PER_IP_PER_MINUTE="1000000",
            CAPTURE_PER_KEY_PER_MINUTE="1000000",
            EMAIL_URL="dummymail://",
        )
        if PROBE_DIR:
            Path(PROBE_DIR).mkdir(parents=True, exist_ok=True)
            probe = str(ROOT / "bench" / "memprobe")
            path = os.pathsep.join(p for p in (probe, self.env.get("PYTHONPATH", "")) if p)
            self.env.update(PYTHONPATH=path, BENCH_MEMPROBE_DIR=PROBE_DIR)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        from bench.bench_handoff_latency import _get

        with open(self.run_dir / "stack.log", "wb") as log:
            self.proc = subprocess.Popen(  # nosec B603 B607  # `make up`'s own script
                ["bash", "scripts/up.sh"], cwd=ROOT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 360  # a busy machine boots slowly
        while _get(self.port, "/readyz") != 200 or len(self.processes()) < 4:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((self.run_dir / "stack.log").read_text()[-3000:])
            time.sleep(0.5)
        time.sleep(5)  # the worker's pool and beat settle

    def processes(self) -> dict[str, int]:
        """Each process of the stack by a readable name: supervisord, the
        gunicorn master and workers, the Celery worker and its pool, beat."""
        if self.proc is None:
            return {}
        found = {"supervisord": self.proc.pid}
        for pid in _children(self.proc.pid):
            command = _command(pid)
            if "gunicorn" in command:
                found["web master"] = pid
                for n, child in enumerate(sorted(_children(pid)), 1):
                    found[f"web {n}"] = child
            elif " worker " in command:
                found["worker main"] = pid
                for n, child in enumerate(sorted(_children(pid)), 1):
                    found[f"worker pool {n}"] = child
            elif " beat " in command:
                found["beat"] = pid
        return found

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # Ctrl-C: supervisord stops them all
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:  # never leave a stack behind
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _command(pid: int) -> str:
    try:
        return " " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() + " "
    except OSError:
        return ""


def _rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _load_and_sample(
    stack: Stack, path: str, schedule: list
) -> list[tuple[float, dict[str, float], Counter[int]]]:
    """Send the schedule from CONNECTIONS keep-alive connections while the
    main thread samples RSS. Returns (minute, RSS by process, statuses so far)."""
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for submit in schedule:
        todo.put(submit)
    statuses: Counter[int] = Counter()
    start = time.monotonic() + 0.5
    stop_at = start + WALL_MINUTES * 60 if WALL_MINUTES else float("inf")

    def sender() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
        while time.monotonic() < stop_at:
            try:
                submit = todo.get_nowait()
            except queue.Empty:
                break
            if (delay := start + submit.at - time.monotonic()) > 0:
                time.sleep(delay)
            statuses[_post(conn, path, submit.email)] += 1
        conn.close()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    samples = []
    next_sample = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_sample:
            rss = {name: r for name, pid in stack.processes().items() if (r := _rss_mib(pid))}
            minute = max(0.0, now - start) / 60
            samples.append((minute, rss, Counter(statuses)))
            _print_sample(minute, rss, statuses)
            next_sample += SAMPLE_SECONDS
        if not any(thread.is_alive() for thread in threads):
            break
        time.sleep(0.5)
    # The last answers came after the last sample: count them all.
    samples[-1] = (samples[-1][0], samples[-1][1], Counter(statuses))
    return samples


def _post(conn: http.client.HTTPConnection, path: str, email: str) -> int:
    lead = email.rsplit("@", 1)[0]
    body = json.dumps(
        {"email": email, "family_name": "耐久", "company": f"株式会社{lead}", "consent": True}
    )
    headers = {"Content-Type": "application/json", "User-Agent": "bench-soak"}
    for _attempt in range(2):
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status
        except (http.client.HTTPException, OSError):
            conn.close()  # an idle keep-alive closed by the server: once more
    return 0


def _print_sample(minute: float, rss: dict[str, float], statuses: Counter[int]) -> None:
    memory = ", ".join(f"{name} {mib:.1f}" for name, mib in rss.items())
    print(f"  {minute:5.1f} min: {memory}; answers so far {dict(statuses)}", flush=True)


def _slope(points: list[tuple[float, float]]) -> float:
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def _report(samples: list[tuple[float, dict[str, float], Counter[int]]]) -> None:
    last = samples[-1]
    names = list(last[1])
    half = last[0] / 2
    sent = sum(last[2].values())
    print(f"after {last[0]:.1f} min, answers {dict(last[2])} "
          f"({sent / max(last[0] * 60, 1):.1f} submits a second on average)")  # fmt: skip
    print("  process: RSS at the start -> at the end (MiB); growth over the second half")
    for name in names:
        series = [(minute, rss[name]) for minute, rss, _ in samples if name in rss]
        slope = _slope([(m, r) for m, r in series if m >= half])
        verdict = "level" if slope < LEVEL else "GROWING"
        print(f"  {name}: {series[0][1]:.1f} -> {series[-1][1]:.1f}; "
              f"{slope:+.3f} MiB/min ({verdict})")  # fmt: skip


def _empty_tables() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE crm_lead, crm_outboxevent RESTART IDENTITY CASCADE")


def _check(*, accepted: int) -> None:
    """Nothing lost or doubled: one activity per accepted submit, every one
    scored, every event processed (waiting for the stack to finish), at most
    one handoff per lead and one notification per rep and handoff."""
    from django.db.models import Count

    from crm.models import Activity, OutboxEvent
    from handoff.models import Handoff, Notification

    deadline = time.monotonic() + 300
    while OutboxEvent.objects.filter(processed_at__isnull=True).exists():
        if time.monotonic() > deadline:
            break
        time.sleep(1)
    unscored = Activity.objects.filter(scored_at__isnull=True).count()
    waiting = OutboxEvent.objects.filter(processed_at__isnull=True).count()
    doubled = Handoff.objects.values("lead").annotate(n=Count("pk")).filter(n__gt=1).count()
    doubled += (
        Notification.objects.values("handoff", "recipient", "kind")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    stored = Activity.objects.count()
    ok = stored == accepted and not (unscored or waiting or doubled)
    print(f"  {accepted} submits accepted, {stored} activities stored, unscored {unscored}, "
          f"events waiting {waiting}, handoffs {Handoff.objects.count()}, doubled {doubled}: "
          + ("nothing lost or doubled" if ok else "NOT exactly once"))  # fmt: skip
