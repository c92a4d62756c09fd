"""A lead table's rows, built in Python (crm/lead_table.py): the markup the
template loop gave, every text escaped, and the lead list's query counts."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template import engines
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from crm import lead_table
from crm.models import Company, Lead
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_kept_rows():
    """Each test writes its rows afresh (rows() keeps them between pages)."""
    lead_table._kept_rows.clear()
    yield
    lead_table._kept_rows.clear()


# The loop crm/_lead_table.html had (3cf41c4), with the model's own methods.
TEMPLATE_LOOP = """{% load i18n %}{% for lead in leads %}
<tr>
  {% if bulk_form_id %}<td class="lead-select"><input class="form-check-input" type="checkbox" name="ids" value="{{ lead.pk }}" form="{{ bulk_form_id }}" id="select-{{ lead.pk }}" aria-label="{% blocktranslate with name=lead.display_name %}Select {{ name }}{% endblocktranslate %}" data-testid="select-lead"></td>{% endif %}
  <td class="text-nowrap"><a href="{{ lead.get_absolute_url }}">{{ lead.display_name }}</a></td>
  {% if columns is None or "company" in columns %}<td class="cell-name">{{ lead.company.name|default:"—" }}</td>{% endif %}
  {% if columns is None or "email" in columns %}<td class="small">{{ lead.email }}</td>{% endif %}
  {% if columns is None or "stage" in columns %}<td><span class="badge stage-{{ lead.stage }}">{{ lead.get_stage_display }}</span></td>{% endif %}
  {% if columns is None or "fit" in columns %}<td class="text-end">{{ lead.fit_score }}</td>{% endif %}
  {% if columns is None or "engagement" in columns %}<td class="text-end">{{ lead.engagement_score }}</td>{% endif %}
  {% if columns is None or "created" in columns %}<td class="small text-nowrap">{{ lead.created_at|date:"SHORT_DATE_FORMAT" }}</td>{% endif %}
