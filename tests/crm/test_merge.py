"""Merging several people: all or nothing, confirmed first, one audit entry;
and what a merged person was known by keeps finding the person kept."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.urls import reverse

from audit.models import Action, AuditEntry
from crm import capture, merging, services
from crm.imports import engine, reading
from crm.imports.mapping import guess_mapping
from crm.models import Activity, Campaign, Lead, LeadAlias
from crm.privacy import erase_person
from handoff.models import Handoff
from tests import factories

pytestmark = pytest.mark.django_db


def conflicting_group() -> tuple[Lead, Lead, Lead]:
    """A lead to keep with an open handoff, one that merges fine, and one
    with an open handoff of its own, which cannot join the first. The fine
    one is the newest, so the page (newest first) merges it first."""
    keep = Lead.objects.get(pk=factories.qualified_handoff().lead_id)
    blocked = Lead.objects.get(pk=factories.qualified_handoff().lead_id)
    fine = factories.lead(given_name="", phone="03-1111-2222")
    return keep, fine, blocked


# --- 4. All or nothing --------------------------------------------------------------


def test_a_merge_of_several_is_all_or_nothing(marketer):
    keep, fine, blocked = conflicting_group()
    with pytest.raises(merging.MergeConflict, match=blocked.display_name):
        merging.merge_people(keep, others=[fine, blocked], by=marketer)
    assert Lead.objects.filter(pk__in=[keep.pk, fine.pk, blocked.pk]).count() == 3
    assert not LeadAlias.objects.exists()
    assert not AuditEntry.objects.filter(action=Action.LEADS_MERGED).exists()
    assert not Activity.objects.filter(kind=Activity.Kind.NOTE).exists()


def test_the_page_merges_none_when_one_cannot_be_merged(client_as, marketer, rep):
    """It said "not merged" after an earlier lead of the same request had
    been merged and deleted."""
    keep, fine, blocked = conflicting_group()
    response = client_as(marketer).post(
        reverse("crm:merge"), {"keep": keep.pk, "others": [fine.pk, blocked.pk]}, follow=True
    )
    assert "Not merged" in response.content.decode()
    assert Lead.objects.filter(pk=fine.pk).exists()
    assert Handoff.objects.filter(lead=blocked).exists()


def test_one_audit_entry_lists_every_merged_id(marketer):
    keep = factories.lead(phone="")
    others = [factories.lead(phone="03-1111-2222"), factories.lead(title="部長")]
    merging.merge_people(keep, others=others, by=marketer)
    (entry,) = AuditEntry.objects.filter(action=Action.LEADS_MERGED)
    assert entry.object_id == str(keep.pk)
    assert entry.changes == {"merged": [o.pk for o in others], "filled": ["phone", "title"]}
    assert Lead.objects.get() == keep
    assert keep.activities.filter(kind=Activity.Kind.NOTE).count() == 2


def test_a_lead_merged_meanwhile_refuses_the_whole_merge(marketer):
    keep, gone, other = factories.lead(), factories.lead(), factories.lead()
    Lead.objects.filter(pk=gone.pk).delete()
    with pytest.raises(merging.MergeConflict, match=f"#{gone.pk}"):
        merging.merge_people(keep, others=[other, gone], by=marketer)
    assert Lead.objects.filter(pk=other.pk).exists()


def test_the_confirmation_shows_what_will_be_kept_and_changes_nothing(client_as, marketer):
    keep = factories.lead(family_name="山田", given_name="", phone="", email="a@example.jp")
    other = factories.lead(
        family_name="山田", given_name="花子", phone="03-1111-2222", email="b@example.jp"
    )
    services.record_activity(other, kind=Activity.Kind.DOWNLOAD)
    response = client_as(marketer).get(
        reverse("crm:merge"), {"keep": keep.pk, "others": [keep.pk, other.pk]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    preview = response.context["preview"]
    filled = {f.name: (f.value, f.source) for f in preview.fields if f.source}
    assert filled == {"given_name": ("花子", other), "phone": ("03-1111-2222", other)}
    assert ("activities", 1) in preview.merged[0].moving
    assert "b@example.jp" in html and "0311112222" in html  # still found under them
    assert f'name="others" value="{other.pk}"' in html and 'method="post"' in html
    assert Lead.objects.count() == 2
    assert not AuditEntry.objects.filter(action=Action.LEADS_MERGED).exists()


def test_the_preview_and_the_merge_fill_the_same_fields(marketer):
    keep = factories.lead(given_name="", department="", title="")
    first = factories.lead(given_name="一郎", department="")
    second = factories.lead(given_name="二郎", department="営業部", title="課長")
    preview = merging.preview_merge(keep, others=[first, second])
    shown = {f.name: f.value for f in preview.fields}
    merged = merging.merge_people(keep, others=[first, second], by=marketer)
    assert {name: getattr(merged, name) for name in shown} == shown
    assert (merged.given_name, merged.department, merged.title) == ("一郎", "営業部", "課長")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_merge_cannot_be_part_of_a_larger_transaction():
    keep, other = factories.lead(), factories.lead()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        merging.merge_people(keep, others=[other])


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_merges_of_the_same_people_at_once_do_one_or_the_other():
    """Two managers merge overlapping groups at the same moment: one wins,
    the other is refused whole (no half-merged group)."""
    for _round in range(5):
        a, b, c = factories.lead(), factories.lead(), factories.lead()
        outcomes = merge_at_once([(a, [b, c]), (c, [b])])
        assert sorted(outcomes) == ["merged", "refused"]
        left = set(Lead.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", flat=True))
        assert left in ({a.pk}, {a.pk, c.pk})


def merge_at_once(merges: list[tuple[Lead, list[Lead]]]) -> list[str]:
    """Run each merge in its own thread and connection, released together."""
    barrier = threading.Barrier(len(merges))
    outcomes: list[str] = []

    def merge(keep: Lead, others: list[Lead]) -> None:
        try:
            barrier.wait(timeout=30)
            merging.merge_people(keep, others=others)
            outcomes.append("merged")
        except merging.MergeConflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=merge, args=args) for args in merges]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


# --- 3. What the merged person was known by finds the person kept ----------------------

ROWS = [
    "会社名,姓,名,E-mail,電話番号,名刺交換日",
    "青葉商事,山田,花子,hanako@aoba.example.jp,03-1234-5678,2026/10/01",
    "青葉商事,山田,花子,h.yamada@aoba.example.jp,03-1234-5678,2026/10/02",
    "北斗物流,佐藤,健,sato@hokuto.example.jp,,2026/10/02",
]


def import_file(campaign: Campaign | None = None, rows: list[str] = ROWS) -> engine.Counts:
    table = reading.read_table("\r\n".join(rows).encode(), filename="cards.csv")
    planned = engine.plan(table, guess_mapping(table.headers))
    return engine.apply(
        planned, campaign=campaign, kind=Activity.Kind.CARD_EXCHANGE, actor=None, source="test"
    )


def merge_the_yamadas(marketer: Any) -> Lead:
    keep = Lead.objects.get(email="hanako@aoba.example.jp")
    other = Lead.objects.get(email="h.yamada@aoba.example.jp")
    return merging.merge_people(keep, others=[other], by=marketer)


def test_reimporting_a_file_after_a_merge_brings_nobody_back(marketer, campaign):
    """The README promises that importing the same file again changes
    nothing; after a merge the merged duplicate came back ("New 1")."""
    assert import_file(campaign).new == 3
    kept = merge_the_yamadas(marketer)
    timeline = kept.activities.count()
    counts = import_file(campaign)
    assert (counts.new, counts.updated) == (0, 0)
    assert counts.unchanged == 3
    assert Lead.objects.count() == 2
    assert kept.activities.count() == timeline  # the rows' entries are there already


def test_a_merged_persons_row_does_not_overwrite_the_person_kept(marketer):
    import_file()
    kept = merge_the_yamadas(marketer)
    Lead.objects.filter(pk=kept.pk).update(title="部長")
    # The merged person's row now says something else: the merge decided.
    rows = [*ROWS[:2], ROWS[2].replace("山田,花子", "山田,春子"), ROWS[3]]
    counts = import_file(rows=rows)
    assert (counts.new, counts.updated) == (0, 0)
    kept.refresh_from_db()
    assert (kept.given_name, kept.title) == ("花子", "部長")


def test_a_form_submit_by_a_merged_email_finds_the_person_kept(marketer, campaign):
    import_file()
    kept = merge_the_yamadas(marketer)
    lead, activity = capture.capture_lead(
        campaign,
        data=capture.CaptureData(email="H.Yamada@aoba.example.jp", family_name="山田"),
    )
    assert lead == kept and activity.lead_id == kept.pk
    assert Lead.objects.count() == 2


def test_a_lead_of_its_own_wins_over_an_alias(marketer, campaign):
    import_file()
    merge_the_yamadas(marketer)
    own = factories.lead(email="h.yamada@aoba.example.jp")  # created again through the API, say
    lead, _activity = capture.capture_lead(
        campaign, data=capture.CaptureData(email="h.yamada@aoba.example.jp", family_name="山田")
    )
    assert lead == own


def test_search_finds_the_person_kept_by_a_merged_email_or_phone(client_as, marketer):
    keep = factories.lead(email="keep@example.jp", phone="03-1111-2222")
    other = factories.lead(email="old.address@example.jp", phone="090-9999-8888")
    merging.merge_people(keep, others=[other], by=marketer)
    client = client_as(marketer)
    for query in ("old.address@example.jp", "090-9999-8888", "９９９９８８８８"):
        page = client.get(reverse("crm:lead_list"), {"q": query})
        assert [lead.pk for lead in page.context["page"].object_list] == [keep.pk], query


def test_merged_identifiers_follow_a_second_merge(marketer):
    a, b, c = factories.lead(), factories.lead(email="b@example.jp"), factories.lead()
    merging.merge_people(b, others=[c], by=marketer)
    merging.merge_people(a, others=[b], by=marketer)
    assert set(LeadAlias.objects.values_list("lead_id", flat=True)) == {a.pk}
    assert services.kept_email(services.normalise_email(c.email)) == a.email


def test_erasing_the_person_kept_erases_what_they_were_known_by(marketer, manager):
    keep = factories.lead(email="keep@example.jp")
    other = factories.lead(email="former@example.jp", phone="090-9999-8888")
    merging.merge_people(keep, others=[other], by=marketer)
    erase_person(keep, by=manager)
    values = list(LeadAlias.objects.values_list("value", flat=True))
    assert values and not any("former" in v or "9999" in v for v in values)
