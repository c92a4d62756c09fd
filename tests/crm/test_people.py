"""Adding and changing people and companies: the service, the pages, the
duplicate warning, the edit conflict and the field history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from audit.models import Action, AuditEntry
from crm import dedupe, history, people, privacy
from crm.models import Company, Lead, StageChange
from handoff import services as handoff_services
from tests import factories

pytestmark = pytest.mark.django_db

PERSON = {
    "family_name": "青木",
    "given_name": "花子",
    "family_name_kana": "アオキ",
    "given_name_kana": "ハナコ",
    "department": "営業部",
    "title": "部長",
    "email": "Hanako@Aoki.Example.jp",
    "phone": "03-1111-2222",
    "phone_direct": "",
    "phone_department": "",
    "mobile": "",
    "fax": "",
    "prefecture": "13",
    "address": "千代田区1-1",
}


def test_create_lead_folds_the_email_finds_the_company_and_records_the_first_stage(marketer):
    existing = Company.objects.create(name="株式会社青葉商事")
    lead = people.create_lead(PERSON, by=marketer, reason="page", company_name="㈱青葉商事")
    assert lead.email == "hanako@aoki.example.jp"
    assert lead.company == existing
    assert lead.phone_digits == "0311112222"
    change = StageChange.objects.get(lead=lead)
    assert (change.to_stage, change.reason, change.changed_by) == ("lead", "page", marketer)
    assert lead.history.count() == 1  # created, by the marketer
    assert lead.history.first().history_user == marketer


def test_import_and_create_build_the_same_row():
    """The import's bulk insert and create_lead share crm.people.lead_row."""
    row = people.lead_row(PERSON)
    lead = Lead(**row)
    lead.save()
    lead.refresh_from_db()
    for name in ("phone_digits", "search_text", "reading_key", "other_phone_digits"):
        assert getattr(lead, name) == row[name]


def test_update_lead_rescores_only_when_a_fit_field_changes(marketer, monkeypatch):
    lead = people.create_lead(PERSON, by=marketer, reason="page")
    rescored = []
    monkeypatch.setattr(people, "rescore_lead", lambda pk: rescored.append(pk))
    people.update_lead(lead, changes={"phone": "03-9999-0000"}, by=marketer)
    assert rescored == []
    people.update_lead(lead, changes={"title": "社長"}, by=marketer)
    assert rescored == [lead.pk]


def test_a_save_on_a_stale_form_is_refused(marketer):
    lead = people.create_lead(PERSON, by=marketer, reason="page")
    loaded = lead.updated_at
    people.update_lead(lead, changes={"title": "課長"}, by=marketer, seen_updated_at=loaded)
    stale = Lead.objects.get(pk=lead.pk)
    with pytest.raises(people.EditConflict):
        people.update_lead(stale, changes={"title": "係長"}, by=marketer, seen_updated_at=loaded)
    assert Lead.objects.get(pk=lead.pk).title == "課長"


def test_candidates_find_the_same_email_phone_and_name_at_the_company(marketer):
    company = Company.objects.create(name="株式会社青葉商事")
    same = factories.lead(email="hanako@aoki.example.jp")
    phone = factories.lead(phone="０３－１１１１－２２２２")
    named = factories.lead(family_name="青木", given_name="花子", company=company)
    found = dedupe.lead_candidates(
        {**PERSON, "email": "HANAKO@aoki.example.jp"}, company=company, leads=Lead.objects.all()
    )
    by_pk = {c.record.pk: c for c in found}
    assert set(by_pk) == {same.pk, phone.pk, named.pk}
    assert by_pk[same.pk].blocking and not by_pk[phone.pk].blocking


def test_company_candidates_know_the_legal_form_and_the_domain():
    aoba = Company.objects.create(name="株式会社青葉商事", domain="aoba.example.jp")
    found = dedupe.company_candidates({"name": "㈱青葉商事", "domain": ""})
    assert [c.record for c in found] == [aoba] and found[0].blocking
    found = dedupe.company_candidates({"name": "青葉ホールディングス", "domain": "aoba.example.jp"})
    assert [c.record for c in found] == [aoba] and not found[0].blocking


def test_company_candidates_fold_the_reading_and_the_domain():
    aoba = Company.objects.create(
        name="株式会社青葉商事", name_kana="アオバショウジ", domain="aoba.example.jp"
    )
    by_reading = dedupe.company_candidates({"name": "あおば", "name_kana": "ｱｵﾊﾞｼｮｳｼﾞ"})
    by_domain = dedupe.company_candidates(
        {"name": "青葉HD", "domain": "https://www.AOBA.example.jp/"}
    )
    assert [(c.record, c.reasons) for c in by_reading] == [(aoba, ["same reading"])]
    assert [(c.record, c.reasons) for c in by_domain] == [(aoba, ["same web domain"])]


def test_company_form_refuses_a_domain_nfkc_makes_too_long():
    from crm.forms_people import CompanyForm

    form = CompanyForm({"name": "北斗物流", "domain": "㍿" * 60})
    assert not form.is_valid()
    assert form.errors["domain"] == ["The domain is too long."]


def _form(**changes: str) -> dict[str, str]:
    return {**PERSON, "company_name": "", **changes}


