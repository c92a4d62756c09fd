"""`make up` supervises its processes.

The stack starts as `make up` starts it (scripts/up.sh, supervisord), on a
free port, against a throwaway PostgreSQL cluster and a private Redis. Each
program is killed with SIGKILL in turn: supervisord starts it again, the
others keep their process (gunicorn answering throughout while the worker
and beat are down), and the new worker works. Then Ctrl-C: everything stops,
in order, and supervisord exits. (Under honcho a killed worker took gunicorn
and beat down within 3 s, and nothing came back.)
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from tests.conftest import wait_until

pytestmark = [
    pytest.mark.services,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Prober(threading.Thread):
    """GET /healthz every 50 ms; the statuses seen (0: no answer)."""

    def __init__(self, stack) -> None:
        super().__init__(daemon=True)
        self.stack = stack
        self.statuses: list[int] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.statuses.append(self.stack.get("/healthz", timeout=5))
            time.sleep(0.05)

    def stop(self) -> list[int]:
        self.halt.set()
        self.join()
        return self.statuses


def restarted(stack, name: str, old: int) -> int:
    """Wait until supervisord runs `name` again under a new process id."""
    return wait_until(
        lambda: (pid := stack.programs().get(name)) not in (None, old) and pid, timeout=60
    )


def test_a_killed_process_is_restarted_and_ctrl_c_stops_everything(served_stack):
    stack = served_stack()
    before = stack.programs()
    assert set(before) == {"web", "worker", "beat"}

    prober = Prober(stack)
    prober.start()
    for name in ("worker", "beat"):
        os.kill(stack.programs()[name], signal.SIGKILL)
        restarted(stack, name, before[name])
    wait_until(stack.worker_answers, timeout=60)  # the new worker takes messages
    statuses = prober.stop()
    assert statuses and set(statuses) == {200}, statuses  # gunicorn answered throughout
    assert stack.programs()["web"] == before["web"]

    os.kill(before["web"], signal.SIGKILL)
    restarted(stack, "web", before["web"])
    wait_until(lambda: stack.get("/readyz") == 200, timeout=60)

    took = stack.interrupt()
    print(f"Ctrl-C: everything stopped in {took:.1f} s")  # -s shows it
