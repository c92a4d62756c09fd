"""The sales queue comes in pages: a manager's view of every lead being worked
and the waiting leads stay small however many there are."""

import pytest
from django.urls import reverse

from handoff import services
from handoff.models import Handoff
from handoff.views import QUEUE_PAGE
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_queue_and_the_leads_being_worked_come_in_pages(client, manager, rep, campaign):
    waiting = [factories.qualified_handoff(campaign) for _ in range(QUEUE_PAGE + 3)]
    for handoff in waiting[: QUEUE_PAGE + 1]:
        assert services.claim_handoff(handoff, rep=rep)
    client.force_login(manager)
    first = client.get(reverse("handoff:queue"))
    assert first.context["queued"].paginator.count == 2
    worked = first.context["in_progress"]
    assert (worked.paginator.count, len(worked.object_list)) == (QUEUE_PAGE + 1, QUEUE_PAGE)
    html = first.content.decode()
    assert html.count('data-testid="handoff-row"') == QUEUE_PAGE + 2
    assert "?worked=2" in html and "Page 1 of 2" in html
    second = client.get(reverse("handoff:queue"), {"worked": 2})
    assert len(second.context["in_progress"].object_list) == 1


def test_a_reps_queue_pages_keep_the_best_first(client, rep, campaign):
    for _ in range(QUEUE_PAGE + 2):
        factories.qualified_handoff(campaign)
    client.force_login(rep)
    page = client.get(reverse("handoff:queue"))
    assert page.context["queued"].paginator.count == QUEUE_PAGE + 2
    assert 'data-testid="queue-count">27<' in page.content.decode()
    last = client.get(reverse("handoff:queue"), {"page": 2}, HTTP_HX_REQUEST="true")
    fragment = last.content.decode()
    assert "<html" not in fragment and fragment.count('data-testid="handoff-row"') == 2
    assert Handoff.objects.queued().count() == QUEUE_PAGE + 2