def test_marketer_adds_a_person_on_the_page(client_as, marketer):
    response = client_as(marketer).post(reverse("crm:lead_create"), _form())
    lead = Lead.objects.get()
    assert response.status_code == 302 and response.url == lead.get_absolute_url()


def test_duplicate_warning_then_save_anyway_is_in_the_audit_trail(client_as, marketer):
    client = client_as(marketer)
    first = factories.lead(phone="03-1111-2222")
    response = client.post(reverse("crm:lead_create"), _form())
    assert response.status_code == 200
    assert first.get_absolute_url() in response.content.decode()
    assert Lead.objects.count() == 1
    response = client.post(reverse("crm:lead_create"), _form(save_anyway="on"))
    assert response.status_code == 302
    new = Lead.objects.exclude(pk=first.pk).get()
    entry = AuditEntry.objects.get(action=Action.DUPLICATE_SAVED)
    assert entry.object_id == str(new.pk) and entry.changes == {"duplicates": [first.pk]}


def test_the_same_email_cannot_be_saved_anyway(client_as, marketer):
    factories.lead(email="hanako@aoki.example.jp")
    response = client_as(marketer).post(reverse("crm:lead_create"), _form(save_anyway="on"))
    assert response.status_code == 200
    assert 'data-testid="save-anyway"' not in response.content.decode()
    assert Lead.objects.count() == 1


def test_second_of_two_simultaneous_edits_gets_a_message(client_as, marketer):
    lead = people.create_lead(PERSON, by=marketer, reason="page")
    loaded = lead.updated_at.isoformat()
    client = client_as(marketer)
    url = reverse("crm:lead_edit", args=[lead.pk])
    first = client.post(url, _form(title="課長", seen_updated_at=loaded))
    assert first.status_code == 302
    second = client.post(url, _form(title="係長", seen_updated_at=loaded), follow=True)
    assert "Someone else saved this record" in second.content.decode()
    assert Lead.objects.get(pk=lead.pk).title == "課長"


def test_rep_edits_the_lead_they_work_not_others(client_as, rep, other_rep, campaign):
    handoff = factories.qualified_handoff(campaign)
    handoff_services.claim_handoff(handoff, rep=rep)
    url = reverse("crm:lead_edit", args=[handoff.lead_id])
    assert client_as(other_rep).get(url).status_code == 404
    response = client_as(rep).get(url)
    assert response.status_code == 200
    assert 'name="owner"' not in response.content.decode()  # owners change by handoffs


def test_history_shows_who_changed_which_field(client_as, marketer):
    lead = people.create_lead(PERSON, by=marketer, reason="page")
    people.update_lead(lead, changes={"phone": "03-5555-6666"}, by=marketer)
    (change,) = history.field_changes(lead)
    assert (change.field, change.old, change.new) == ("phone", "03-1111-2222", "03-5555-6666")
    assert change.who == "Hanako Sato"
    page = client_as(marketer).get(lead.get_absolute_url()).content.decode()
    assert "03-5555-6666" in page and 'data-testid="field-history"' in page


def test_company_page_shows_people_key_and_history(client_as, marketer):
    company = people.create_company({"name": "株式会社青葉商事"}, by=marketer)
    factories.lead(company=company, family_name="青木")
    people.update_company(company, changes={"domain": "aoba.example.jp"}, by=marketer)
    page = client_as(marketer).get(company.get_absolute_url()).content.decode()
    assert "青葉商事" in page and "青木" in page and "aoba.example.jp" in page
    assert 'data-testid="field-history"' in page


def test_company_list_searches_name_reading_and_domain(client_as, marketer):
    Company.objects.create(
        name="株式会社青葉商事", name_kana="アオバショウジ", domain="aoba.example.jp"
    )
    Company.objects.create(name="緑川工業株式会社")
    client = client_as(marketer)
    for query in ("㈱青葉", "あおば", "ｱｵﾊﾞ", "aoba.example"):
        page = client.get(reverse("crm:company_list"), {"q": query}).content.decode()
        assert "青葉商事" in page and "緑川" not in page, query


def test_bulk_writes_record_no_history(marketer):
    lead = factories.lead()
    Lead.objects.filter(pk=lead.pk).update(title="社長")
    assert lead.history.count() == 1


def test_erasure_leaves_nothing_of_the_person_in_the_history(manager, marketer):
    sentinel = {"family_name": "Zzsentinelfamily", "given_name": "Zzsentinelgiven"}
    lead = people.create_lead(
        {**PERSON, **sentinel, "email": "zzsentinel@example.jp", "phone": "03-7777-1234"},
        by=marketer,
        reason="page",
    )
    people.update_lead(lead, changes={"mobile": "090-7777-1234"}, by=marketer)
    privacy.erase_person(lead, by=manager)
    tables = [Lead.history.model._meta.db_table, Company.history.model._meta.db_table]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")  # our own table names
            dump = repr(cursor.fetchall())
            for value in ("Zzsentinel", "zzsentinel", "7777", "青木"):
                assert value not in dump, (table, value)


def test_company_page_queries_do_not_grow_with_its_people(client_as, manager):
    from django.test.utils import CaptureQueriesContext

    company = Company.objects.create(name="株式会社青葉商事")
    client = client_as(manager)
    counts = []
    for _round in range(2):
        for _n in range(3):
            factories.activity_event(factories.lead(company=company))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(company.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
