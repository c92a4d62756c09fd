"""Sessions end after SESSION_IDLE_MINUTES without activity and after
SESSION_MAX_HOURS whatever happens (web/sessions.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

LEADS = "/crm/leads/"


def logged_in(client, user):
    client.post(reverse("login"), {"username": user.username, "password": "pw"})
    assert client.get(LEADS).status_code == 200


def test_an_idle_session_ends(client, marketer, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        logged_in(client, marketer)
        clock.shift(settings.BATON_SESSION_IDLE_TIMEOUT - timedelta(minutes=1))
        assert client.get(LEADS).status_code == 200
        clock.shift(settings.BATON_SESSION_IDLE_TIMEOUT + timedelta(minutes=1))
        response = client.get(LEADS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_activity_keeps_a_session_alive_until_the_absolute_limit(client, marketer, settings):
    start = timezone.now()
    step = settings.BATON_SESSION_IDLE_TIMEOUT / 2
    with time_machine.travel(start, tick=False) as clock:
        logged_in(client, marketer)
        while timezone.now() - start < settings.BATON_SESSION_ABSOLUTE_TIMEOUT - step:
            clock.shift(step)
            assert client.get(LEADS).status_code == 200
        clock.shift(step * 2)
        assert client.get(LEADS).status_code == 302


def test_polling_is_not_activity(client, rep, settings):
    """The notification badge polls every few seconds; it must not keep an
    unattended session open."""
    start = timezone.now()
    badge = reverse("handoff:notification_badge")
    with time_machine.travel(start, tick=False) as clock:
        logged_in(client, rep)
        for _ in range(4):
            clock.shift(settings.BATON_SESSION_IDLE_TIMEOUT / 3)
            client.get(badge, HTTP_HX_REQUEST="true")
        assert client.get(reverse("handoff:queue")).status_code == 302
