"""An untrusted capture: anyone may post any email address to /capture/.

The three attacks of issue 15 (a worked lead rewritten, a visitor id that
makes the attacker's page views score for the victim, a withdrawn consent
brought back) and what the endpoint does instead: fill empty fields, propose
the rest, and ask the person to confirm by email.
"""

from __future__ import annotations

import json
import re
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from crm import confirmations
from crm.models import (
    Activity,
    CaptureConfirmation,
    Company,
    Consent,
    Lead,
    OutboxEvent,
    ProposedChange,
)
from crm.topics import Topic
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
    """POST the form; HTTP_* and REMOTE_ADDR go to the request, the rest is the form."""
    meta = {k: fields.pop(k) for k in list(fields) if k.startswith("HTTP_") or k == "REMOTE_ADDR"}
    return client.post(reverse("capture", args=[campaign.capture_key]), fields, **meta)


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


# --- The double opt-in -------------------------------------------------------


def mailed_link(client) -> str:
    """Send the confirmation email waiting in the outbox (as the worker would)
    and return the link it carries, as a path."""
    event = OutboxEvent.objects.get(topic=Topic.CAPTURE_CONFIRMATION_EMAIL, processed_at=None)
    assert confirmations.send_email(event.pk)
    [message] = mail.outbox
    found = re.search(r"http://testserver(/capture/confirm/\S+/)", str(message.body))
    assert found, message.body
    return found.group(1)


@pytest.fixture
def unsubscribed(worked_lead):
    Consent.objects.create(
        lead=worked_lead,
        basis=Consent.Basis.CONSENT,
        source="capture:spring",
        withdrawn_at=timezone.now(),
    )
    return worked_lead


def test_a_withdrawn_consent_comes_back_when_the_person_confirms_by_email(
    client, campaign, unsubscribed
):
    capture(
        client,
        campaign,
        email=unsubscribed.email,
        family_name="加藤",
        consent="on",
        HTTP_USER_AGENT="Submitting browser",
        REMOTE_ADDR="203.0.113.5",
    )
    link = mailed_link(client)
    assert mail.outbox[0].to == [unsubscribed.email]
    # The link opens a page with one button: mail scanners that follow it change nothing.
    page = client.get(link)
    assert page.status_code == 200 and "Confirm" in page.content.decode()
    assert not Lead.objects.with_marketing_consent().filter(pk=unsubscribed.pk).exists()

    done = client.post(link, HTTP_USER_AGENT="Clicking browser", REMOTE_ADDR="198.51.100.8")
    assert done.status_code == 200 and 'data-testid="confirm-done"' in done.content.decode()
    consent = Consent.objects.get(lead=unsubscribed, withdrawn_at=None)
    assert (consent.basis, consent.policy_version) == (Consent.Basis.CONSENT, "2026-01")
    assert (consent.ip_address, consent.user_agent) == ("198.51.100.8", "Clicking browser")
    assert consent.source == "confirmed:spring"
    # The confirmation is the evidence: the submit and the click, each with its origin.
    evidence = consent.confirmation
    assert (evidence.ip_address, evidence.user_agent) == ("203.0.113.5", "Submitting browser")
    assert evidence.confirmed_at is not None and evidence.emailed_at is not None
    assert unsubscribed.activities.filter(kind=Activity.Kind.CONFIRMED).count() == 1
    # A second click records nothing more.
    client.post(link)
    assert Consent.objects.filter(lead=unsubscribed, withdrawn_at=None).count() == 1


def test_a_lead_without_any_consent_is_asked_too(client, campaign, worked_lead):
    capture(client, campaign, email=worked_lead.email, family_name="加藤", consent="on")
    assert not worked_lead.consents.exists()
    assert CaptureConfirmation.objects.get(lead=worked_lead).wants_consent


def test_a_consent_the_lead_still_has_is_renewed_without_asking(client, campaign, worked_lead):
    Consent.objects.create(lead=worked_lead, basis=Consent.Basis.CONSENT, policy_version="2025")
    capture(client, campaign, email=worked_lead.email, family_name="加藤", consent="on")
    assert worked_lead.consents.filter(withdrawn_at=None).count() == 2
    assert not CaptureConfirmation.objects.exists()


def test_a_visitor_id_joins_a_known_lead_once_the_person_confirms(
    client, campaign, worked_lead, django_capture_on_commit_callbacks, in_process_tasks
):
    client.post(
        "/nurture/collect/",
        json.dumps({"v": ATTACKER_VISITOR, "u": "https://aoba.example.jp/pricing"}),
        content_type="text/plain",
    )
    capture(
        client, campaign, email=worked_lead.email, family_name="加藤", visitor_id=ATTACKER_VISITOR
    )
    link = mailed_link(client)
    assert "visits to our website" in mail.outbox[0].body
    client.post(link)
    with django_capture_on_commit_callbacks(execute=True):
        assert visits.join_visits() == 1
    assert Visitor.objects.get().lead == worked_lead


def test_the_visitor_that_created_the_lead_is_not_asked_again(client, campaign):
    for _ in range(2):
        capture(
            client,
            campaign,
            email="new@example.jp",
            family_name="新規",
            visitor_id=ATTACKER_VISITOR,
        )
    assert not CaptureConfirmation.objects.exists()


def test_one_confirmation_email_an_hour_at_most(client, campaign, worked_lead, time_machine):
    time_machine.move_to(timezone.now())
    for _ in range(3):
        capture(client, campaign, email=worked_lead.email, family_name="加藤", consent="on")
    assert CaptureConfirmation.objects.count() == 1
    time_machine.shift(timedelta(hours=1, minutes=1))
    capture(client, campaign, email=worked_lead.email, family_name="加藤", consent="on")
    assert CaptureConfirmation.objects.count() == 2


