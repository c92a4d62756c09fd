"""A rep works a handed-off lead: touches, answers, SAL → SQL → deal; a manager
reassigns and edits the policy; marketing sees why leads came back."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import Activity, Answer, Deal, Lead
from deals import services as deal_services
from handoff import services, work
from handoff.models import Handoff, HandoffPolicy, Notification, RepAvailability
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(rep, campaign) -> Handoff:
    handoff = factories.qualified_handoff(campaign)
    assert services.claim_handoff(handoff, rep=rep)
    return handoff


def test_logging_a_call_puts_it_on_the_timeline_and_stops_the_clock(client, rep, claimed):
    client.force_login(rep)
    response = client.post(
        reverse("handoff:log_touch", args=[claimed.lead_id]),
        {"kind": "call", "note": "予算を確認", "handoff": claimed.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("handoff:detail", args=[claimed.pk])
    call = Activity.objects.get(lead=claimed.lead, kind="call")
    assert call.actor == rep and call.details == {"note": "予算を確認"}
    claimed.refresh_from_db()
    assert claimed.first_touch_at == call.occurred_at
    assert claimed.rep_delay is not None


def test_a_marketing_kind_is_not_a_sales_touch(client, rep, claimed):
    client.force_login(rep)
    client.post(reverse("handoff:log_touch", args=[claimed.lead_id]), {"kind": "page_view"})
    assert not Activity.objects.filter(lead=claimed.lead, kind="page_view").exists()
    with pytest.raises(ValueError):
        work.log_touch(claimed.lead, kind="download", note="", by=rep)


def test_answers_show_with_their_source_and_mark_the_question(client, rep, claimed):
    Answer.objects.create(lead=claimed.lead, question="budget", answer="500万円", source="web_form")
    client.force_login(rep)
    client.post(
        reverse("handoff:record_answer", args=[claimed.lead_id]),
        {"question": "timeline", "answer": "来年4月", "source": "call", "handoff": claimed.pk},
    )
    answer = Answer.objects.get(lead=claimed.lead, question="timeline")
    assert answer.recorded_by == rep and answer.source == "call"
    page = client.get(reverse("handoff:detail", args=[claimed.pk])).content.decode()
    assert "500万円" in page and "来年4月" in page
    assert "Answered via Web form" in page
    assert "Budget ✓" in page and "Timeline ✓" in page and "Need ✓" not in page


def test_an_empty_answer_is_refused_clearly(client, rep, claimed):
    client.force_login(rep)
    response = client.post(
        reverse("handoff:record_answer", args=[claimed.lead_id]),
        {"question": "budget", "answer": "", "source": "call"},
        follow=True,
    )
    assert "Write the answer and choose its question." in response.content.decode()
    assert not Answer.objects.exists()


def test_accept_qualify_and_open_a_deal(client, rep, claimed):
    client.force_login(rep)
    client.post(reverse("handoff:accept", args=[claimed.pk]), {"next": "detail"})
    client.post(reverse("handoff:qualify", args=[claimed.pk]))
    claimed.refresh_from_db()
    assert claimed.status == Handoff.Status.QUALIFIED
    assert Lead.objects.get(pk=claimed.lead_id).stage == Lead.Stage.SQL
    response = client.post(
        reverse("deals:open_from_handoff", args=[claimed.pk]),
        {"name": "青葉商事 導入", "amount": "1200000", "expected_close_date": "2027-03-31"},
    )
    assert response.status_code == 302
    deal = Deal.objects.get(lead=claimed.lead)
    assert (deal.owner, deal.amount, deal.status) == (rep, Decimal(1_200_000), Deal.Status.OPEN)
    assert (deal.stage.name_en, deal.probability) == ("Discovery", deal.stage.probability)
    assert str(deal.expected_close_date) == "2027-03-31"
    assert Lead.objects.get(pk=claimed.lead_id).stage == Lead.Stage.OPPORTUNITY
    page = client.get(reverse("handoff:detail", args=[claimed.pk])).content.decode()
    assert "青葉商事 導入" in page


def test_qualify_needs_the_accepting_rep(client, rep, other_rep, claimed):
    assert not services.qualify_handoff(claimed, rep=rep)  # claimed, not accepted yet
    services.accept_handoff(claimed, rep=rep)
    assert not services.qualify_handoff(claimed, rep=other_rep)
    terms = deal_services.DealTerms(name="x", amount=Decimal(1))
    assert deal_services.open_deal_from_handoff(claimed, rep=rep, terms=terms) is None
    assert not Deal.objects.exists()


def test_a_negative_amount_is_refused(client, rep, claimed):
    services.accept_handoff(claimed, rep=rep)
    services.qualify_handoff(claimed, rep=rep)
    client.force_login(rep)
    response = client.post(
        reverse("deals:open_from_handoff", args=[claimed.pk]),
        {"name": "x", "amount": "-5"},
        follow=True,
    )
    assert not Deal.objects.exists()
    assert "The amount cannot be negative." in response.content.decode()


def test_a_manager_reassigns_and_the_new_rep_is_told(client, manager, rep, other_rep, claimed):
    client.force_login(manager)
    response = client.post(reverse("handoff:reassign", args=[claimed.pk]), {"rep": other_rep.pk})
    assert response.status_code == 302
    claimed.refresh_from_db()
    assert claimed.claimed_by == other_rep
    assert claimed.claimed_via == Handoff.ClaimedVia.REASSIGN
    assert Lead.objects.get(pk=claimed.lead_id).owner == other_rep
    assert Notification.objects.filter(
        recipient=other_rep, handoff=claimed, kind=Notification.Kind.ASSIGNED
    ).exists()


def test_a_queued_handoff_can_be_reassigned_and_keeps_its_routing_delay(
    manager, other_rep, campaign
):
    queued = factories.qualified_handoff(campaign)
    assert services.reassign_handoff(queued, to=other_rep, by=manager)
    queued.refresh_from_db()
    assert queued.status == Handoff.Status.CLAIMED and queued.routing_delay is not None


def test_managers_see_what_is_being_worked(client, manager, claimed):
    client.force_login(manager)
    page = client.get(reverse("handoff:queue")).content.decode()
    assert 'data-testid="in-progress"' in page
    assert reverse("handoff:detail", args=[claimed.pk]) in page


def test_a_rep_marks_themself_away_and_back(client, rep):
    client.force_login(rep)
    client.post(reverse("handoff:availability"), {"available": "0"})
    assert RepAvailability.objects.get(rep=rep).available is False
    assert "I am back" in client.get(reverse("handoff:queue")).content.decode()
    client.post(reverse("handoff:availability"), {"available": "1"})
    assert RepAvailability.objects.get(rep=rep).available is True


def test_the_manager_edits_the_policy(client, manager):
    client.force_login(manager)
    data = {
        "fit_threshold": 10,
        "engagement_threshold": 40,
        "first_touch_sla_minutes": 30,
        "claim_timeout_minutes": 90,
        "business_day_start": "09:30",
        "business_day_end": "18:30",
        "recycle_cooldown_days": 14,
        "routing": "round_robin",
        "notify_by_email": "on",
        "chat_webhook_url": "",
    }
    response = client.post(reverse("handoff:policy"), data)
    assert response.status_code == 302
    policy = HandoffPolicy.current()
    assert (policy.engagement_threshold, policy.routing) == (40, "round_robin")
    assert str(policy.business_day_start) == "09:30:00"


def test_the_policy_refuses_an_unsafe_webhook_and_a_day_ending_before_it_starts(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("handoff:policy"),
        {
            "fit_threshold": 0,
            "engagement_threshold": 50,
            "first_touch_sla_minutes": 60,
            "claim_timeout_minutes": 120,
            "business_day_start": "18:00",
            "business_day_end": "09:00",
            "recycle_cooldown_days": 30,
            "routing": "open_queue",
            "chat_webhook_url": "http://127.0.0.1/hook",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "chat_webhook_url" in errors and "business_day_end" in errors
    assert HandoffPolicy.current().chat_webhook_url == ""


def test_a_safe_webhook_gets_a_signing_secret(client, manager, monkeypatch):
    monkeypatch.setattr(
        "socket.getaddrinfo", lambda *args, **kwargs: [(2, 1, 6, "", ("93.184.216.34", 443))]
    )
    client.force_login(manager)
    policy = HandoffPolicy.current()
    data = {
        "fit_threshold": 0,
        "engagement_threshold": 50,
        "first_touch_sla_minutes": 60,
        "claim_timeout_minutes": 120,
        "business_day_start": "09:00",
        "business_day_end": "18:00",
        "recycle_cooldown_days": 30,
        "routing": "open_queue",
        "chat_webhook_url": "https://hooks.example.com/services/T0/B0/x",
    }
    assert client.post(reverse("handoff:policy"), data).status_code == 302
    policy.refresh_from_db()
    assert len(policy.chat_webhook_secret) == 64


def test_marketing_sees_why_sales_sent_a_lead_back(client, marketer, rep, claimed, campaign):
    services.reject_handoff(claimed, rep=rep, reason="bad_timing", note="来期に再検討")
    client.force_login(marketer)
    lead_page = client.get(claimed.lead.get_absolute_url()).content.decode()
    assert "Sent back to marketing: Bad timing" in lead_page and "来期に再検討" in lead_page
    assert 'data-testid="touch-form"' not in lead_page  # marketers do not log sales touches
    campaign_page = client.get(campaign.get_absolute_url()).content.decode()
    assert 'data-testid="campaign-rejections"' in campaign_page and "Bad timing" in campaign_page


def test_the_handoff_page_shows_the_context_package(client, rep, claimed):
    client.force_login(rep)
    page = client.get(reverse("handoff:detail", args=[claimed.pk])).content.decode()
    assert 'data-testid="context-package"' in page
    assert "Spring webinar" in page
    assert 'data-testid="touch-form"' in page


def test_the_notification_list_refreshes_itself(client, rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    client.force_login(rep)
    page = client.get(reverse("handoff:notifications")).content.decode()
    assert 'hx-trigger="every 3s"' in page
    fragment = client.get(reverse("handoff:notifications"), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<ul class="list-group" id="notification-list"')
    assert reverse("handoff:detail", args=[handoff.pk]) in fragment


def test_reassigning_keeps_the_managers_breach_notice_unread(manager, rep, other_rep, claimed):
    Notification.objects.create(
        recipient=manager, handoff=claimed, kind=Notification.Kind.SLA_BREACH
    )
    services.reassign_handoff(claimed, to=other_rep, by=manager)
    breach = Notification.objects.get(recipient=manager, kind=Notification.Kind.SLA_BREACH)
    assert breach.read_at is None
