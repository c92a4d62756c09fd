"""The deal pages: list, CSV, deal page, opening, editing, moving, closing,
the board and the managers' lists; each refusal a sentence in the reader's
language."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Deal, DealStage, Lead, LostReason
from deals import board, services
from deals.services import DealTerms
from tests import factories
from tests.deals.conftest import reason, stage

pytestmark = pytest.mark.django_db


def open_deals(lead, rep, count, **terms):
    return [
        services.open_deal(
            lead, by=rep, terms=DealTerms(name=f"案件{n}", amount=Decimal(100_000 * n), **terms)
        )
        for n in range(1, count + 1)
    ]


def test_the_list_filters_sorts_and_exports_what_it_shows(client_as, manager, rep, lead):
    _small, large = open_deals(lead, rep, 2)
    services.move_deal(large, to=stage("Quote"), seen=large.stage_id, by=rep)
    client = client_as(manager)
    page = client.get(reverse("deals:list"), {"stage": stage("Quote").pk}).content.decode()
    assert "案件2" in page and "案件1" not in page
    page = client.get(reverse("deals:list"), {"sort": "amount", "min_amount": "0"}).content.decode()
    assert page.index("案件1") < page.index("案件2")
    assert "¥200,000" in page
    refused = client.get(reverse("deals:list"), {"min_amount": "5", "max_amount": "1"})
    assert "The upper amount is below the lower one." in refused.content.decode()
    exported = client.get(reverse("deals:export"), {"max_amount": "150000"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["案件1"]
    assert rows[0][:2] == ["ID", "Deal name"]


def test_a_bad_month_is_a_sentence_not_an_error(client_as, rep):
    response = client_as(rep).get(reverse("deals:list"), {"month": "2027-13"})
    assert response.status_code == 200
    assert "Enter a month as YYYY-MM" in response.content.decode()


def test_the_deal_page_shows_yen_and_its_stage_history(client_as, rep, deal):
    services.move_deal(deal, to=stage("Proposal"), seen=deal.stage_id, by=rep)
    page = client_as(rep).get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert "¥1,000,000" in page
    assert "Opened at Discovery" in page and "Discovery → Proposal" in page


def test_a_rep_opens_a_deal_from_a_lead_page(client_as, rep, lead):
    client = client_as(rep)
    assert "New deal" in client.get(reverse("crm:lead_detail", args=[lead.pk])).content.decode()
    response = client.post(
        reverse("deals:open_from_lead", args=[lead.pk]),
        {"name": "追加導入", "amount": "2500000", "stage": stage("Proposal").pk},
    )
    deal = Deal.objects.get(name="追加導入")
    assert response.url == reverse("deals:detail", args=[deal.pk])
    assert (deal.stage, deal.probability, deal.owner) == (stage("Proposal"), 30, rep)


def test_a_negative_amount_is_refused_in_japanese(client_as, rep, lead):
    response = client_as(rep).post(
        reverse("deals:open_from_lead", args=[lead.pk]),
        {"name": "x", "amount": "-1"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 200
    assert "金額はマイナスにできません。" in response.content.decode()
    assert not Deal.objects.exists()


def test_an_expansion_deal_from_a_company_page(client_as, rep, company):
    customer = factories.lead(owner=rep, stage=Lead.Stage.CUSTOMER, company=company)
    client = client_as(rep)
    url = reverse("deals:open_from_company", args=[company.pk])
    assert customer.display_name in client.get(url).content.decode()
    client.post(url, {"lead": customer.pk, "name": "拡張", "amount": "800000"})
    deal = Deal.objects.get(name="拡張")
    assert (deal.lead, deal.company) == (customer, company)


def test_a_stale_move_is_a_message_and_changes_nothing(client_as, rep, other_rep, deal):
    seen = deal.stage_id
    services.move_deal(deal, to=stage("Quote"), seen=seen, by=rep)
    client = client_as(rep)
    url = reverse("deals:move", args=[deal.pk])
    response = client.post(url, {"stage": stage("Proposal").pk, "from_stage": seen}, follow=True)
    assert "Someone moved this deal to “Quote” meanwhile" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).stage == stage("Quote")
    fragment = client.post(
        url,
        {"stage": stage("Proposal").pk, "from_stage": stage("Quote").pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'id="board"' in fragment and "moved to Proposal" in fragment
    assert "<html" not in fragment


def test_moving_to_a_retired_stage_is_refused(client_as, rep, deal):
    retired = stage("Proposal")
    DealStage.objects.filter(pk=retired.pk).update(is_retired=True)
    response = client_as(rep).post(
        reverse("deals:move", args=[deal.pk]),
        {"stage": retired.pk, "from_stage": deal.stage_id},
        follow=True,
    )
    assert "is retired; choose another" in response.content.decode()


def test_won_from_the_deal_page_makes_a_customer(client_as, rep, deal, lead):
    response = client_as(rep).post(
        reverse("deals:win", args=[deal.pk]),
        {"close_date": str(timezone.localdate()), "amount": "1100000"},
        follow=True,
    )
    assert "is won" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).amount == Decimal(1_100_000)
    assert Lead.objects.get(pk=lead.pk).stage == Lead.Stage.CUSTOMER


def test_lost_without_a_reason_or_note_stays_open(client_as, rep, deal):
    client = client_as(rep)
    url = reverse("deals:lose", args=[deal.pk])
    response = client.post(url, {"note": "x"}, follow=True)
    assert "Choose why the deal was lost." in response.content.decode()
    response = client.post(url, {"reason": reason().pk, "note": ""}, follow=True)
    assert "Write a note on why the deal was lost." in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).status == "open"
    client.post(url, {"reason": reason().pk, "note": "他社に決定"})
    assert Deal.objects.get(pk=deal.pk).status == "lost"
    moved = client.post(
        reverse("deals:move", args=[deal.pk]),
        {"stage": stage("Quote").pk, "from_stage": stage("Lost").pk},
        follow=True,
    )
    assert "already closed" in moved.content.decode()


def test_an_edit_made_meanwhile_is_not_overwritten(client_as, rep, manager, deal):
    url = reverse("deals:edit", args=[deal.pk])
    form = {"name": "導入", "amount": "1", "probability": "10", "owner": rep.pk, "version": 1}
    assert client_as(manager).post(url, {**form, "next_step": "訪問"}).status_code == 302
    response = client_as(rep).post(url, {**form, "next_step": "電話"})
    assert "Someone changed this deal since you opened it" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).next_step == "訪問"


def test_absurd_edits_are_sentences(client_as, rep, deal):
    url = reverse("deals:edit", args=[deal.pk])
    form = {"name": "導入", "owner": rep.pk, "version": 1, "probability": "150"}
    page = client_as(rep).post(url, {**form, "amount": "1" + "0" * 20}).content.decode()
    assert "below ¥100 trillion" in page and "0 to 100" in page


def test_the_board_sums_columns_in_sql_whatever_the_number_of_deals(client_as, manager, rep, lead):
    client = client_as(manager)
    open_deals(lead, rep, 3)
    client.get(reverse("deals:board"))  # sessions, permissions cached
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("deals:board")).content.decode()
    assert "¥600,000" in page and "¥60,000" in page  # sum and weighted sum (10%)
    open_deals(lead, rep, 30, stage=stage("Quote"))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("deals:board"))
    assert len(many) == len(few)


def test_a_column_shows_its_first_cards_and_how_many_more(rep, lead):
    open_deals(lead, rep, 5)
    first = board.columns(Deal.objects.all(), per_column=2)[0]
    assert (first.count, len(first.cards), first.more) == (5, 2, 3)


def test_board_filters_by_owner_and_month(client_as, manager, rep, other_rep, lead):
    mine = open_deals(lead, rep, 1, expected_close_date=timezone.localdate())[0]
    theirs = services.open_deal(lead, by=other_rep, terms=DealTerms("他", Decimal(5)))
    page = client_as(manager).get(reverse("deals:board"), {"owner": rep.pk}).content.decode()
    assert mine.name in page and theirs.name not in page
    month = f"{timezone.localdate():%Y-%m}"
    page = client_as(manager).get(reverse("deals:board"), {"month": month}).content.decode()
    assert mine.name in page and theirs.name not in page


def test_a_manager_keeps_the_stages(client_as, manager, deal):
    client = client_as(manager)
    client.post(
        reverse("deals:stages"),
        {"new-name_ja": "デモ", "new-name_en": "Demo", "new-order": "15",
         "new-probability": "20", "new-kind": "open"},
    )  # fmt: skip
    assert DealStage.objects.filter(name_en="Demo", probability=20).exists()
    in_use = deal.stage
    refused = client.post(reverse("deals:stage_delete", args=[in_use.pk]), follow=True)
    assert "is in use: retire it instead" in refused.content.decode()
    edit = reverse("deals:stage_edit", args=[in_use.pk])
    fields = {"name_ja": "ヒアリング", "name_en": "Discovery", "order": 10, "probability": 10}
    page = client.post(edit, {**fields, "kind": "won"}).content.decode()
    assert "Deals are at this stage: it keeps its kind." in page
    client.post(edit, {**fields, "kind": "open", "is_retired": "on"})
    assert not DealStage.objects.offered().filter(pk=in_use.pk).exists()
    assert "Discovery" in client.get(reverse("deals:board")).content.decode()  # still has a deal


def test_the_last_stage_of_a_kind_is_not_retired(client_as, manager):
    won = stage("Won")
    page = client_as(manager).post(
        reverse("deals:stage_edit", args=[won.pk]),
        {"name_ja": "受注", "name_en": "Won", "order": 90, "probability": 100, "kind": "won",
         "is_retired": "on"},
    ).content.decode()  # fmt: skip
    assert "last stage of its kind" in page


def test_a_manager_keeps_the_lost_reasons(client_as, manager, rep, deal):
    client = client_as(manager)
    client.post(
        reverse("deals:reasons"),
        {"new-name_ja": "社内事情", "new-name_en": "Internal", "new-order": "70"},
    )
    added = LostReason.objects.get(name_en="Internal")
    services.lose_deal(deal, reason=added, note="x", by=rep)
    refused = client.post(reverse("deals:reason_delete", args=[added.pk]), follow=True)
    assert "is in use" in refused.content.decode()
    unused = reason("No response")
    client.post(reverse("deals:reason_delete", args=[unused.pk]))
    assert not LostReason.objects.filter(pk=unused.pk).exists()


def test_the_list_filters_name_stages_owners_and_campaigns_as_the_reader_reads(
    client_as, manager, rep, lead, campaign
):
    rep.first_name, rep.last_name = "Taro", "Yamada"
    rep.save()
    quote = stage("Quote")
    client = client_as(manager)
    params = {"stage": quote.pk, "owner": rep.pk, "campaign": campaign.pk, "status": "open"}
    page = client.get(reverse("deals:list"), params, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert f'<option value="{quote.pk}" selected>{quote.name_ja}</option>' in page
    assert f'<option value="{rep.pk}" selected>Yamada Taro</option>' in page
    assert f'<option value="{campaign.pk}" selected>Spring webinar</option>' in page
    assert '<option value="open" selected>' in page
    # A stage renamed shows at once: its rows are read on every page.
    DealStage.objects.filter(pk=quote.pk).update(name_en="Proposal")
    client.cookies.pop("django_language", None)
    english = client.get(reverse("deals:list"), params, HTTP_ACCEPT_LANGUAGE="en")
    assert f'<option value="{quote.pk}" selected>Proposal</option>' in english.content.decode()
