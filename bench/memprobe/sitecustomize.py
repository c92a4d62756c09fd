"""A memory probe for the soak's Celery pool children (bench_soak with
BENCH_SOAK_PROBE_DIR): put on PYTHONPATH of the stack only, never of the app.

In each process forked by a Celery worker (its pool children) a thread writes,
every BENCH_MEMPROBE_SECONDS (30), one JSON line to
BENCH_MEMPROBE_DIR/probe-<pid>.jsonl: RSS, glibc's mallinfo2 (bytes in use,
free inside the heap, mmapped), Python's allocated blocks, the number of
objects the garbage collector tracks and the types that grew most, and with
BENCH_MEMPROBE_TRACEMALLOC=1 tracemalloc's traced memory and a snapshot
file each time. A file named `trim` in that folder makes the next sample
call malloc_trim(0) and record RSS after it.
"""

from __future__ import annotations

import os
import sys

_DIR = os.environ.get("BENCH_MEMPROBE_DIR")


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _smaps() -> dict[str, int]:
    """Rss, Pss, Private_Dirty and Anonymous of this process, KiB."""
    wanted = ("Rss", "Pss", "Private_Dirty", "Anonymous")
    found = {}
    with open("/proc/self/smaps_rollup") as rollup:
        for line in rollup:
            name, _, rest = line.partition(":")
            if name in wanted:
                found[name] = int(rest.split()[0])
    return found


def _pymalloc() -> dict[str, int]:
    """pymalloc's arenas and bytes (sys._debugmallocstats, which writes to
    file descriptor 2: borrowed for the moment)."""
    import tempfile

    wanted = {
        "# arenas allocated current": "arenas",
        "# bytes in allocated blocks": "allocated_kib",
        "# bytes in available blocks": "available_kib",
        "# arenas highwater mark": "arenas_highwater",
    }
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        text = captured.read().decode(errors="replace")
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        key = wanted.get(name.strip())
        if key and value.strip().replace(",", "").isdigit():
            number = int(value.strip().replace(",", ""))
            found[key] = number if key.startswith("arenas") else number // 1024
    return found


def _probe(directory: str) -> None:
    import ctypes
    import gc
    import json
    import threading
    import time
    import tracemalloc
    from collections import Counter

    libc = ctypes.CDLL("libc.so.6")

    class Mallinfo2(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_size_t)
            for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                         "fsmblks", "uordblks", "fordblks", "keepcost")
        ]  # fmt: skip

    has_mallinfo = hasattr(libc, "mallinfo2")
    if has_mallinfo:
        libc.mallinfo2.restype = Mallinfo2
    seconds = float(os.environ.get("BENCH_MEMPROBE_SECONDS", "30"))
    traced = os.environ.get("BENCH_MEMPROBE_TRACEMALLOC") == "1"
    if traced:
        tracemalloc.start(12)
    pid = os.getpid()
    out = os.path.join(directory, f"probe-{pid}.jsonl")
    started = time.monotonic()
    tasks: Counter[str] = Counter()

    from celery import signals

    def count(sender: object = None, **_kwargs: object) -> None:
        tasks[getattr(sender, "name", "?").rsplit(".", 1)[-1]] += 1

    signals.task_prerun.connect(count, weak=False)

    def loop() -> None:
        previous: Counter[str] = Counter()
        n = 0
        while True:
            time.sleep(seconds)
            n += 1
            row: dict[str, object] = {"min": round((time.monotonic() - started) / 60, 2)}
            row["rss_kib"] = _rss_kib()
            row["smaps"] = _smaps()
            row["tasks"] = dict(tasks)
            if has_mallinfo:
                info = libc.mallinfo2()
                row["malloc"] = {name: getattr(info, name) // 1024 for name, _ in info._fields_}
            row["blocks"] = sys.getallocatedblocks()
            row["pymalloc"] = _pymalloc()
            types = Counter(type(o).__name__ for o in gc.get_objects())
            row["gc_objects"] = sum(types.values())
            row["types"] = dict(types.most_common(15))
            row["grew"] = dict((types - previous).most_common(8))
            previous = types
            if traced:
                row["traced_kib"] = tracemalloc.get_traced_memory()[0] // 1024
                row["tracemalloc_kib"] = tracemalloc.get_tracemalloc_memory() // 1024
                tracemalloc.take_snapshot().dump(os.path.join(directory, f"snap-{pid}-{n}.tm"))
            if os.path.exists(os.path.join(directory, "trim")):
                libc.malloc_trim(0)
                row["rss_after_trim_kib"] = _rss_kib()
            with open(out, "a") as file:
                file.write(json.dumps(row) + "\n")

    threading.Thread(target=loop, name="memprobe", daemon=True).start()


def _after_fork() -> None:
    argv = " ".join(sys.argv)
    if _DIR and "celery" in argv and " worker" in argv:
        _probe(_DIR)


if _DIR:
    os.register_at_fork(after_in_child=_after_fork)
