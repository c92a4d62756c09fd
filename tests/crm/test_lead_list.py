"""The lead list: search in kanji, kana, email, company and phone; filters; sort."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from crm.models import Company, Lead
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    aoba = Company.objects.create(name="株式会社青葉商事")
    return {
        "yamada": factories.lead(
            family_name="山田",
            given_name="太郎",
            family_name_kana="ヤマダ",
            given_name_kana="タロウ",
            email="taro@aoba.example.jp",
            company=aoba,
            phone="03-1234-5678",
            engagement_score=40,
        ),
        "hayashi": factories.lead(
            family_name="林",
            given_name="花子",
            family_name_kana="ハヤシ",
            email="hana@hokuto.example.jp",
            fit_score=30,
            created_at=datetime(2026, 1, 15, 12, tzinfo=ZoneInfo("Asia/Tokyo")),
        ),
    }


def found(client, **params):
    response = client.get(reverse("crm:lead_list"), params)
    assert response.status_code == 200
    return {lead.email for lead in response.context["page"].object_list}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("山田", {"taro@aoba.example.jp"}),  # two characters: a prefix
        ("林", {"hana@hokuto.example.jp"}),  # one character
        ("ヤマダ", {"taro@aoba.example.jp"}),  # kana, three characters: anywhere
        ("ﾔﾏﾀﾞ", {"taro@aoba.example.jp"}),  # half-width kana is normalised
        ("aoba", {"taro@aoba.example.jp"}),
        ("HANA@", {"hana@hokuto.example.jp"}),
        ("青葉", {"taro@aoba.example.jp"}),  # company, short: its key's start
        ("青葉商事", {"taro@aoba.example.jp"}),
        ("１２３４－５６７８", {"taro@aoba.example.jp"}),  # phone, full-width
        ("nobody", set()),
    ],
)
def test_search(client_as, marketer, people, query, expected):
    assert found(client_as(marketer), q=query) == expected


def test_filters_combine(client_as, marketer, people):
    client = client_as(marketer)
    assert found(client, min_engagement=10) == {"taro@aoba.example.jp"}
    assert found(client, min_fit=10) == {"hana@hokuto.example.jp"}
    assert found(client, created_from="2026-01-01", created_to="2026-01-31") == {
        "hana@hokuto.example.jp"
    }
    assert found(client, stage="mql") == set()


def test_sort_orders(client_as, marketer, people):
    client = client_as(marketer)
    page = client.get(reverse("crm:lead_list"), {"sort": "-engagement"}).context["page"]
    assert page.object_list[0].email == "taro@aoba.example.jp"
    page = client.get(reverse("crm:lead_list"), {"sort": "-fit"}).context["page"]
    assert page.object_list[0].email == "hana@hokuto.example.jp"


def test_bad_filters_are_explained_and_the_list_still_shows(client_as, marketer, people):
    response = client_as(marketer).get(
        reverse("crm:lead_list"), {"created_from": "2026-02-01", "created_to": "2026-01-01"}
    )
    assert "cannot end before it starts" in response.content.decode()
    assert len(response.context["page"].object_list) == 2


def test_htmx_returns_only_the_results(client_as, marketer, people):
    response = client_as(marketer).get(
        reverse("crm:lead_list"), {"q": "山田"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">') and "<html" not in body


def test_count_is_capped_for_huge_lists(client_as, marketer, monkeypatch):
    from crm import views

    monkeypatch.setattr(views.CappedPaginator, "CAP", 5)
    Lead.objects.bulk_create(Lead(family_name="x", email=f"c{i}@x.jp") for i in range(8))
    response = client_as(marketer).get(reverse("crm:lead_list"))
    assert "More than 5 leads" in response.content.decode()


def test_rep_searching_sees_only_their_scope(client_as, rep, people):
    assert found(client_as(rep), q="山田") == set()


def test_the_results_fragment_carries_an_export_of_its_own_filters(client_as, marketer, people):
    """The export links kept the query of the first page load while htmx
    changed the results under them."""
    response = client_as(marketer).get(
        reverse("crm:lead_list"), {"q": "山田", "stage": "", "page": "1"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html  # the fragment only
    form = html[html.index('data-testid="export-form"') :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="q" value="山田">' in form
    assert 'name="page"' not in form
    assert 'value="utf-8-sig"' in form and 'value="cp932"' in form
    assert response["Vary"].count("HX-Request") == 1


def test_going_back_to_a_filtered_list_gets_the_whole_page(client_as, marketer, people):
    """htmx keeps no snapshot of the list: on back/forward it asks again with
    HX-History-Restore-Request and must get the page, not the fragment."""
    response = client_as(marketer).get(
        reverse("crm:lead_list"),
        {"q": "山田"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    html = response.content.decode()
    assert "<html" in html
    assert 'value="山田"' in html  # the search box says what the results show
    assert 'hx-history="false"' in html


def test_reps_get_no_export_form(client_as, rep, people):
    html = client_as(rep).get(reverse("crm:lead_list")).content.decode()
    assert 'data-testid="export-form"' not in html


def test_the_filter_selects_render_as_djangos_own(campaign):
    """crm.widgets.QuickSelect builds in Python the markup Django's select
    templates give (the lead list's filters took half its time that way)."""
    from django import forms
    from django.test.html import parse_html

    from crm.forms import LeadFilterForm

    form = LeadFilterForm({"campaign": str(campaign.pk), "prefecture": "13", "sort": "name"})
    for name, field in form.fields.items():
        if not isinstance(field.widget, forms.Select):
            continue
        bound = form[name]
        quick = bound.as_widget()
        django = bound.as_widget(
            widget=forms.Select(attrs=field.widget.attrs, choices=field.widget.choices)
        )
        assert parse_html(quick) == parse_html(django), name
        assert "selected" in quick or name not in {"campaign", "prefecture", "sort"}


def test_filter_forms_share_their_fields_and_keep_nothing_of_each_other(campaign):
    """The filter form hands every instance the same fields (crm.forms.SharedFields):
    a form's data, choices and rendering must not reach the next one."""
    from crm.forms import LeadFilterForm

    first = LeadFilterForm({"campaign": str(campaign.pk), "stage": "mql", "sort": "name"})
    assert first.is_valid()
    rendered = str(first["stage"]) + str(first["campaign"])
    second = LeadFilterForm(None)
    assert second.fields["stage"] is first.fields["stage"]
    assert second.fields is not first.fields  # each form may reorder its own
    assert " selected" not in str(second["stage"]).replace('value="" selected', "")
    assert f'value="{campaign.pk}" selected' not in str(second["campaign"])
    assert 'value="mql" selected' in rendered
    bad = LeadFilterForm({"stage": "nonsense"})
    assert not bad.is_valid()
    assert LeadFilterForm({"stage": "sql"}).is_valid()


def test_the_list_takes_at_most_ten_queries_however_many_leads(client_as, marketer, campaign):
    """Session, user, permissions (2), the saved views, the capped count, the
    page, its scores, the campaign and owner filters: 10, for 3 leads as for
    30 (bench_pages checks the same at 10,000 and 100,000)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(marketer)
    url = reverse("crm:lead_list")
    company = Company.objects.create(name="株式会社青葉商事")
    for _ in range(3):
        factories.lead(company=company, source_campaign=campaign, engagement_score=5)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(27):
        factories.lead(company=company, source_campaign=campaign, owner=marketer, fit_score=3)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    html = page.content.decode()
    assert html.count('class="badge stage-') == 30
    # Each row's link and stage as the model gives them (crm/templatetags/lead_rows.py).
    lead = Lead.objects.order_by("-pk").first()
    assert f'<a href="{lead.get_absolute_url()}">' in html
    assert f">{lead.get_stage_display()}</span>" in html
    assert len(many) == len(few) <= 10
