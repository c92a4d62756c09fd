"""The served stack for a long while at a steady load: does memory level off?

`make up`'s stack exactly as `make up` starts it (scripts/up.sh: supervisord
running gunicorn per config/gunicorn.py, a Celery worker and Celery beat;
production settings; the cache on the broker's Redis), against a database
and a Redis of its own, takes form submits on the public capture endpoint at
a steady BENCH_SOAK_RATE (30) activities a second for BENCH_SOAK_MINUTES
(30), every lead with a company of its own, one submit in ten crossing the
handoff threshold (a handoff, a notification and an email per rep). Every
BENCH_SOAK_SAMPLE_SECONDS (15) it reads the memory of each process (RSS,
PSS and USS from smaps_rollup) and prints it every minute; at the end, each
process's growth over the second half of the run (least squares, MiB a
minute), which levels off when it is near zero, and whether everything
accepted was scored once. The worker's pool children are replaced after
WORKER_MAX_TASKS_PER_CHILD tasks, so they are judged child by child (the
private memory each held at most in its life, against when it ended).

There is no naive peer here: the comparison is the process with itself over
time. Environment: BENCH_SOAK_MINUTES, BENCH_SOAK_RATE,
BENCH_SOAK_SAMPLE_SECONDS, BENCH_SOAK_PRINT_SECONDS, BENCH_SOAK_OUT (every
sample as a JSON line; BENCH_SOAK_REPORT_FROM prints the report of such a
file again), BENCH_SOAK_DATABASE_URL, BENCH_SOAK_BROKER_URL
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
from typing import NamedTuple

from bench._django import setup

MINUTES = float(os.environ.get("BENCH_SOAK_MINUTES", "30"))
RATE = int(os.environ.get("BENCH_SOAK_RATE", "30"))
SAMPLE_SECONDS = float(os.environ.get("BENCH_SOAK_SAMPLE_SECONDS", "15"))
# Samples are printed this often (all of them count in the report).
PRINT_SECONDS = float(os.environ.get("BENCH_SOAK_PRINT_SECONDS", "60"))
# Every sample as a JSON line in this file (off when unset).
OUT = os.environ.get("BENCH_SOAK_OUT", "")
# The report again, from such a file, without running anything.
REPORT_FROM = os.environ.get("BENCH_SOAK_REPORT_FROM", "")
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
POOL = "worker pool"


def run() -> None:
    if REPORT_FROM:
        _report(_read(Path(REPORT_FROM)))
        return
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
                  f"(port {stack.port}); memory every {SAMPLE_SECONDS:g} s", flush=True)  # fmt: skip
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


class Memory(NamedTuple):
    pid: int
    rss: float
    pss: float
    uss: float


def _memory(pid: int) -> Memory | None:
    """RSS, PSS and USS of a process (MiB), from /proc/PID/smaps_rollup.

    RSS counts every page the process has in memory, shared or not: a pool
    child forked from the worker's main process counts the main's pages it
    has touched. PSS shares each shared page among the processes that map
    it (the stack's PSS add up to what it takes from the machine); USS is
    what only this process holds: what it would give back on exit."""
    fields = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                name, _, rest = line.partition(":")
                if name in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
                    fields[name] = int(rest.split()[0]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    if "Rss" not in fields:
        return None
    private = fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0)
    return Memory(pid, fields["Rss"], fields.get("Pss", 0.0), private)


Sample = tuple[float, dict[str, Memory], Counter[int]]


def _load_and_sample(stack: Stack, path: str, schedule: list) -> list[Sample]:
    """Send the schedule from CONNECTIONS keep-alive connections while the
    main thread samples memory. Returns (minute, memory by process, statuses
    so far)."""
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
    samples: list[Sample] = []
    next_sample = next_print = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_sample:
            memory = {name: m for name, pid in stack.processes().items() if (m := _memory(pid))}
            minute = max(0.0, now - start) / 60
            samples.append((minute, memory, Counter(statuses)))
            _save(minute, memory, statuses)
            if now >= next_print:
                _print_sample(minute, memory, statuses)
                next_print += PRINT_SECONDS
            next_sample += SAMPLE_SECONDS
        if not any(thread.is_alive() for thread in threads):
            break
        time.sleep(0.5)
    # The last answers came after the last sample: count them all.
    samples[-1] = (samples[-1][0], samples[-1][1], Counter(statuses))
    return samples


def _save(minute: float, memory: dict[str, Memory], statuses: Counter[int]) -> None:
    """One JSON line a sample in BENCH_SOAK_OUT (when set), to read again later."""
    if OUT:
        row = {"min": round(minute, 3), "statuses": dict(statuses),
               "memory": {name: m._asdict() for name, m in memory.items()}}  # fmt: skip
        with open(OUT, "a") as out:
            out.write(json.dumps(row) + "\n")


def _read(path: Path) -> list[Sample]:
    """The samples BENCH_SOAK_OUT wrote."""
    samples: list[Sample] = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        memory = {name: Memory(**m) for name, m in row["memory"].items()}
        statuses = Counter({int(status): n for status, n in row["statuses"].items()})
        samples.append((row["min"], memory, statuses))
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


def _print_sample(minute: float, memory: dict[str, Memory], statuses: Counter[int]) -> None:
    shown = ", ".join(f"{name} {m.rss:.1f}/{m.uss:.1f}" for name, m in memory.items())
    print(f"  {minute:5.1f} min (RSS/USS MiB): {shown}; answers so far {dict(statuses)}",
          flush=True)  # fmt: skip


def _slope(points: list[tuple[float, float]]) -> float:
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def _verdict(slope: float) -> str:
    return "level" if slope < LEVEL else "GROWING"


def _report(samples: list[Sample]) -> None:
    """Each long-lived process's growth over the second half, by its RSS:
    every page it has in memory, shared or not, so sharing pages with a
    fork (the worker's pool, gunicorn's workers) does not move it. The
    pool's children are replaced (WORKER_MAX_TASKS_PER_CHILD), each a fresh
    fork, so a name such as "worker pool 1" is several processes one after
    the other: they are judged child by child, by the most private memory
    (USS) each held in its life, against when that life ended. The stack's
    PSS, added up, is what it takes from the machine (for reference: other
    processes using the same libraries move it a little)."""
    last = samples[-1]
    half = last[0] / 2
    sent = sum(last[2].values())
    print(f"after {last[0]:.1f} min, answers {dict(last[2])} "
          f"({sent / max(last[0] * 60, 1):.1f} submits a second on average)")  # fmt: skip
    print("  process: RSS at the start -> at the end, USS at the end (MiB); "
          "growth of RSS over the second half")  # fmt: skip
    for name in [n for n in last[1] if not n.startswith(POOL)]:
        series = [(minute, memory[name]) for minute, memory, _ in samples if name in memory]
        slope = _slope([(m, mem.rss) for m, mem in series if m >= half])
        first, end = series[0][1], series[-1][1]
        print(f"  {name}: {first.rss:.1f} -> {end.rss:.1f}, USS {end.uss:.1f}; "
              f"{slope:+.3f} MiB/min ({_verdict(slope)})")  # fmt: skip
    _report_pool(samples, half)
    for label, prefix in (("the worker's pool", POOL), ("the whole stack", "")):
        totals = [
            (m, sum(mem.pss for name, mem in memory.items() if name.startswith(prefix)))
            for m, memory, _ in samples
        ]
        slope = _slope([point for point in totals if point[0] >= half])
        print(f"  {label}, PSS added up: {totals[0][1]:.1f} -> {totals[-1][1]:.1f}; "
              f"{slope:+.3f} MiB/min over the second half")  # fmt: skip


def _report_pool(samples: list[Sample], half: float) -> None:
    lives: dict[int, list[Memory]] = {}
    for _minute, memory, _ in samples:
        for name, mem in memory.items():
            if name.startswith(POOL):
                lives.setdefault(mem.pid, []).append(mem)
    if not lives:
        return
    minutes = {pid: [m for m, memory, _ in samples if any(x.pid == pid for x in memory.values())]
               for pid in lives}  # fmt: skip
    alive = {mem.pid for name, mem in samples[-1][1].items() if name.startswith(POOL)}
    ended = sorted(
        (minutes[pid][-1], max(m.uss for m in life), max(m.rss for m in life), pid in alive)
        for pid, life in lives.items()
    )
    print(f"  worker pool: {len(lives)} children in all; the most each held, USS / RSS (MiB), "
          "by the minute its life ended (* still alive):")  # fmt: skip
    for row in range(0, len(ended), 6):
        print("    " + ", ".join(f"{end:.0f}{'*' if on else ''}: {uss:.1f} / {rss:.1f}"
                                 for end, uss, rss, on in ended[row:row + 6]))  # fmt: skip
    # A child still alive at the end has not reached its peak: only whole lives count.
    whole = [(end, uss) for end, uss, _rss, on in ended if not on and end >= half]
    if len(whole) >= 3:
        slope = _slope(whole)
        print(f"    the most each child held, lives that ended in the second half "
              f"({len(whole)}): {slope:+.3f} MiB/min ({_verdict(slope)})")  # fmt: skip


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
