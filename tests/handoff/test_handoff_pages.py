"""The handoff pages as a rep reads them: the reject form chooses nothing for
the rep, and a handoff the rep rejected stays readable without dead links."""

import pytest
from django.urls import reverse

from handoff import services
from handoff.models import Handoff
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(rep, campaign) -> Handoff:
    handoff = factories.qualified_handoff(campaign)
    assert services.claim_handoff(handoff, rep=rep)
    return handoff


@pytest.mark.parametrize("view_name", ["handoff:queue", "handoff:detail"])
def test_the_reject_form_preselects_no_reason(client, rep, claimed, view_name):
    client.force_login(rep)
    detail = view_name == "handoff:detail"
    url = reverse(view_name, args=[claimed.pk]) if detail else reverse(view_name)
    html = client.get(url).content.decode()
    select = html[
        html.index('name="reason"') : html.index("</select>", html.index('name="reason"'))
    ]
    first_option = select[select.index("<option") : select.index("</option>")]
    assert 'value=""' in first_option and "selected" in first_option
    assert select.count("selected") == 1


def test_a_reject_without_a_reason_is_refused(client, rep, claimed):
    client.force_login(rep)
    response = client.post(
        reverse("handoff:reject", args=[claimed.pk]), {"reason": "", "note": "急ぎ"}, follow=True
    )
    claimed.refresh_from_db()
    assert claimed.status == Handoff.Status.CLAIMED
    assert "Choose a reason to reject the lead." in response.content.decode()


def test_a_reps_rejected_handoff_is_read_only_without_a_dead_lead_link(client, rep, claimed):
    assert services.reject_handoff(claimed, rep=rep, reason="bad_timing")
    client.force_login(rep)
    response = client.get(reverse("handoff:detail", args=[claimed.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    # The lead went back to marketing: its page is not the rep's to see.
    assert client.get(claimed.lead.get_absolute_url()).status_code == 404
    assert claimed.lead.get_absolute_url() not in html
    assert reverse("handoff:log_touch", args=[claimed.lead_id]) not in html
    assert 'data-testid="read-only"' in html


def test_a_manager_still_gets_the_lead_link_of_a_rejected_handoff(client, rep, manager, claimed):
    assert services.reject_handoff(claimed, rep=rep, reason="bad_timing")
    client.force_login(manager)
    html = client.get(reverse("handoff:detail", args=[claimed.pk])).content.decode()
    assert claimed.lead.get_absolute_url() in html
