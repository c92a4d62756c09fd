"""Saved views of the lead list: filters, sort and columns under a name;
personal or shared; a default per user; rename and delete."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import DefaultView, ListKey, SavedView
from tests import factories

pytestmark = pytest.mark.django_db

LIST = reverse("crm:lead_list")


def save(client, query, name="Tokyo MQLs", **extra):
    return client.post(reverse("crm:saved_view_create"), {"query": query, "name": name, **extra})


def test_saving_keeps_filters_sort_and_columns_not_the_page(client_as, marketer):
    client = client_as(marketer)
    response = save(client, "q=&stage=mql&sort=-fit&page=3&cols=name&cols=email&cols=stage")
    view = SavedView.objects.get()
    assert (view.name, view.list, view.owner, view.shared) == (
        "Tokyo MQLs",
        ListKey.LEADS,
        marketer,
        False,
    )
    assert parse_qs(view.query) == {"stage": ["mql"], "sort": ["-fit"]}
    assert view.columns == ["email", "stage"]
    # Saving opens the view.
    params = parse_qs(urlsplit(response["Location"]).query)
    assert params["view"] == [str(view.pk)] and params["stage"] == ["mql"]


def test_a_view_shows_only_its_columns(client_as, marketer):
    factories.lead(email="a@example.com")
    html = client_as(marketer).get(LIST, {"cols": ["name", "email"]}).content.decode()
    assert "a@example.com" in html
    assert 'class="badge stage-' not in html  # the stage column is hidden


def test_the_default_view_opens_when_the_list_has_no_query(client_as, marketer):
    client = client_as(marketer)
    save(client, "stage=mql", make_default="on")
    view = SavedView.objects.get()
    response = client.get(LIST)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["view"] == [str(view.pk)]
    # Any query, even "no view" (a segment's link), is taken as it is.
    assert client.get(LIST, {"view": "none"}).status_code == 200
    assert client.get(LIST, {"stage": ""}).status_code == 200


def test_views_are_personal_unless_shared(client_as, marketer, rep):
    SavedView.objects.create(list="leads", name="mine only", owner=marketer)
    SavedView.objects.create(list="leads", name="for everyone", owner=marketer, shared=True)
    names = [c.view.name for c in client_as(rep).get(LIST).context["views"]]
    assert names == ["for everyone"]


def test_a_shared_view_can_be_a_reps_default_but_not_renamed_by_them(client_as, marketer, rep):
    shared = SavedView.objects.create(
        list="leads", name="for everyone", owner=marketer, shared=True
    )
    client = client_as(rep)
    client.post(reverse("crm:saved_view_default"), {"view": shared.pk})
    assert DefaultView.objects.get(user=rep).view == shared
    edit = client.post(reverse("crm:saved_view_edit", args=[shared.pk]), {"name": "mine now"})
    missing = client.post(reverse("crm:saved_view_edit", args=[999_999]), {"name": "x"})
    assert edit.status_code == missing.status_code == 404
    assert edit.content == missing.content
    shared.refresh_from_db()
    assert shared.name == "for everyone"
    client.post(reverse("crm:saved_view_default"), {"view": ""})
    assert not DefaultView.objects.filter(user=rep).exists()


def test_rename_and_delete_own_views(client_as, marketer):
    view = SavedView.objects.create(list="leads", name="old", owner=marketer)
    client = client_as(marketer)
    client.post(reverse("crm:saved_view_edit", args=[view.pk]), {"name": "new", "shared": "on"})
    view.refresh_from_db()
    assert (view.name, view.shared) == ("new", True)
    client.post(reverse("crm:saved_view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_managers_delete_shared_views_not_personal_ones(client_as, marketer, manager, rep):
    shared = SavedView.objects.create(list="leads", name="s", owner=marketer, shared=True)
    personal = SavedView.objects.create(list="leads", name="p", owner=marketer)
    assert (
        client_as(rep).post(reverse("crm:saved_view_delete", args=[shared.pk])).status_code == 404
    )
    client = client_as(manager)
    assert client.post(reverse("crm:saved_view_delete", args=[personal.pk])).status_code == 404
    assert client.post(reverse("crm:saved_view_delete", args=[shared.pk])).status_code == 302
    assert list(SavedView.objects.all()) == [personal]


def test_a_view_without_a_name_is_refused_with_a_sentence(client_as, marketer):
    response = save(client_as(marketer), "stage=mql", name="")
    assert response.status_code == 302
    assert not SavedView.objects.exists()


def test_a_view_never_widens_a_reps_scope(client_as, marketer, rep):
    factories.lead(email="someone@example.com", stage="lead")
    view = SavedView.objects.create(list="leads", name="all", owner=marketer, shared=True)
    page = client_as(rep).get(LIST, {"view": view.pk})
    assert "someone@example.com" not in page.content.decode()


def test_applying_a_view_adds_one_query_at_most(client_as, marketer, campaign):
    """The list took 9 queries; its views (and the default) are one more."""
    for _ in range(5):
        factories.lead(source_campaign=campaign)
    SavedView.objects.create(list="leads", name="a", owner=marketer, query="stage=lead")
    client = client_as(marketer)
    client.get(LIST, {"view": "none"})
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST, {"stage": "lead", "cols": ["name", "email"]}).status_code == 200
    assert len(queries) <= 10


def test_the_segment_link_opens_the_segments_filter_not_the_default(client_as, marketer):
    from nurture.models import Segment

    client = client_as(marketer)
    save(client, "stage=mql", make_default="on")
    segment = Segment.objects.create(name="all", query="")
    html = client.get(reverse("nurture:segment_detail", args=[segment.pk])).content.decode()
    assert f"{LIST}?view=none&amp;" in html
    assert client.get(LIST + "?view=none&").status_code == 200