def test_an_expired_or_forged_link_confirms_nothing(client, campaign, unsubscribed, time_machine):
    time_machine.move_to(timezone.now())
    capture(client, campaign, email=unsubscribed.email, family_name="加藤", consent="on")
    link = mailed_link(client)
    forged = link.replace(link.split("/")[-2], link.split("/")[-2][:-3] + "abc")
    assert client.post(forged).status_code == 400
    time_machine.shift(timedelta(days=8))
    response = client.post(link)
    assert response.status_code == 400
    assert 'data-testid="confirm-invalid"' in response.content.decode()
    assert not Lead.objects.with_marketing_consent().exists()


def test_the_email_is_sent_once_and_in_the_senders_language(client, campaign, unsubscribed):
    capture(
        client,
        campaign,
        email=unsubscribed.email,
        family_name="加藤",
        consent="on",
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    event = OutboxEvent.objects.get(topic=Topic.CAPTURE_CONFIRMATION_EMAIL)
    assert confirmations.send_email(event.pk)
    assert not confirmations.send_email(event.pk)  # a duplicate delivery
    [message] = mail.outbox
    assert message.subject == "ご確認のお願い: Spring webinar"
    assert "メールで情報を受け取るには" in message.body
    assert message.alternatives[0][1] == "text/html"


def test_a_mail_server_that_fails_leaves_the_event_for_the_sweep(
    client, campaign, unsubscribed, settings
):
    settings.EMAIL_BACKEND = "tests.crm.test_capture_trust.FailingBackend"
    capture(client, campaign, email=unsubscribed.email, family_name="加藤", consent="on")
    event = OutboxEvent.objects.get(topic=Topic.CAPTURE_CONFIRMATION_EMAIL)
    assert not confirmations.send_email(event.pk)
    event.refresh_from_db()
    assert event.processed_at is None
    assert CaptureConfirmation.objects.get().emailed_at is None


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("gone")


# --- Proposed changes on the lead page -----------------------------------------


def test_the_lead_page_shows_the_proposals_and_who_may_decide(
    client_as, campaign, worked_lead, marketer, manager, rep
):
    capture(
        client_as(marketer), campaign, email=worked_lead.email, family_name="加藤", title="係長"
    )
    page = client_as(marketer).get(worked_lead.get_absolute_url()).content.decode()
    assert 'data-testid="proposed-changes"' in page
    assert "係長" in page and "情報システム部長" in page and "Apply" in page
    page = client_as(rep).get(worked_lead.get_absolute_url()).content.decode()
    assert "Apply" in page  # the rep owns the lead
    page = client_as(manager).get(worked_lead.get_absolute_url()).content.decode()
    assert "係長" in page and "Apply" not in page  # managers read, do not edit leads


def test_applying_a_proposal_writes_it_once_and_keeps_a_trail(
    client_as, campaign, worked_lead, rep
):
    capture(client_as(rep), campaign, email=worked_lead.email, family_name="加藤", company="新会社")
    change = worked_lead.proposed_changes.get()
    url = reverse("crm:proposed_change_decide", args=[worked_lead.pk, change.pk])
    response = client_as(rep).post(url, {"decision": "apply"}, follow=True)
    assert "Company updated." in response.content.decode()
    lead = Lead.objects.get(pk=worked_lead.pk)
    assert lead.company.name == "新会社"
    change.refresh_from_db()
    assert (change.status, change.decided_by) == (ProposedChange.Status.APPLIED, rep)
    entry = AuditEntry.objects.get(action="lead_changed")
    assert (entry.object_id, entry.changes["fields"]) == (str(lead.pk), ["company"])
    assert "新会社" not in json.dumps(entry.changes, ensure_ascii=False)  # ids, not details
    response = client_as(rep).post(url, {"decision": "apply"}, follow=True)
    assert "decided on this proposal already" in response.content.decode()


def test_dismissing_a_proposal_leaves_the_lead_as_it_was(
    client_as, campaign, worked_lead, marketer
):
    capture(client_as(marketer), campaign, email=worked_lead.email, family_name="偽名")
    change = worked_lead.proposed_changes.get()
    url = reverse("crm:proposed_change_decide", args=[worked_lead.pk, change.pk])
    client_as(marketer).post(url, {"decision": "dismiss"})
    assert Lead.objects.get(pk=worked_lead.pk).family_name == "加藤"
    assert ProposedChange.objects.get().status == ProposedChange.Status.DISMISSED
    page = client_as(marketer).get(worked_lead.get_absolute_url()).content.decode()
    assert 'data-testid="proposed-changes"' not in page


def test_a_rep_cannot_decide_on_another_reps_lead(client_as, campaign, worked_lead, other_rep):
    capture(client_as(other_rep), campaign, email=worked_lead.email, family_name="偽名")
    change = worked_lead.proposed_changes.get()
    url = reverse("crm:proposed_change_decide", args=[worked_lead.pk, change.pk])
    assert client_as(other_rep).post(url, {"decision": "apply"}).status_code == 404
    assert ProposedChange.objects.get().status == ProposedChange.Status.OPEN


def test_proposed_values_are_escaped_on_the_lead_page(client_as, campaign, worked_lead, marketer):
    script = "<script>alert(1)</script>"
    capture(
        client_as(marketer), campaign, email=worked_lead.email, family_name="加藤", title=script
    )
    page = client_as(marketer).get(worked_lead.get_absolute_url()).content.decode()
    assert script not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
