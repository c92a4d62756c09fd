"""The live queue and notification list (static/js/live-list.js): the lists
poll their own address, their rows carry stable ids for the morph, the
shortcuts find their rows, links and Claim buttons, and a skip link leads to
the first Claim. The browser side is tests/browser/test_live_queue.py."""

import re

import pytest
from django.urls import reverse

from handoff import services
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_queue_polls_itself_and_marks_its_rows_for_the_morph(client, rep, campaign):
    waiting = [factories.qualified_handoff(campaign) for _ in range(2)]
    client.force_login(rep)
    html = client.get(reverse("handoff:queue")).content.decode()
    live = re.search(r'<div id="queue"[^>]*>', html)
    assert live is not None
    assert 'hx-trigger="every 5s, handoffClaimed from:body"' in live.group(0)
    assert "data-live-list" in live.group(0) and "data-shortcuts" in live.group(0)
    assert 'role="status" aria-live="polite" id="live-status"' in html
    for handoff in waiting:
        assert f'id="handoff-{handoff.pk}" data-testid="handoff-row" data-row' in html
    assert html.count("data-row-claim") == 2 and html.count('id="first-claim"') == 1
    assert 'href="#first-claim" data-skip-to-claim' in html
    assert "vendor/idiomorph.min.js" in html and "js/live-list.js" in html


def test_a_lead_claimed_by_another_rep_leaves_the_polled_fragment(client, rep, other_rep, campaign):
    taken, staying = (factories.qualified_handoff(campaign) for _ in range(2))
    client.force_login(rep)
    assert f"handoff-{taken.pk}" in client.get(reverse("handoff:queue")).content.decode()
    assert services.claim_handoff(taken, rep=other_rep)
    poll = client.get(reverse("handoff:queue"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in poll
    assert f"handoff-{taken.pk}" not in poll and f"handoff-{staying.pk}" in poll


def test_an_empty_queue_skips_to_its_heading(client, rep):
    client.force_login(rep)
    html = client.get(reverse("handoff:queue")).content.decode()
    assert 'href="#waiting" data-skip-to-claim' in html and 'id="first-claim"' not in html


def test_the_notification_list_has_rows_a_claim_and_a_skip_link(client, rep, campaign):
    handoff = factories.qualified_handoff(campaign)  # every available rep is notified
    client.force_login(rep)
    html = client.get(reverse("handoff:notifications")).content.decode()
    assert 'href="#notification-list"' in html
    assert re.search(r'id="notification-\d+" data-row>', html)
    assert f'action="{reverse("handoff:claim", args=[handoff.pk])}"' in html
    assert "data-row-claim" in html and "data-row-open" in html
    poll = client.get(reverse("handoff:notifications"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in poll and "data-live-list" in poll


def test_a_claim_from_the_notification_list_lands_in_the_queue(client, rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    client.force_login(rep)
    response = client.post(reverse("handoff:claim", args=[handoff.pk]))
    assert response.status_code == 302 and response.url == reverse("handoff:queue")
    handoff.refresh_from_db()
    assert handoff.claimed_by == rep


def test_a_marketer_sees_no_claim_button_in_notifications(client, marketer):
    client.force_login(marketer)
    html = client.get(reverse("handoff:notifications")).content.decode()
    assert "data-row-claim" not in html
