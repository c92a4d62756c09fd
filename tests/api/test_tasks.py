"""Tasks through the API: made on a record the caller sees, moved, completed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Company
from tasks.models import Task
from tests import factories
from tests.api.conftest import token_client
from tests.tasks.helpers import task_on

pytestmark = pytest.mark.django_db


def test_a_rep_makes_lists_moves_and_completes_a_task(rep):
    lead = factories.lead(owner=rep)
    api = token_client(rep)
    made = api.post(
        "/api/v1/tasks/",
        {
            "lead": lead.pk,
            "title": "見積を送る",
            "due_at": "2030-01-07T10:00:00+09:00",
            "priority": 3,
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["assignee"] == rep.pk and body["created_by"] == rep.pk and body["priority"] == 3
    task = Task.objects.get(pk=body["id"])
    Task.objects.filter(pk=task.pk).update(reminded_at=timezone.now())
    moved = api.patch(
        f"/api/v1/tasks/{task.pk}/", {"due_at": "2030-01-08T10:00:00+09:00"}, format="json"
    )
    assert moved.status_code == 200
    task.refresh_from_db()
    assert task.reminded_at is None  # reminded again at the new time
    listed = api.get("/api/v1/tasks/", {"lead": lead.pk}).json()
    assert [t["id"] for t in listed["results"]] == [task.pk]
    done = api.post(f"/api/v1/tasks/{task.pk}/complete/").json()
    assert done["done_by"] == rep.pk and done["done_at"]
    assert api.post(f"/api/v1/tasks/{task.pk}/reopen/").json()["done_at"] is None


def test_exactly_one_record_and_only_a_visible_one(rep, other_rep):
    api = token_client(rep)
    company = Company.objects.create(name="株式会社青葉")
    lead = factories.lead(owner=rep)
    both = api.post(
        "/api/v1/tasks/",
        {"lead": lead.pk, "company": company.pk, "title": "x", "due_at": "2030-01-07T10:00:00Z"},
        format="json",
    )
    assert both.status_code == 422
    none = api.post(
        "/api/v1/tasks/", {"title": "x", "due_at": "2030-01-07T10:00:00Z"}, format="json"
    )
    assert none.status_code == 422
    hidden = factories.lead(owner=other_rep)
    refused = api.post(
        "/api/v1/tasks/",
        {"lead": hidden.pk, "title": "x", "due_at": "2030-01-07T10:00:00Z"},
        format="json",
    )
    assert refused.status_code == 404
    assert not Task.objects.exists()


def test_the_record_stays_and_others_tasks_are_404(rep, other_rep):
    mine = task_on(assignee=rep)
    theirs = task_on(assignee=other_rep, due_at=timezone.now() + timedelta(days=1))
    api = token_client(rep)
    other_lead = factories.lead(owner=rep)
    api.patch(f"/api/v1/tasks/{mine.pk}/", {"lead": other_lead.pk}, format="json")
    mine.refresh_from_db()
    assert mine.lead_id != other_lead.pk
    assert api.get(f"/api/v1/tasks/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/tasks/{theirs.pk}/complete/").status_code == 404
