"""Redis stopped for 30 s under load, on `make up`'s stack configured as
`make up` configures it: the broker and the cache on the same Redis
(scripts/up.sh puts CACHE_URL on the broker's server, next database, as
docker-compose does), gunicorn, worker and beat under supervisord.

Captures, page views and API batches arrive without pause before, during and
after the outage. Every request is answered without a 5xx: the rate limits
and the API's throttle count per process while the cache is away, and the
outbox holds the events. Once Redis is back (empty: no AOF on these
machines) beat's sweep asks for what waited, and at the end every accepted
capture and batch item is stored once, scored once, handed off and notified
once. (Before, this test saw HTTP 500 for every request during the outage:
480 captures, 251 page views and 29 batches.)
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from tests.conftest import wait_until
from tests.faults.conftest import PrivatePostgres, drained
from tests.faults.test_postgres_restart import SETUP, unprocessed

pytestmark = [
    pytest.mark.services,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OUTAGE_SECONDS = 30
BATCH_LEADS = [f"batch{n}@example.jp" for n in range(5)]
TOKEN = """
from io import StringIO
from django.core.management import call_command
from crm.models import Lead
for email in EMAILS:
    Lead.objects.create(email=email, family_name="一括")
out = StringIO()
call_command("create_api_token", "marketer", stdout=out)
print(out.getvalue().split()[-1])
"""


@dataclass
class Load:
    """Clients posting in threads: what each request was answered."""

    base: str
    capture_key: str
    token: str
    answers: list[tuple[str, float, int]] = field(default_factory=list)  # kind, when, status
    captured: list[str] = field(default_factory=list)
    batched: Counter[str] = field(default_factory=Counter)
    halt: threading.Event = field(default_factory=threading.Event)

    def post(self, kind: str, path: str, body: object, headers: dict[str, str]) -> dict:
        request = urllib.request.Request(
            f"{self.base}{path}", data=json.dumps(body).encode(), headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, b""
        except OSError:
            status, text = 0, b""
        self.answers.append((kind, time.monotonic(), status))
        return json.loads(text) if status in (200, 201, 202) and text else {}

    def visitor(self, name: str) -> None:
        n = 0
        while not self.halt.wait(0.1):
            n += 1
            email = f"{name}-{n}@example.jp"
            body = {"email": email, "family_name": "停止"}
            headers = {"Content-Type": "application/json"}
            if self.post("capture", f"/capture/{self.capture_key}/", body, headers):
                self.captured.append(email)

    def page_views(self) -> None:
        body = {"v": "v" * 24, "u": "https://aoba.example.jp/pricing", "t": "料金"}
        while not self.halt.wait(0.1):
            self.post("page view", "/nurture/collect/", body, {"Content-Type": "text/plain"})

    def batches(self) -> None:
        headers = {"Content-Type": "application/json", "Authorization": f"Token {self.token}"}
        n = 0
        while not self.halt.wait(1):
            n += 1
            items = [
                {"email": email, "kind": "page_view", "external_id": f"b{n}-{i}"}
                for i, email in enumerate(BATCH_LEADS * 4)
            ]
            answer = self.post("batch", "/api/v1/activities/batch/", {"activities": items}, headers)
            for item, result in zip(items, answer.get("results", []), strict=False):
                self.batched[item["email"]] += result["status"] == "created"

    @contextmanager
    def running(self) -> Iterator[None]:
        threads = [
            threading.Thread(target=self.visitor, args=("v0",)),
            threading.Thread(target=self.visitor, args=("v1",)),
            threading.Thread(target=self.page_views),
            threading.Thread(target=self.batches),
        ]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            self.halt.set()
            for thread in threads:
                thread.join(timeout=60)

    def during(self, start: float, end: float) -> Counter[tuple[str, int]]:
        return Counter((kind, s) for kind, at, s in self.answers if start <= at <= end)


def count(cluster: PrivatePostgres, query: str) -> int:
    return int(cluster.run_python(f"from django.db import connection\n{query}").strip())


def test_a_30_second_redis_outage_refuses_nothing_and_loses_nothing(
    private_postgres, broker, served_stack, mail_dir
):
    cluster = private_postgres
    capture_key = cluster.run_python(SETUP).strip().splitlines()[-1]
    token = cluster.run_python(f"EMAILS = {BATCH_LEADS!r}\n{TOKEN}").strip().splitlines()[-1]
    # Rate limits raised only so that one test client is not refused with 429.
    stack = served_stack(
        CAPTURE_PER_IP_PER_MINUTE="100000",
        CAPTURE_PER_KEY_PER_MINUTE="100000",
        NURTURE_COLLECT_PER_IP_PER_MINUTE="100000",
        API_THROTTLE_USER="100000/minute",
        OUTBOX_REPUBLISH_SECONDS="5",
    )
    load = Load(stack.url, capture_key, token)

    with load.running():
        time.sleep(10)
        down = time.monotonic()
        broker.stop()
        time.sleep(OUTAGE_SECONDS)
        broker.start()
        up = time.monotonic()
        time.sleep(10)

    in_outage = load.during(down, up)
    statuses = Counter(status for _kind, _at, status in load.answers)
    print(f"answers: {dict(statuses)}; during the outage: {dict(in_outage)}")  # -s shows it
    assert all(200 <= status < 300 for status in statuses), statuses
    assert {kind for kind, _status in in_outage} == {"capture", "page view", "batch"}

    def settled() -> bool:
        return unprocessed(cluster) == 0 and drained(broker.url)

    wait_until(settled, timeout=180, interval=1)  # beat sweeps every 10 s
    accepted = dict.fromkeys(load.captured, 1) | dict(load.batched)
    args = json.dumps({"accepted": accepted, "exact": True, "mail_dir": str(mail_dir)})
    found = cluster.run_python("from tests.faults.invariants import main; main()", stdin=args)
    assert json.loads(found) == []
    views = count(cluster, "from nurture.models import PageView; print(PageView.objects.count())")
    assert views == sum(1 for kind, _at, _s in load.answers if kind == "page view")
    assert stack.programs().keys() == {"web", "worker", "beat"}
