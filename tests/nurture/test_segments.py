"""Segments: the lead list's filter, saved, with a live count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Activity, Company
from nurture.models import Segment
from tests import factories
from tests.nurture.conftest import consenting, segment

pytestmark = pytest.mark.django_db


def test_a_segment_selects_by_company_activity_in_a_period_and_consent(company):
    other = Company.objects.create(name="東都物流", industry="logistics")
    hot = consenting(company=company)
    Activity.objects.create(lead=hot, kind="download", occurred_at=timezone.now())
    cold = consenting(company=company)
    Activity.objects.create(
        lead=cold, kind="download", occurred_at=timezone.now() - timedelta(days=90)
    )
    no_consent = factories.lead(company=company)
    Activity.objects.create(lead=no_consent, kind="download")
    consenting(company=other)
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    query = f"industry=it&activity_kind=download&active_from={since}&consent=yes"
    assert list(segment(query).leads()) == [hot]
    assert set(segment("industry=it&consent=no").leads()) == {no_consent}
    assert segment("size_band=50-299").leads().count() == 3


def test_saving_a_segment_keeps_the_lead_list_filter(client_as, marketer, campaign):
    client = client_as(marketer)
    response = client.post(
        reverse("nurture:segment_create"),
        {
            "name": "Webinar, engaged",
            "consent_bases": ["consent", "written_notice"],
            "campaign": campaign.pk,
            "min_engagement": "10",
            "sort": "-fit",
        },
    )
    saved = Segment.objects.get()
    assert response["Location"] == saved.get_absolute_url()
    assert saved.query == f"campaign={campaign.pk}&min_engagement=10"
    # The lead list opens the same filter.
    page = client.get(f"{reverse('crm:lead_list')}?{saved.query}")
    assert page.context["form"].cleaned_data["min_engagement"] == 10


def test_the_live_count_follows_the_filter(client_as, marketer):
    factories.lead(stage="mql")
    factories.lead(stage="lead")
    client = client_as(marketer)
    response = client.get(
        reverse("nurture:segment_count"), {"stage": "mql"}, HTTP_HX_REQUEST="true"
    )
    assert b"1 lead" in response.content
    response = client.get(reverse("nurture:segment_count"), {"min_fit": "abc"})
    assert b"Enter a whole number" in response.content


def test_an_invalid_filter_is_not_saved(client_as, marketer):
    response = client_as(marketer).post(
        reverse("nurture:segment_create"),
        {"name": "Broken", "active_from": "2026-02-01", "active_to": "2026-01-01"},
    )
    assert response.status_code == 200
    assert b"The period cannot end before it starts." in response.content
    assert not Segment.objects.exists()


def test_segment_page_counts_leads_and_those_who_may_be_emailed(client_as, manager):
    consenting()
    factories.lead()
    seg = segment()
    response = client_as(manager).get(seg.get_absolute_url())
    assert response.context["count"] == 2
    assert response.context["contactable"] == 1


def test_segment_pages_take_a_bounded_number_of_queries(
    client_as, marketer, django_assert_max_num_queries
):
    for _ in range(5):
        consenting()
    seg = segment()
    client = client_as(marketer)
    with django_assert_max_num_queries(12):
        client.get(seg.get_absolute_url())
    with django_assert_max_num_queries(8):
        client.get(reverse("nurture:segment_list"))


def test_user_text_is_escaped(client_as, marketer):
    seg = segment(name="<script>alert(1)</script>")
    response = client_as(marketer).get(seg.get_absolute_url())
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_reps_have_no_access_to_nurture(client_as, rep):
    seg = segment()
    client = client_as(rep)
    assert client.get(reverse("nurture:segment_list")).status_code == 403
    assert client.get(seg.get_absolute_url()).status_code == 403
    assert client.get(reverse("nurture:segment_count")).status_code == 403
