"""The Celery worker keeps its PostgreSQL connections from task to task.

Celery's Django fixup closes them around every task unless CELERY_DB_REUSE_MAX
says otherwise: a new backend (a fork and a login) per task, forty a second
at the handoff benchmark's load. Django's own rules close the old or broken
ones instead (config/celery.py).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from crm.models import OutboxEvent
from tests.conftest import wait_until

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def other_backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def scored(client, campaign, email: str) -> None:
    response = client.post(
        reverse("capture", args=[campaign.capture_key]), {"email": email, "family_name": "山田"}
    )
    assert response.status_code == 200
    wait_until(lambda: not OutboxEvent.objects.filter(processed_at__isnull=True).exists())


def test_the_worker_keeps_its_database_connection_between_tasks(celery_worker, client, campaign):
    scored(client, campaign, "first@example.jp")
    kept = other_backends()
    assert kept, "the worker closed its connection after the task"
    for n in range(3):
        scored(client, campaign, f"next{n}@example.jp")
    assert kept & other_backends(), "the worker connected again for later tasks"
