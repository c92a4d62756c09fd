"""A due task's reminder is a notification like the others: it counts in
the top bar's badge and shows in the notification list (linking to the
task's record), once each, read or unread as the rest."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Company
from deals import services as deals
from handoff.models import Notification
from tasks import reminders, services
from tasks.models import Reminder
from tests import factories
from tests.tasks.helpers import task_on

pytestmark = pytest.mark.django_db

BADGE = reverse("handoff:notification_badge")
LIST = reverse("handoff:notifications")


def remind(*tasks):
    """Sweep as if every task were due (the sweep's test-only clock)."""
    latest = max(task.due_at for task in tasks)
    return reminders.sweep(now=latest + timedelta(minutes=1)).reminded


def badge(client) -> int:
    html = client.get(BADGE).content.decode()
    return int(html.rsplit(">", 2)[-2].split("<")[0])


def test_a_due_reminder_counts_once_in_the_badge_and_shows_once_in_the_list(client_as, rep):
    task = task_on(assignee=rep, title="青葉商事に電話")
    client = client_as(rep)
    assert badge(client) == 0
    assert remind(task) == 1
    assert remind(task) == 0  # a second sweep: nothing new
    assert badge(client) == 1
    html = client.get(LIST).content.decode()
    assert html.count('data-testid="reminder-notification"') == 1
    assert html.count("青葉商事に電話") == 1
    assert f'href="/crm/leads/{task.lead_id}/"' in html  # the task's record
    # The htmx refresh of the list shows it too.
    fragment = client.get(LIST, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.count('data-testid="reminder-notification"') == 1


def test_reminders_and_handoff_notifications_are_counted_and_listed_together(
    client_as, rep, campaign
):
    factories.qualified_handoff(campaign)  # the open queue tells every rep
    assert Notification.objects.filter(recipient=rep).count() == 1
    remind(task_on(assignee=rep, title="見積もりを送る"))
    client = client_as(rep)
    assert badge(client) == 2
    entries = client.get(LIST).context["entries"]
    assert [type(e.item).__name__ for e in entries] == ["Reminder", "Notification"]


def test_mark_all_as_read_reads_the_reminders_too(client_as, rep, other_rep):
    mine = task_on(assignee=rep, title="mine")
    theirs = task_on(assignee=other_rep, title="theirs")
    remind(mine, theirs)
    client = client_as(rep)
    client.post(reverse("handoff:mark_all_read"))
    assert badge(client) == 0
    assert Reminder.objects.get(task=mine).read_at is not None
    assert Reminder.objects.get(task=theirs).read_at is None  # another user's
    html = client.get(LIST).content.decode()
    assert "notification-unread" not in html and "mine" in html


def test_completing_the_task_reads_its_reminder(client_as, rep):
    task = task_on(assignee=rep)
    remind(task)
    services.complete_task(task, by=rep)
    assert badge(client_as(rep)) == 0


def test_a_user_sees_only_their_own_reminders(client_as, rep, other_rep):
    remind(task_on(assignee=other_rep, title="other rep's call"))
    client = client_as(rep)
    assert badge(client) == 0
    assert "other rep's call" not in client.get(LIST).content.decode()


def test_a_reminder_opens_the_record_its_task_is_on(client_as, rep):
    company = Company.objects.create(name="青葉商事株式会社")
    lead = factories.lead(owner=rep)
    deal = deals.open_deal(lead, by=rep, terms=deals.DealTerms(name="導入", amount=Decimal(1)))
    on_company = task_on(company, assignee=rep, title="on company")
    on_deal = task_on(deal, assignee=rep, title="on deal")
    remind(on_company, on_deal)
    html = client_as(rep).get(LIST).content.decode()
    assert f'href="/crm/companies/{company.pk}/"' in html
    assert f'href="/deals/{deal.pk}/"' in html


def test_the_list_and_the_badge_take_a_fixed_number_of_queries(client_as, rep, campaign):
    client = client_as(rep)
    client.get(LIST)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as listed:
            client.get(LIST)
        with CaptureQueriesContext(connection) as counted:
            client.get(BADGE)
        return len(listed), len(counted)

    remind(task_on(assignee=rep))
    few = count()
    company = Company.objects.create(name="株式会社テスト")
    remind(*[task_on(company, assignee=rep, title=f"task {n}") for n in range(10)])
    for _ in range(3):
        factories.qualified_handoff(campaign)
    assert count() == few


def test_the_list_shows_the_reminders_in_japanese(client_as, rep):
    remind(task_on(assignee=rep, title="電話する", due_at=timezone.now() + timedelta(hours=1)))
    html = client_as(rep).get(LIST, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "タスクの期限" in html and "期限 " in html
