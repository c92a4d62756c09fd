"""My day, the team's day, the task list and the Tasks card of record pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Company, Deal
from handoff import services as handoff_services
from handoff.models import SlaDeadline
from tasks import services
from tasks.models import Reminder, Task
from tests import factories
from tests.tasks.helpers import task_on

pytestmark = pytest.mark.django_db


def claimed(rep):
    handoff = factories.qualified_handoff()
    assert handoff_services.claim_handoff(handoff, rep=rep)
    return handoff


def test_home_sends_reps_to_my_day_and_managers_to_the_team(client, rep, manager, marketer):
    for user, where in (
        (rep, "/tasks/day/"),
        (manager, "/tasks/team/"),
        (marketer, "/crm/campaigns/"),
    ):
        client.force_login(user)
        assert client.get("/")["Location"] == where


def test_my_day_shows_what_the_rep_does_today(client, rep, other_rep):
    handoff = claimed(rep)
    overdue = task_on(
        assignee=rep, title="Overdue call", due_at=timezone.now() - timedelta(hours=3)
    )
    later_today = task_on(
        assignee=rep, title="Later today", due_at=timezone.now() + timedelta(minutes=1)
    )
    task_on(assignee=rep, title="Next week", due_at=timezone.now() + timedelta(days=7))
    task_on(assignee=other_rep, title="Someone else's")
    done = task_on(assignee=rep, title="Done already", due_at=timezone.now() - timedelta(hours=1))
    services.complete_task(done, by=rep)
    today = timezone.localdate()
    Deal.objects.create(
        lead=handoff.lead,
        name="Aoba renewal",
        owner=rep,
        expected_close_date=today,
        amount=1200000,
    )
    Deal.objects.create(
        lead=handoff.lead,
        name="Next year",
        owner=rep,
        expected_close_date=date(today.year + 1, 1, 1),
    )
    Reminder.objects.create(task=overdue, recipient=rep, due_at=overdue.due_at)
    client.force_login(rep)
    page = client.get("/tasks/day/").content.decode()
    assert "Overdue call" in page and "Later today" in page
    assert "Next week" not in page and "Someone else" not in page and "Done already" not in page
    assert handoff.lead.display_name in page and "First touch in" in page
    assert "Aoba renewal" in page and "¥1,200,000" in page and "Next year" not in page
    assert "Task due" in page and "1 overdue" in page
    assert later_today.title in page


def test_my_day_shows_a_breached_first_touch_as_overdue(client, rep):
    handoff = claimed(rep)
    SlaDeadline.objects.filter(handoff=handoff, kind="first_touch").update(
        due_at=timezone.now() - timedelta(minutes=5)
    )
    client.force_login(rep)
    assert "First touch overdue" in client.get("/tasks/day/").content.decode()


def queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_my_day_and_the_team_day_take_as_many_queries_with_much_more_data(
    client, rep, other_rep, manager
):
    client.force_login(rep)
    claimed(rep)
    task_on(assignee=rep, due_at=timezone.now() - timedelta(hours=1))
    few = queries(client, "/tasks/day/")
    client.force_login(manager)
    few_team = queries(client, "/tasks/team/")
    for _ in range(4):
        claimed(rep)
    for i in range(40):
        task_on(
            Company.objects.create(name=f"社{i}") if i % 2 else None,
            assignee=rep if i % 3 else other_rep,
            due_at=timezone.now() - timedelta(minutes=i + 1),
        )
    client.force_login(rep)
    assert queries(client, "/tasks/day/") == few
    client.force_login(manager)
    assert queries(client, "/tasks/team/") == few_team


def test_the_team_day_shows_overdue_tasks_per_rep_breaches_and_the_queue(
    client, rep, other_rep, manager
):
    handoff = claimed(rep)
    SlaDeadline.objects.filter(handoff=handoff, kind="first_touch").update(
        due_at=timezone.now() - timedelta(minutes=5), settled_at=timezone.now(), breached=True
    )
    factories.qualified_handoff()  # waiting in the queue
    for _ in range(3):
        task_on(assignee=other_rep, due_at=timezone.now() - timedelta(days=1))
    task_on(assignee=rep, due_at=timezone.now() + timedelta(days=1))  # not overdue
    client.force_login(manager)
    response = client.get("/tasks/team/")
    team = response.context["team"]
    assert [(r["assignee"], r["count"]) for r in team.overdue_by_rep] == [(other_rep.pk, 3)]
    assert team.breach_count == 1 and team.queued_count == 1
    page = response.content.decode()
    assert "Ken Tanaka" in page and handoff.lead.display_name in page


def test_the_task_list_sorts_the_users_tasks(client, rep):
    task_on(assignee=rep, title="Late", due_at=timezone.now() - timedelta(days=1))
    task_on(assignee=rep, title="Soon", due_at=timezone.now() + timedelta(days=3))
    client.force_login(rep)
    context = client.get("/tasks/").context
    assert [t.title for t in context["overdue"]] == ["Late"]
    assert [t.title for t in context["upcoming"]] == ["Soon"]


@pytest.mark.parametrize("kind", ["lead", "company", "handoff"])
def test_the_record_pages_show_their_tasks_and_add_one(client, rep, kind):
    handoff = claimed(rep)
    record = {
        "lead": handoff.lead,
        "company": Company.objects.create(name="株式会社青葉"),
        "handoff": handoff,
    }[kind]
    page_url = {
        "lead": f"/crm/leads/{handoff.lead_id}/",
        "company": f"/crm/companies/{record.pk}/",
        "handoff": f"/sales/handoffs/{handoff.pk}/",
    }[kind]
    client.force_login(rep)
    due = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/tasks/on/{kind}/{record.pk}/",
        {
            "title": "Send <b>the</b> brochure",
            "due_at": due,
            "assignee": rep.pk,
            "priority": 3,
            "next": page_url,
        },
    )
    assert response["Location"] == page_url
    task = Task.objects.get()
    assert getattr(task, kind) == record and task.priority == 3
    page = client.get(page_url).content.decode()
    assert 'data-testid="record-tasks"' in page
    assert "Send &lt;b&gt;the&lt;/b&gt; brochure" in page


def test_adding_a_task_refuses_bad_input_with_sentences(client, rep):
    lead = factories.lead(owner=rep)
    client.force_login(rep)
    response = client.post(
        f"/tasks/on/lead/{lead.pk}/",
        {"title": "", "due_at": "tomorrow", "assignee": "x"},
        follow=True,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter the date and time it is due." in page and "Choose someone on the team." in page
    assert not Task.objects.exists()


def test_out_of_scope_records_and_tasks_are_404_like_missing_ones(client, rep, other_rep):
    theirs = factories.lead(owner=other_rep)
    client.force_login(rep)
    due = {"title": "x", "due_at": "2030-01-01T10:00", "assignee": rep.pk}
    assert client.post(f"/tasks/on/lead/{theirs.pk}/", due).status_code == 404
    assert client.post("/tasks/on/lead/999999/", due).status_code == 404
    assert client.post("/tasks/on/campaign/1/", due).status_code == 404
    task = task_on(assignee=other_rep)
    missing = client.post("/tasks/999999/done/")
    hidden = client.post(f"/tasks/{task.pk}/done/")
    assert hidden.status_code == missing.status_code == 404 and hidden.content == missing.content
    assert client.get(f"/tasks/{task.pk}/").status_code == 404


def test_completing_and_moving_a_task_from_the_pages(client, rep):
    task = task_on(assignee=rep)
    client.force_login(rep)
    assert (
        client.post(f"/tasks/{task.pk}/done/", {"next": "https://evil.example/"})["Location"]
        == task.record_url
    )
    task.refresh_from_db()
    assert task.done_by == rep
    client.post(f"/tasks/{task.pk}/reopen/")
    new_due = (timezone.localtime() + timedelta(days=5)).replace(second=0, microsecond=0)
    response = client.post(
        f"/tasks/{task.pk}/",
        {
            "title": "Moved",
            "due_at": new_due.strftime("%Y-%m-%dT%H:%M"),
            "assignee": rep.pk,
            "priority": 2,
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Moved" and task.due_at == new_due and task.done_at is None


def test_the_team_day_names_reps_as_every_page_does(client_as, manager, rep):
    from accounts.models import LanguagePreference

    rep.first_name, rep.last_name = "太郎", "鈴木"
    rep.save(update_fields=["first_name", "last_name"])
    task_on(assignee=rep, due_at=timezone.now() - timedelta(days=1))
    for language in ("ja", "en"):
        LanguagePreference.objects.update_or_create(user=manager, defaults={"language": language})
        page = client_as(manager).get("/tasks/team/").content.decode()
        assert "<td>鈴木 太郎</td>" in page, language


def test_the_tasks_card_offers_the_team_by_name_the_reader_chosen(client, rep, other_rep, marketer):
    rep.first_name, rep.last_name = "花子", "佐藤"
    rep.save()
    lead = factories.lead(owner=rep)
    client.force_login(rep)
    page = client.get(lead.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    select = page[
        page.index('name="assignee"') : page.index("</select>", page.index('name="assignee"'))
    ]
    assert f'<option value="{rep.pk}" selected>佐藤 花子</option>' in select
    assert f'<option value="{other_rep.pk}">' in select
    assert f'<option value="{marketer.pk}">Sato Hanako</option>' in select
