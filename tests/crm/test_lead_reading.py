"""crm_leadreading, the narrow copy of each lead's reading and search key
that the lead list sorts a search by reading in: kept by triggers on every
write path, and the list it serves unchanged."""

import pytest
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import merging
from crm.imports import engine, mapping, reading
from crm.models import Activity, Lead, LeadReading
from crm.people import lead_row
from tests import factories

pytestmark = pytest.mark.django_db


def assert_in_step() -> None:
    """Every lead has exactly its own row, with its reading and search key."""
    leads = set(Lead.objects.values_list("pk", "reading_key", "search_text"))
    copies = list(LeadReading.objects.values_list("lead_id", "reading_key", "search_text"))
    assert len(copies) == len(set(copies))
    assert set(copies) == leads


def test_a_new_lead_is_copied():
    lead = factories.lead(family_name="佐藤", family_name_kana="さとう", given_name="花子")
    assert_in_step()
    assert LeadReading.objects.get(lead=lead).reading_key.startswith("サトウ")


def test_a_renamed_lead_is_copied_again_even_into_another_partition():
    lead = factories.lead(family_name="佐藤", family_name_kana="サトウ")
    lead.family_name, lead.family_name_kana = "山田", "ヤマダ"
    lead.save(update_fields=["family_name", "family_name_kana"])
    assert_in_step()
    assert LeadReading.objects.get(lead=lead).reading_key.startswith("ヤマダ")


def test_bulk_writes_are_copied():
    """QuerySet.update() and bulk_create (the import's and bulk actions' way)
    go around save(): the triggers see them."""
    first = factories.lead(family_name="佐藤")
    Lead.objects.filter(pk=first.pk).update(search_text="xyz", reading_key="ワタナベ")
    Lead.objects.bulk_create(
        [
            Lead(
                **lead_row(
                    {"family_name": "鈴木", "family_name_kana": "スズキ", "email": "s@example.jp"}
                )
            )
        ]
    )
    assert_in_step()


def test_a_stage_change_leaves_the_copy_alone():
    lead = factories.lead(family_name="佐藤")
    Lead.objects.filter(pk=lead.pk).update(stage=Lead.Stage.MQL)
    assert_in_step()


def test_deleted_and_merged_leads_leave_no_copy(marketer):
    keep = factories.lead(family_name="佐藤", email="a@example.jp")
    other = factories.lead(family_name="佐藤", email="b@example.jp")
    gone = factories.lead(family_name="鈴木")
    merging.merge_people(keep, others=[other], by=marketer)
    gone.delete()
    assert_in_step()
    assert list(LeadReading.objects.values_list("lead_id", flat=True)) == [keep.pk]


def test_an_import_is_copied():
    table = reading.Table(
        ["姓", "名", "姓（カナ）", "名（カナ）", "メール"],
        [
            ["佐藤", "花子", "ｻﾄｳ", "ﾊﾅｺ", "hanako@example.jp"],
            ["田中", "一郎", "たなか", "いちろう", "ichiro@example.jp"],
        ],
        "utf-8",
    )
    planned = engine.plan(table, mapping.guess_mapping(table.headers))
    engine.apply(planned, campaign=None, kind=Activity.Kind.IMPORTED, actor=None, source="test")
    assert Lead.objects.count() == 2
    assert_in_step()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_truncated_lead_table_empties_the_copy():
    factories.lead(family_name="佐藤")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE crm_lead CASCADE")
    assert not LeadReading.objects.exists()


def people() -> None:
    """Surnames that share a reading and some that contain it elsewhere,
    with ties in reading (same name twice) broken by id."""
    names = [
        ("佐藤", "サトウ", "花子", "ハナコ"), ("佐藤", "さとう", "一郎", "イチロウ"),
        ("加藤", "カトウ", "聡", "サトシ"), ("伊佐藤", "イサトウ", "恵", "メグミ"),
        ("佐藤", "サトウ", "花子", "ハナコ"), ("里", "", "美里", ""),
        ("鈴木", "スズキ", "太郎", "タロウ"),
    ]  # fmt: skip
    for family, family_kana, given, given_kana in names * 3:
        factories.lead(
            family_name=family, family_name_kana=family_kana,
            given_name=given, given_name_kana=given_kana,
        )  # fmt: skip


@pytest.mark.parametrize("text", ["さとう", "サトウハナコ", "ｻﾄｳ", "佐藤花子", "example"])
def test_a_search_sorted_by_reading_finds_and_orders_as_before(text):
    """The same leads in the same order as the search on crm_lead itself,
    sorted by its own reading and then id."""
    people()
    before = list(
        Lead.objects.search(text)
        .order_by(Concat("reading_key", Value("")), "pk")
        .values_list("pk", flat=True)
    )
    now = Lead.objects.search_by_reading(text)
    assert "crm_leadreading" in str(now.query)
    assert list(now.values_list("pk", flat=True)) == before
    assert before


def test_a_rep_sees_only_their_leads_in_a_search_sorted_by_reading(client_as, rep, other_rep):
    people()
    Lead.objects.filter(given_name="花子").update(owner=rep)
    Lead.objects.filter(given_name="一郎").update(owner=other_rep)
    page = client_as(rep).get(reverse("crm:lead_list"), {"q": "さとう", "sort": "name"})
    shown = [row.pk for row in page.context["page"].object_list]
    expected = Lead.objects.filter(owner=rep, search_text__contains="サトウ").order_by(
        "reading_key", "pk"
    )
    assert shown == list(expected.values_list("pk", flat=True))
    assert shown


def test_a_search_with_other_matches_sorts_on_crm_lead(marketer):
    """A company or number found as well: the ORed search stays on crm_lead."""
    people()
    found = Lead.objects.search_by_reading("1234-5678")
    assert "crm_leadreading" not in str(found.query)


def test_a_marketers_search_sorted_by_reading_reads_the_copy_and_a_reps_does_not(
    client_as, marketer, rep
):
    """Joined to the copy, a rep's scope made PostgreSQL read every lead it
    allowed: a narrowed list sorts in crm_lead, with the same result."""
    people()
    params = {"q": "さとう", "sort": "name"}
    for user, reads_copy in ((marketer, True), (rep, False)):
        with CaptureQueriesContext(connection) as ctx:
            assert client_as(user).get(reverse("crm:lead_list"), params).status_code == 200
        assert any("crm_leadreading" in q["sql"] for q in ctx.captured_queries) is reads_copy
    narrowed = Lead.objects.filter(stage=Lead.Stage.LEAD).search_by_reading("さとう")
    assert "crm_leadreading" not in str(narrowed.query)
    assert list(narrowed.values_list("pk", flat=True)) == list(
        Lead.objects.search_by_reading("さとう").values_list("pk", flat=True)
    )