</tr>{% endfor %}"""  # noqa: E501


@pytest.fixture
def leads():
    hostile = Company.objects.create(name='<img src=x onerror="alert(1)"> & Co')
    factories.lead(
        family_name="<script>alert(1)</script>",
        given_name='O\'Brien & "Sons"',
        email="x<y>@example.jp",
        company=hostile,
        stage=Lead.Stage.MQL,
        fit_score=12,
        engagement_score=-3,
        # Late evening in UTC is the next day in Tokyo.
        created_at=datetime(2026, 3, 31, 20, tzinfo=ZoneInfo("UTC")),
    )
    factories.lead(family_name="Smith", given_name="John", stage=Lead.Stage.CUSTOMER)
    factories.lead(
        family_name="山田", given_name="太郎", company=Company.objects.create(name="青葉")
    )
    return list(Lead.objects.select_related("company", "score").order_by("pk"))


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(
    ("columns", "bulk_form_id"),
    [(None, ""), (None, "bulk-form"), (["stage", "created"], "bulk-form"), ([], "")],
)
def test_the_rows_are_the_markup_the_template_loop_gave(leads, language, columns, bulk_form_id):
    loop = engines["django"].from_string(TEMPLATE_LOOP)
    with translation.override(language):
        expected = loop.render({"leads": leads, "columns": columns, "bulk_form_id": bulk_form_id})
        from_instances = lead_table.rows(leads, columns=columns, bulk_form_id=bulk_form_id)
        read = Lead.objects.filter(pk__in=[lead.pk for lead in leads]).order_by("pk")
        from_values = lead_table.rows(
            lead_table.as_rows(lead_table.row_values(read)),
            columns=columns,
            bulk_form_id=bulk_form_id,
        )
    assert parse_html(from_instances) == parse_html(expected)
    assert parse_html(from_values) == parse_html(expected)


def test_every_text_of_a_row_is_escaped(leads):
    html = lead_table.rows(leads, bulk_form_id="bulk-form")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co" in html
    assert "x&lt;y&gt;@example.jp" in html
    assert "O&#x27;Brien &amp; &quot;Sons&quot;" in html


def test_a_stage_outside_the_choices_shows_escaped_as_it_is_stored():
    odd = lead_table.LeadRow(
        1, "山田", "", "", "a@example.jp", '"><b>odd', datetime(2026, 4, 1, tzinfo=ZoneInfo("UTC"))
    )
    html = lead_table.rows([odd], columns=["stage"])
    assert '<span class="badge stage-&quot;&gt;&lt;b&gt;odd">&quot;&gt;&lt;b&gt;odd</span>' in html


def test_the_list_shows_a_hostile_name_escaped(client_as, marketer, leads):
    html = client_as(marketer).get(reverse("crm:lead_list")).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<img src=x onerror="alert(1)">' not in html


def test_the_list_fragment_takes_as_many_queries_for_3_leads_as_for_30(
    client_as, marketer, campaign
):
    """The htmx fragment (a filter changed): session, user, permissions, the
    saved views, the capped count, the page with its scores and nothing for
    the filter form it leaves out; the same for 30 leads as for 3."""
    client = client_as(marketer)
    url = reverse("crm:lead_list")
    for _ in range(3):
        factories.lead(source_campaign=campaign, engagement_score=5)
    params = {"stage": "lead"}
    client.get(url, params, HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, params, HTTP_HX_REQUEST="true").status_code == 200
    for _ in range(27):
        factories.lead(source_campaign=campaign, owner=marketer, fit_score=3)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url, params, HTTP_HX_REQUEST="true")
    assert page.content.decode().count('class="badge stage-') == 30
    assert len(many) == len(few) <= 7


def test_a_page_of_leads_builds_no_model_instance_per_row(client_as, marketer, campaign):
    """The page's rows are read as values (crm.lead_table.row_values), so
    neither the lead, its company nor its scores are a query of their own."""
    client = client_as(marketer)
    company = Company.objects.create(name="青葉")
    for _ in range(5):
        factories.lead(company=company, source_campaign=campaign, fit_score=1)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("crm:lead_list")).status_code == 200
    lead_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "crm_lead"' in q["sql"]]
    score_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "crm_leadscore"' in q["sql"]]
    assert len(lead_reads) == 2  # the capped count and the page (its companies joined)
    assert score_reads == lead_reads[1:]  # the scores are columns of the page's rows


def test_a_lead_without_a_score_row_reads_as_zero_and_scores_sort_as_before(leads):
    from crm.models import LeadScore

    LeadScore.objects.filter(lead=leads[0]).delete()
    found = lead_table.as_rows(lead_table.row_values(Lead.objects.filter(pk=leads[0].pk)))
    assert (found[0].fit, found[0].engagement) == (0, 0)
    # Sorted by a score (its join) with the scores read as columns: the same rows.
    by_fit = Lead.objects.exclude(pk=leads[0].pk).order_by("-score__fit", "-pk")
    rows = lead_table.as_rows(lead_table.row_values(by_fit))
    assert [(r.pk, r.fit) for r in rows] == [(x.pk, x.fit_score) for x in by_fit]


def test_a_row_seen_again_is_kept_and_a_changed_one_is_written_anew(leads, monkeypatch):
    written = []
    real_writer = lead_table._row_writer

    def counting_writer(*args):
        write = real_writer(*args)
        return lambda lead: written.append(lead.pk) or write(lead)

    monkeypatch.setattr(lead_table, "_row_writer", counting_writer)
    read = lead_table.as_rows(lead_table.row_values(Lead.objects.order_by("pk")))
    with translation.override("en"):
        first = lead_table.rows(read, bulk_form_id="bulk-form")
        again = lead_table.rows(read, bulk_form_id="bulk-form")
    assert again == first and len(written) == 3
    # Another language, other columns, no bulk form: each its own markup.
    with translation.override("ja"):
        japanese = lead_table.rows(read, bulk_form_id="bulk-form")
    with translation.override("en"):
        narrow = lead_table.rows(read, columns=["stage"])
    assert len(written) == 9 and japanese != first and narrow != first
    # A lead whose stage changed is a new row; the others are kept.
    Lead.objects.filter(pk=leads[1].pk).update(stage=Lead.Stage.SQL)
    read = lead_table.as_rows(lead_table.row_values(Lead.objects.order_by("pk")))
    with translation.override("en"):
        changed = lead_table.rows(read, bulk_form_id="bulk-form")
    assert written[9:] == [leads[1].pk]
    assert changed.count('class="badge stage-sql"') == 1 and changed != first


def test_the_kept_rows_stay_bounded(leads, monkeypatch):
    monkeypatch.setattr(lead_table, "MAX_KEPT_ROWS", 2)
    read = lead_table.as_rows(lead_table.row_values(Lead.objects.order_by("pk")))
    html = lead_table.rows(read)
    assert html.count("<tr>") == 3
    assert all(len(kept) <= 2 for kept in lead_table._kept_rows.values())
