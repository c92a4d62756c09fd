"""An untrusted capture: anyone may post any email address to /capture/.

The three attacks of issue 15 (a worked lead rewritten, a visitor id that
makes the attacker's page views score for the victim, a withdrawn consent
brought back) and what the endpoint does instead: fill empty fields, propose
the rest, and ask the person to confirm by email.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Activity, Company, Consent, Lead
from nurture import visits
from nurture.models import PageView, Visitor
from tests import factories

pytestmark = pytest.mark.django_db

ATTACKER_VISITOR = "a" * 24


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.BATON_BASE_URL = "http://testserver"


def capture(client, campaign, **fields):
    return client.post(reverse("capture", args=[campaign.capture_key]), fields)


@pytest.fixture
def worked_lead(rep, campaign):
    """A lead sales is working: claimed by `rep`, with what the rep recorded."""
    return factories.lead(
        email="kato@aoba.example.jp",
        family_name="加藤",
        given_name="真由美",
        title="情報システム部長",
        phone="03-1111-2222",
        company=Company.objects.create(name="株式会社青葉商事"),
        owner=rep,
        stage=Lead.Stage.SAL,
        source_campaign=campaign,
    )


def test_a_submit_never_rewrites_what_sales_recorded(client, campaign, worked_lead):
    response = capture(
        client,
        campaign,
        email="KATO@aoba.example.jp",
        family_name="偽名",
        given_name="太郎",
        title="アルバイト",
        phone="090-9999-9999",
        company="詐欺商事",
    )
    assert response.status_code == 200
    lead = Lead.objects.get(pk=worked_lead.pk)
    assert (lead.family_name, lead.given_name, lead.title, lead.phone, lead.company.name) == (
        "加藤",
        "真由美",
        "情報システム部長",
        "03-1111-2222",
        "株式会社青葉商事",
    )
    assert lead.owner_id == worked_lead.owner_id and lead.stage == Lead.Stage.SAL
    # The submit is kept: on the timeline, and as proposals a person may apply.
    assert lead.activities.get().kind == Activity.Kind.FORM_SUBMIT
    proposed = dict(lead.proposed_changes.open().values_list("field", "value"))
    assert proposed == {
        "family_name": "偽名",
        "given_name": "太郎",
        "title": "アルバイト",
        "phone": "090-9999-9999",
        "company": "詐欺商事",
    }
    assert not Company.objects.filter(name="詐欺商事").exists()  # made only if applied


def test_a_submit_fills_empty_fields_and_proposes_nothing_for_same_values(client, campaign):
    known = factories.lead(email="sato@example.jp", family_name="佐藤", given_name="", title="")
    capture(
        client,
        campaign,
        email="sato@example.jp",
        family_name="佐藤",  # the same: nothing to propose
        given_name="花子",
        title="課長",
        phone="０３－１２３４－５６７８",
        company="㈱青葉商事",
    )
    lead = Lead.objects.get(pk=known.pk)
    assert (lead.given_name, lead.title, lead.phone) == ("花子", "課長", "０３－１２３４－５６７８")
    assert lead.company.name == "(株)青葉商事"
    assert not lead.proposed_changes.exists()
    # The same values again, written differently: still nothing to propose.
    capture(
        client,
        campaign,
        email="sato@example.jp",
        family_name="佐藤",
        phone="03-1234-5678",
        company="株式会社 青葉商事",
    )
    assert not lead.proposed_changes.exists()


def test_a_later_submit_replaces_the_open_proposal_of_a_field(client, campaign, worked_lead):
    capture(client, campaign, email=worked_lead.email, family_name="加藤", title="係長")
    capture(client, campaign, email=worked_lead.email, family_name="加藤", title="課長")
    assert list(worked_lead.proposed_changes.open().values_list("field", "value")) == [
        ("title", "課長")
    ]


def test_a_visitor_id_never_makes_the_attackers_views_score_for_a_known_lead(
    client, campaign, worked_lead, django_capture_on_commit_callbacks, in_process_tasks
):
    # The attacker browses the company site with the tracking script...
    for path in ("pricing", "case-studies"):
        client.post(
            "/nurture/collect/",
            json.dumps({"v": ATTACKER_VISITOR, "u": f"https://aoba.example.jp/{path}"}),
            content_type="text/plain",
        )
    # ... then submits a form in the victim's name, with the attacker's visitor id.
    capture(
        client, campaign, email=worked_lead.email, family_name="加藤", visitor_id=ATTACKER_VISITOR
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert visits.join_visits() == 0
    assert not Visitor.objects.exists()
    assert not worked_lead.activities.filter(kind=Activity.Kind.PAGE_VIEW).exists()
    assert PageView.objects.count() == 2  # still anonymous
    assert "visitor_id" not in worked_lead.activities.get().details["form"]


def test_a_withdrawn_consent_does_not_come_back_from_a_submit(client, campaign, worked_lead):
    Consent.objects.create(
        lead=worked_lead,
        basis=Consent.Basis.CONSENT,
        source="capture:spring",
        withdrawn_at=timezone.now(),  # the person unsubscribed
    )
    capture(client, campaign, email=worked_lead.email, family_name="加藤", consent="on")
    assert not Lead.objects.with_marketing_consent().filter(pk=worked_lead.pk).exists()
    assert Consent.objects.filter(lead=worked_lead).count() == 1
