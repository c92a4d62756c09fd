"""What a page does once its session has ended (web/sessions.py): polls get
a clean signal, a form posted after the timeout keeps what was typed, and the
login never leads to a POST-only URL."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from handoff import services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    assert services.claim_handoff(handoff, rep=rep)
    return handoff


def log_in(client, username, **extra):
    return client.post(reverse("login"), {"username": username, "password": "pw", **extra})


def test_a_poll_after_the_timeout_gets_401_and_an_event_not_the_login_page(client, rep, settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        log_in(client, "rep")
        clock.shift(settings.BATON_SESSION_IDLE_TIMEOUT + timedelta(minutes=1))
        badge = client.get(reverse("handoff:notification_badge"), HTTP_HX_REQUEST="true")
        assert badge.status_code == 401
        assert badge["HX-Trigger"] == "batonSessionEnded"
        assert b"password" not in badge.content
        # And again later: still no page to swap in.
        again = client.get(reverse("handoff:notification_badge"), HTTP_HX_REQUEST="true")
        assert again.status_code == 401


def test_a_form_posted_after_the_timeout_comes_back_filled_in(client, rep, claimed, settings):
    page = reverse("handoff:detail", args=[claimed.pk])
    touch = reverse("handoff:log_touch", args=[claimed.lead_id])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        log_in(client, "rep")
        clock.shift(settings.BATON_SESSION_IDLE_TIMEOUT + timedelta(minutes=1))
        posted = client.post(
            touch,
            {"kind": "call", "note": "予算は来期、4月に再連絡", "handoff": claimed.pk},
            HTTP_REFERER=f"http://testserver{page}",
        )
        assert posted.status_code == 302
        login = urlsplit(posted["Location"])
        assert login.path == reverse("login")
        # `next` is the page the form was on, never the POST-only URL.
        assert parse_qs(login.query)["next"] == [page]
        notice = client.get(posted["Location"]).content.decode()
        assert 'data-testid="session-ended-login"' in notice
        back = log_in(client, "rep", next=page)
        assert back["Location"] == page
        html = client.get(page).content.decode()
        pending = json.loads(re.search(r'id="pending-form"[^>]*>(.*?)</script>', html)[1])
        assert pending == {
            "action": touch,
            "fields": {
                "kind": ["call"],
                "note": ["予算は来期、4月に再連絡"],
                "handoff": [str(claimed.pk)],
            },
        }
        # Once: the next visit shows the page as usual.
        assert 'id="pending-form"' not in client.get(page).content.decode()
    assert not claimed.lead.activities.filter(kind="call").exists()  # nothing saved unseen


def test_without_a_referer_the_login_leads_home(client, rep, claimed, settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        log_in(client, "rep")
        clock.shift(settings.BATON_SESSION_IDLE_TIMEOUT + timedelta(minutes=1))
        posted = client.post(reverse("handoff:log_touch", args=[claimed.lead_id]), {"note": "x"})
    assert parse_qs(urlsplit(posted["Location"]).query)["next"] == [reverse("home")]


def test_another_person_logging_in_does_not_get_the_form(client, rep, other_rep, claimed, settings):
    page = reverse("handoff:queue")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        log_in(client, "rep")
        clock.shift(settings.BATON_SESSION_IDLE_TIMEOUT + timedelta(minutes=1))
        client.post(
            reverse("handoff:reject", args=[claimed.pk]),
            {"reason": "bad_timing", "note": "社外秘のメモ"},
            HTTP_REFERER=f"http://testserver{page}",
        )
        log_in(client, "other_rep")
        assert 'id="pending-form"' not in client.get(page).content.decode()


def test_logging_out_keeps_no_form_and_says_nothing_about_a_timeout(client, rep):
    log_in(client, "rep")
    response = client.post(reverse("logout"), HTTP_REFERER="http://testserver/sales/queue/")
    assert "next=" not in response.get("Location", "")
    page = client.get(reverse("login")).content.decode()
    assert 'data-testid="session-ended-login"' not in page
