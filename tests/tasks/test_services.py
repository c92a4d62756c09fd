"""Tasks: made on each kind of record, moved, completed; follow-ups counted in
business days on the handoff policy's calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import Company, Deal
from handoff import services as handoff_services
from tasks import services
from tasks.models import Task
from tests import factories
from tests.tasks.helpers import task_on

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def test_a_task_sits_on_exactly_one_record(rep):
    lead = factories.lead()
    company = Company.objects.create(name="株式会社青葉商事")
    deal = Deal.objects.create(lead=lead, name="Aoba", owner=rep)
    handoff = factories.qualified_handoff()
    for record, field in (
        (lead, "lead"),
        (company, "company"),
        (deal, "deal"),
        (handoff, "handoff"),
    ):
        task = task_on(record, assignee=rep)
        assert getattr(task, f"{field}_id") == record.pk
        assert task.record == record
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(
            title="x", due_at=timezone.now(), assignee=rep, lead=lead, company=company
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(title="x", due_at=timezone.now(), assignee=rep)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Thursday 15:20 + 2 business days: Monday 15:20.
        (tokyo(2026, 6, 4, 15, 20), 2, tokyo(2026, 6, 8, 15, 20)),
        # Friday evening (after hours): brought to the last hour before closing.
        (tokyo(2026, 6, 5, 20, 0), 1, tokyo(2026, 6, 8, 17, 0)),
        # Early morning: brought to the opening.
        (tokyo(2026, 6, 5, 7, 0), 1, tokyo(2026, 6, 8, 9, 0)),
        # Over Golden Week: 4 May (みどりの日), 5 May (こどもの日), 6 May (振替休日) are closed.
        (tokyo(2026, 5, 1, 10, 0), 1, tokyo(2026, 5, 7, 10, 0)),
        # Over the New Year closure.
        (tokyo(2026, 12, 28, 11, 0), 1, tokyo(2027, 1, 4, 11, 0)),
        # Zero: today, at the same time.
        (tokyo(2026, 6, 4, 10, 0), 0, tokyo(2026, 6, 4, 10, 0)),
    ],
)
def test_follow_up_in_business_days(start, days, due):
    assert services.follow_up_due(days, start=start) == due


def test_follow_up_is_the_reps_own_task_and_capped(rep):
    lead = factories.lead()
    task = services.follow_up(lead, title="Follow up", days=999, by=rep)
    assert task.assignee == rep and task.created_by == rep
    assert task.due_at > timezone.now() + timedelta(days=60)


def test_moving_a_task_clears_its_reminder_and_completing_is_once(rep, other_rep):
    task = task_on(assignee=rep, due_at=timezone.now() - timedelta(minutes=5))
    Task.objects.filter(pk=task.pk).update(reminded_at=timezone.now())
    task.refresh_from_db()
    same = services.TaskDetails(title="Renamed", due_at=task.due_at, assignee=rep)
    assert services.update_task(task, same).reminded_at is not None  # not moved
    later = services.TaskDetails(
        title="Renamed", due_at=task.due_at + timedelta(days=1), assignee=rep
    )
    assert services.update_task(task, later).reminded_at is None
    assert services.complete_task(task, by=other_rep)
    assert not services.complete_task(task, by=rep)
    task.refresh_from_db()
    assert task.done_by == other_rep and task.done_at is not None
    assert services.reopen_task(task) and task.done_at is None


def test_visibility_assignee_creator_and_managers(rep, other_rep, manager, marketer):
    mine = task_on(assignee=rep)
    given = task_on(assignee=other_rep, by=rep)
    theirs = task_on(assignee=other_rep)
    assert set(Task.objects.visible_to(rep)) == {mine, given}
    assert set(Task.objects.visible_to(other_rep)) == {given, theirs}
    assert set(Task.objects.visible_to(manager)) == {mine, given, theirs}
    assert set(Task.objects.visible_to(marketer)) == set()


def test_accepting_with_a_next_step_makes_a_task_on_the_handoff(client, rep):
    handoff = factories.qualified_handoff()
    assert handoff_services.claim_handoff(handoff, rep=rep)
    client.force_login(rep)
    response = client.post(
        f"/sales/handoffs/{handoff.pk}/accept/",
        {"next": "detail", "next_step": "Send the quote", "next_step_days": "3"},
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.handoff == handoff and task.title == "Send the quote" and task.assignee == rep
    assert (
        task.due_at.astimezone(TOKYO).date() == services.follow_up_due(3).astimezone(TOKYO).date()
    )


def test_accept_refuses_a_next_step_too_far_and_accepts_nothing(client, rep):
    handoff = factories.qualified_handoff()
    assert handoff_services.claim_handoff(handoff, rep=rep)
    client.force_login(rep)
    client.post(f"/sales/handoffs/{handoff.pk}/accept/", {"next_step": "x", "next_step_days": "99"})
    handoff.refresh_from_db()
    assert handoff.status == "claimed" and not Task.objects.exists()


def test_logging_a_touch_with_a_follow_up_makes_the_task(client, rep):
    handoff = factories.qualified_handoff()
    assert handoff_services.claim_handoff(handoff, rep=rep)
    client.force_login(rep)
    response = client.post(
        f"/sales/leads/{handoff.lead_id}/touch/",
        {"kind": "call", "note": "Asked for a demo", "follow_up_days": "2", "handoff": handoff.pk},
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.handoff == handoff and task.title == "Follow up: Call"
    assert task.due_at == services.follow_up_due(2, start=task.created_at)


def test_a_touch_without_a_follow_up_makes_no_task_and_a_bad_one_logs_nothing(client, rep):
    handoff = factories.qualified_handoff()
    assert handoff_services.claim_handoff(handoff, rep=rep)
    client.force_login(rep)
    client.post(f"/sales/leads/{handoff.lead_id}/touch/", {"kind": "call", "follow_up_days": ""})
    assert not Task.objects.exists()
    response = client.post(
        f"/sales/leads/{handoff.lead_id}/touch/",
        {"kind": "call", "follow_up_days": "-1"},
        follow=True,
    )
    assert "A follow-up is due in 0 to 60 business days." in response.content.decode()
    assert handoff.lead.activities.filter(kind="call").count() == 1


def test_demo_tasks_land_on_the_reps_worked_handoffs(rep):
    import random

    from tasks.demo import seed_tasks

    handoff = factories.qualified_handoff()
    assert handoff_services.claim_handoff(handoff, rep=rep)
    assert seed_tasks([rep], timezone.now(), random.Random(1)) == 1
    assert Task.objects.get().handoff == handoff
