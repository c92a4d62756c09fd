"""Saved views of the deal list: the lead list's views (crm/views_saved.py)
on the deal list's filters, sort and columns; personal or shared; a default
per user; the lead list's and the deal list's views kept apart."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import DefaultView, ListKey, SavedView
from deals import services
from deals.services import DealTerms
from tests.deals.conftest import stage

pytestmark = pytest.mark.django_db

LIST = reverse("deals:list")


def save(client, query, name="大型案件", **extra):
    return client.post(reverse("deals:saved_view_create"), {"query": query, "name": name, **extra})


def open_deal(lead, rep, name, amount):
    return services.open_deal(lead, by=rep, terms=DealTerms(name=name, amount=Decimal(amount)))


def test_saving_keeps_the_deal_filters_sort_and_columns_not_the_page(client_as, rep):
    query = "stage=3&min_amount=500000&sort=-amount&month=2027-03&page=2&cols=name&cols=amount"
    response = save(client_as(rep), query)
    view = SavedView.objects.get()
    assert (view.list, view.owner, view.shared) == (ListKey.DEALS, rep, False)
    assert parse_qs(view.query) == {
        "stage": ["3"],
        "min_amount": ["500000"],
        "sort": ["-amount"],
        "month": ["2027-03"],
    }
    assert view.columns == ["amount"]
    # Saving opens the view on the deal list.
    location = urlsplit(response["Location"])
    assert location.path == LIST
    assert parse_qs(location.query)["view"] == [str(view.pk)]


def test_opening_a_view_filters_sorts_and_hides_columns(client_as, rep, lead):
    open_deal(lead, rep, "小さな案件", 100_000)
    open_deal(lead, rep, "大きな案件", 900_000)
    client = client_as(rep)
    save(client, "min_amount=500000&sort=-amount&cols=name&cols=amount")
    view = SavedView.objects.get()
    page = client.get(f"{LIST}?{view_address(view)}")
    html = page.content.decode()
    assert "大きな案件" in html and "小さな案件" not in html
    assert "¥900,000" in html
    assert 'class="badge deal-' not in html  # the stage column is hidden
    assert page.context["current_view"] == str(view.pk)


def view_address(view):
    from crm.saved_views import address

    return address(view)


def test_the_default_view_opens_when_the_deal_list_has_no_query(client_as, rep):
    client = client_as(rep)
    save(client, "sort=close", make_default="on")
    view = SavedView.objects.get()
    assert DefaultView.objects.get(user=rep, list=ListKey.DEALS).view == view
    response = client.get(LIST)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["view"] == [str(view.pk)]
    assert client.get(LIST, {"view": "none"}).status_code == 200
    # The lead list has its own default: none.
    assert client.get(reverse("crm:lead_list")).status_code == 200


def test_lead_views_and_deal_views_are_kept_apart(client_as, manager, rep):
    lead_view = SavedView.objects.create(list="leads", name="leads", owner=rep, shared=True)
    deal_view = SavedView.objects.create(list="deals", name="deals", owner=rep, shared=True)
    client = client_as(rep)
    assert [c.view for c in client.get(LIST).context["views"]] == [deal_view]
    assert [c.view for c in client.get(reverse("deals:saved_view_list")).context["choices"]] == [
        deal_view
    ]
    # A lead view is not found through the deal list's pages, nor the reverse.
    wrong = client.post(reverse("deals:saved_view_edit", args=[lead_view.pk]), {"name": "x"})
    missing = client.post(reverse("deals:saved_view_edit", args=[999_999]), {"name": "x"})
    assert wrong.status_code == missing.status_code == 404
    assert wrong.content == missing.content
    assert client.post(reverse("deals:saved_view_default"), {"view": lead_view.pk}).status_code == (
        404
    )
    assert (
        client_as(manager).post(reverse("crm:saved_view_delete", args=[deal_view.pk])).status_code
        == 404
    )
    assert SavedView.objects.count() == 2


def test_deal_views_are_personal_unless_shared(client_as, rep, other_rep):
    SavedView.objects.create(list="deals", name="mine only", owner=rep)
    SavedView.objects.create(list="deals", name="for everyone", owner=rep, shared=True)
    names = [c.view.name for c in client_as(other_rep).get(LIST).context["views"]]
    assert names == ["for everyone"]


def test_only_the_owner_renames_and_managers_delete_shared_ones(client_as, rep, other_rep, manager):
    shared = SavedView.objects.create(list="deals", name="s", owner=rep, shared=True)
    personal = SavedView.objects.create(list="deals", name="p", owner=rep)
    other = client_as(other_rep)
    assert (
        other.post(reverse("deals:saved_view_edit", args=[shared.pk]), {"name": "x"}).status_code
        == 404
    )
    assert other.post(reverse("deals:saved_view_delete", args=[shared.pk])).status_code == 404
    boss = client_as(manager)
    assert boss.post(reverse("deals:saved_view_delete", args=[personal.pk])).status_code == 404
    assert boss.post(reverse("deals:saved_view_delete", args=[shared.pk])).status_code == 302
    owner = client_as(rep)
    owner.post(
        reverse("deals:saved_view_edit", args=[personal.pk]), {"name": "新しい名前", "shared": "on"}
    )
    personal.refresh_from_db()
    assert (personal.name, personal.shared) == ("新しい名前", True)
    owner.post(reverse("deals:saved_view_delete", args=[personal.pk]))
    assert not SavedView.objects.exists()


def test_a_deal_view_never_widens_a_reps_scope(client_as, rep, other_rep, lead):
    open_deal(lead, rep, "山田さんの案件", 300_000)
    view = SavedView.objects.create(list="deals", name="all", owner=rep, shared=True)
    html = client_as(other_rep).get(LIST, {"view": view.pk}).content.decode()
    assert "山田さんの案件" not in html


def test_a_nameless_view_is_refused_with_a_sentence_in_japanese(client_as, rep):
    client = client_as(rep)
    response = client.post(
        reverse("deals:saved_view_create"),
        {"query": "sort=name", "name": ""},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 302 and urlsplit(response["Location"]).path == LIST
    assert not SavedView.objects.exists()
    html = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "この項目は必須です。" in html


def test_the_deal_lists_views_cost_it_one_query(client_as, rep, lead):
    for n in range(5):
        open_deal(lead, rep, f"案件{n}", 100_000 * (n + 1))
    client = client_as(rep)
    client.get(LIST, {"view": "none"})
    with CaptureQueriesContext(connection) as before:
        client.get(LIST, {"stage": stage("Quote").pk})
    SavedView.objects.create(list="deals", name="a", owner=rep, query="sort=amount")
    SavedView.objects.create(list="deals", name="b", owner=rep, query="sort=name", shared=True)
    with CaptureQueriesContext(connection) as after:
        client.get(LIST, {"stage": stage("Quote").pk, "cols": ["name", "amount"]})
    assert len(after) == len(before)
