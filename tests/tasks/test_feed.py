"""The calendar feed: a secret address per user, read-only, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from handoff import services as handoff_services
from tasks import feed, services
from tasks.models import CalendarFeed
from tests import factories
from tests.tasks.helpers import task_on

pytestmark = pytest.mark.django_db


def feed_path(user, token):
    return f"/tasks/calendar/{user.pk}/{token}.ics"


def test_the_feed_lists_open_tasks_and_first_touch_deadlines(client, rep, other_rep):
    handoff = factories.qualified_handoff()
    assert handoff_services.claim_handoff(handoff, rep=rep)
    task = task_on(assignee=rep, title="Call 山田さん back")
    done = task_on(assignee=rep, title="Already done")
    services.complete_task(done, by=rep)
    task_on(assignee=other_rep, title="Not mine")
    token = feed.issue(rep)
    response = client.get(feed_path(rep, token))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    calendar = Calendar.from_ical(response.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        f"task-{task.pk}@baton",
        f"sla-{handoff.deadlines.get(kind='first_touch').pk}@baton",
    }
    assert str(events[f"task-{task.pk}@baton"]["summary"]) == "Call 山田さん back"
    assert events[f"task-{task.pk}@baton"].decoded("dtstart") == task.due_at.replace(microsecond=0)
    sla = events[f"sla-{handoff.deadlines.get(kind='first_touch').pk}@baton"]
    assert str(sla["summary"]).startswith("First touch due:")


def test_a_wrong_token_a_revoked_feed_and_an_old_address_are_404(client, rep, other_rep):
    token = feed.issue(rep)
    other = feed.issue(other_rep)
    missing = client.get(feed_path(rep, "x" * 43))
    assert missing.status_code == 404
    assert client.get(feed_path(rep, other)).content == missing.content  # someone else's token
    assert client.get(f"/tasks/calendar/999999/{token}.ics").status_code == 404
    new = feed.issue(rep)
    assert client.get(feed_path(rep, token)).status_code == 404  # the old address
    assert client.get(feed_path(rep, new)).status_code == 200
    assert feed.revoke(rep)
    assert client.get(feed_path(rep, new)).status_code == 404
    rep.is_active = False
    rep.save()
    token = feed.issue(rep)
    assert client.get(feed_path(rep, token)).status_code == 404  # a deactivated user


def test_only_the_tokens_digest_is_stored(rep):
    token = feed.issue(rep)
    stored = CalendarFeed.objects.get(user=rep).token_hash
    assert token not in stored and len(stored) == 64


def test_the_task_page_makes_shows_once_and_turns_off_the_address(client, rep):
    client.force_login(rep)
    page = client.get("/tasks/")
    assert "Make my calendar address" in page.content.decode()
    response = client.post("/tasks/calendar/new/")
    assert response.status_code == 200
    url = response.context["url"]
    path = url[url.index("/tasks/calendar/") :]
    assert client.get(path).status_code == 200
    assert "Turn the feed off" in client.get("/tasks/").content.decode()
    assert client.post("/tasks/calendar/off/").status_code == 302
    assert client.get(path).status_code == 404


def test_the_feed_ends_with_the_open_tasks_of_a_busy_rep(client, rep):
    for i in range(3):
        task_on(assignee=rep, due_at=timezone.now() + timedelta(days=i))
    token = feed.issue(rep)
    calendar = Calendar.from_ical(client.get(feed_path(rep, token)).content)
    assert len(calendar.walk("VEVENT")) == 3
