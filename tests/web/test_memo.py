"""`{% memo %}` (web/templatetags/memo.py): a fragment rendered once per key,
and the chrome of the lead list that uses it, person by person."""

import re

import pytest
from django.forms import ModelChoiceField
from django.template import Context, Template, engines
from django.template.base import VariableNode
from django.urls import reverse
from django.utils import translation

from crm import saved_views
from crm.forms import LeadFilterForm
from crm.models import Campaign, ListKey, SavedView
from tests.conftest import make_user
from web.templatetags.memo import MemoNode

MEMO = Template(
    "{% load i18n memo %}{% memo key %}{{ inner }} {% translate 'Leads' %}{% endmemo %}"
)


def test_a_fragment_is_rendered_once_per_key():
    with translation.override("en"):
        assert MEMO.render(Context({"key": 1, "inner": "first"})) == "first Leads"
        assert MEMO.render(Context({"key": 1, "inner": "second"})) == "first Leads"
        assert MEMO.render(Context({"key": 2, "inner": "second"})) == "second Leads"


def test_the_language_is_part_of_every_key():
    with translation.override("en"):
        MEMO.render(Context({"key": "lang", "inner": "x"}))
    with translation.override("ja"):
        assert MEMO.render(Context({"key": "lang", "inner": "x"})) == "x リード"


def test_a_list_in_the_key_is_a_key():
    template = Template("{% load memo %}{% memo key %}{{ inner }}{% endmemo %}")
    assert template.render(Context({"key": ["a", "b"], "inner": 1})) == "1"
    assert template.render(Context({"key": ["a"], "inner": 2})) == "2"


@pytest.mark.django_db
def test_the_top_bar_and_buttons_are_each_persons_own(client_as, marketer, rep, manager):
    """Rendered for a marketer first, the memoised chrome never reaches a rep
    or a manager: each sees the links of their own permissions and name."""
    page = client_as(marketer).get(reverse("crm:lead_list")).content.decode()
    assert current_user(page) == "Hanako Sato" and reverse("crm:lead_create") in page
    assert reverse("handoff:scoring_rules") in page
    page = client_as(rep).get(reverse("crm:lead_list")).content.decode()
    assert current_user(page) == "Taro Suzuki"
    assert reverse("crm:lead_create") not in page
    assert reverse("handoff:scoring_rules") not in page
    assert reverse("handoff:queue") in page
    page = client_as(manager).get(reverse("crm:lead_list")).content.decode()
    assert current_user(page) == "Yuki Takahashi" and reverse("kpi:dashboard") in page


def current_user(page: str) -> str:
    found = re.search(r'data-testid="current-user">([^<]*)<', page)
    assert found
    return found.group(1)


@pytest.mark.django_db
def test_a_new_campaign_and_user_show_in_the_filters_at_once(client_as, marketer):
    client = client_as(marketer)
    client.get(reverse("crm:lead_list"))
    Campaign.objects.create(name="Autumn fair", channel="event", utm_code="autumn", owner=marketer)
    make_user("newcomer", "sales", first_name="Jiro", last_name="Kato")
    page = client.get(reverse("crm:lead_list")).content.decode()
    assert "Autumn fair" in page and "Kato" in page
    Campaign.objects.filter(name="Autumn fair").update(name="Winter fair")
    page = client.get(reverse("crm:lead_list")).content.decode()
    assert "Winter fair" in page and "Autumn fair" not in page


@pytest.mark.django_db
def test_the_menus_views_are_those_of_for_list(marketer, rep):
    """saved_views.for_menu, one fixed statement, gives for_list's views in
    its order with its defaults."""
    mine = SavedView.objects.create(
        list=ListKey.LEADS, name="B mine", owner=rep, query="stage=mql", columns=["email"]
    )
    SavedView.objects.create(list=ListKey.LEADS, name="A shared", owner=marketer, shared=True)
    SavedView.objects.create(list=ListKey.LEADS, name="C private", owner=marketer)
    SavedView.objects.create(list=ListKey.DEALS, name="D other list", owner=rep)
    SavedView.objects.create(list=ListKey.LEADS, name="A shared", owner=marketer, shared=True)
    saved_views.set_default(rep, ListKey.LEADS, mine)
    for user in (rep, marketer):
        expected = [(c.view.pk, c.is_default) for c in saved_views.for_list(user, ListKey.LEADS)]
        got = [(c.view.pk, c.is_default) for c in saved_views.for_menu(user, ListKey.LEADS)]
        assert got == expected
    assert [c.is_default for c in saved_views.for_menu(rep, ListKey.LEADS)] == [False, False, True]
    # Each view as the ORM reads it: its columns decoded, `shared` a boolean.
    menu = {c.view.pk: c for c in saved_views.for_menu(rep, ListKey.LEADS)}
    for choice in saved_views.for_list(rep, ListKey.LEADS):
        read = menu[choice.view.pk].view
        for name in ("list", "name", "query", "columns", "shared", "owner_id"):
            assert getattr(read, name) == getattr(choice.view, name)
            assert type(getattr(read, name)) is type(getattr(choice.view, name))
        assert menu[choice.view.pk].query == choice.query
    assert menu[mine.pk].query == "stage=mql&cols=name&cols=email&view=" + str(mine.pk)


def test_the_filter_fields_kept_by_query_string_have_their_choices_in_the_code():
    """A filter fragment kept per query string (`list_query`) holds no field
    whose choices are rows: a new campaign or owner would not show."""
    template = engines["django"].get_template("crm/lead_list.html").template
    kept = [
        node
        for node in template.nodelist.get_nodes_by_type(MemoNode)
        if [key.token for key in node.keys] == ["list_query"]
    ]
    fields = [
        variable.filter_expression.var.var.split(".")[1]
        for node in kept
        for variable in node.nodelist.get_nodes_by_type(VariableNode)
        if str(variable.filter_expression.var).startswith("form.")
    ]
    assert {"q", "stage", "sort", "min_fit", "industry", "prefecture", "consent"} <= set(fields)
    for name in fields:
        assert not isinstance(LeadFilterForm.base_fields[name], ModelChoiceField), name


@pytest.mark.django_db
def test_the_kept_filters_show_each_query_strings_own_values(client_as, marketer, rep):
    url = reverse("crm:lead_list")
    first = client_as(marketer).get(url, {"q": "<b>ミドリ</b>", "stage": "mql", "min_fit": "37"})
    html = first.content.decode()
    assert 'value="&lt;b&gt;ミドリ&lt;/b&gt;"' in html and 'id="id_min_fit" value="37"' in html
    assert '<option value="mql" selected>' in html
    # Another person, another query: their own values, nothing of the first.
    other = client_as(rep).get(url, {"q": "kato", "sort": "name"}).content.decode()
    assert 'id="id_q" value="kato"' in other
    assert "ミドリ" not in other
    assert 'id="id_min_fit" value=""' in other
    assert '<option value="name" selected>' in other
    assert '<option value="mql" selected>' not in other
    # The first query again, by someone else: the same values.
    again = client_as(rep).get(url, {"q": "<b>ミドリ</b>", "stage": "mql", "min_fit": "37"})
    assert 'id="id_min_fit" value="37"' in again.content.decode()
