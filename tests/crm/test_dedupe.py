"""名寄せ: finding duplicate people and merging them without losing anything."""

import pytest
from django.urls import reverse

from audit import trail
from audit.models import AuditEntry
from crm import merging, services
from crm.dedupe import duplicate_groups
from crm.models import Activity, Answer, Company, Consent, Lead, StageChange
from handoff import services as handoff_services
from handoff.models import Handoff
from tests import factories

pytestmark = pytest.mark.django_db


def test_phone_spellings_group_people_together():
    a = factories.lead(phone="０３－１２３４－５６７８")
    b = factories.lead(phone="03(1234)5678")
    factories.lead(phone="03-9999-0000")
    (group,) = duplicate_groups(Lead.objects.all())
    assert {lead.pk for lead in group.leads} == {a.pk, b.pk}
    assert [str(r) for r in group.reasons] == ["same phone number"]


def test_same_name_at_the_same_company_is_a_candidate_but_not_elsewhere():
    aoba = Company.objects.create(name="株式会社青葉商事")
    a = factories.lead(family_name="山田", given_name="花子", company=aoba)
    b = factories.lead(family_name="山田", given_name="花子", company=aoba)
    factories.lead(
        family_name="山田", given_name="花子", company=Company.objects.create(name="北斗物流")
    )
    groups = duplicate_groups(Lead.objects.all())
    assert [{lead.pk for lead in g.leads} for g in groups] == [{a.pk, b.pk}]


def test_company_spellings_find_one_company():
    first = services.company_named("株式会社青葉商事")
    assert services.company_named("㈱青葉商事") == first
    assert services.company_named("青葉商事（株）") == first
    assert Company.objects.count() == 1


def test_a_merge_is_kept_in_the_audit_trail_by_ids(marketer):
    keep = factories.lead(given_name="")
    other = factories.lead(given_name="花子", email="hanako@example.jp")
    merging.merge_people(keep, others=[other], by=marketer)
    entry = AuditEntry.objects.get(action=trail.Action.LEADS_MERGED)
    assert (entry.object_type, entry.object_id) == ("lead", str(keep.pk))
    assert entry.actor_id == marketer.pk
    assert entry.changes == {"merged": [other.pk], "filled": ["given_name"]}
    assert "花子" not in str(entry.changes) and "hanako" not in str(entry.changes)


def test_merge_keeps_every_activity_answer_consent_and_stage_change(marketer):
    keep = factories.lead(given_name="", title="部長")
    other = factories.lead(given_name="花子", phone="03-1234-5678", engagement_score=15)
    for lead in (keep, other):
        services.record_activity(lead, kind=Activity.Kind.DOWNLOAD)
        StageChange.objects.create(lead=lead, to_stage="lead")
    Answer.objects.create(lead=other, question="budget", answer="500万円", source="web_form")
    Consent.objects.create(lead=other, basis="consent")
    merged = merging.merge_people(keep, others=[other], by=marketer)
    assert not Lead.objects.filter(pk=other.pk).exists()
    assert merged.given_name == "花子" and merged.title == "部長" and merged.phone == "03-1234-5678"
    # Scores computed again from every activity now on the lead (the 15 set
    # by hand on the other lead came from no activity).
    explanation = services.explain_lead(merged)
    assert merged.engagement_score == explanation.engagement_score
    assert sum(len(r.contributions) for r in explanation.engagement) == 2  # both downloads
    assert merged.activities.filter(kind=Activity.Kind.DOWNLOAD).count() == 2
    assert merged.activities.filter(kind=Activity.Kind.NOTE, actor=marketer).count() == 1
    assert merged.stage_changes.count() == 2
    assert merged.answers.get().answer == "500万円"
    assert merged.consents.count() == 1


def test_merge_moves_the_handoff_of_the_other_lead(rep):
    keep = factories.lead()
    handoff = factories.qualified_handoff()
    merging.merge_people(keep, others=[Lead.objects.get(pk=handoff.lead_id)])
    assert Handoff.objects.get(pk=handoff.pk).lead == keep


def test_merge_refuses_two_live_handoffs_and_changes_nothing(rep):
    first, second = factories.qualified_handoff(), factories.qualified_handoff()
    keep, other = first.lead, second.lead
    with pytest.raises(merging.MergeConflict):
        merging.merge_people(keep, others=[other])
    assert Lead.objects.filter(pk=other.pk).exists()
    assert Handoff.objects.get(pk=second.pk).lead_id == other.pk


def test_merge_with_itself_is_refused():
    lead = factories.lead()
    with pytest.raises(merging.MergeConflict):
        merging.merge_people(lead, others=[lead])


def test_merged_then_recycled_lead_can_still_hand_off(rep):
    handoff = factories.qualified_handoff()
    handoff_services.claim_handoff(handoff, rep=rep)
    handoff_services.reject_handoff(handoff, rep=rep, reason="bad_timing")
    keep = factories.lead()
    merged = merging.merge_people(keep, others=[handoff.lead])
    assert merged.handoffs.count() == 1


def test_duplicates_page_lists_groups_and_merge_keeps_the_chosen_one(client_as, marketer):
    a = factories.lead(phone="03-1234-5678", family_name="山田")
    b = factories.lead(phone="0312345678", family_name="山田")
    client = client_as(marketer)
    page = client.get(reverse("crm:duplicates")).content.decode()
    assert 'data-testid="duplicate-group"' in page
    response = client.post(reverse("crm:merge"), {"keep": b.pk, "others": [a.pk, b.pk]})
    assert response.status_code == 302 and response["Location"] == b.get_absolute_url()
    assert list(Lead.objects.values_list("pk", flat=True)) == [b.pk]


def test_merge_conflict_is_explained_not_a_500(client_as, marketer, rep):
    first, second = factories.qualified_handoff(), factories.qualified_handoff()
    client = client_as(marketer)
    response = client.post(
        reverse("crm:merge"), {"keep": first.lead_id, "others": [second.lead_id]}, follow=True
    )
    assert "Not merged" in response.content.decode()
    assert Lead.objects.count() == 2


def test_merge_needs_another_lead(client_as, marketer):
    lead = factories.lead()
    response = client_as(marketer).post(
        reverse("crm:merge"), {"keep": lead.pk, "others": [lead.pk]}, follow=True
    )
    assert "Choose at least one other lead" in response.content.decode()


def test_companies_sharing_a_domain_are_listed_and_merged_with_their_people(client_as, marketer):
    keep = Company.objects.create(name="株式会社青葉商事", domain="aoba.example.jp")
    other = Company.objects.create(
        name="青葉トレーディング", domain="aoba.example.jp", industry="retail"
    )
    person = factories.lead(company=other)
    client = client_as(marketer)
    page = client.get(reverse("crm:duplicates")).content.decode()
    assert 'data-testid="company-group"' in page and "same web domain" in page
    response = client.post(
        reverse("crm:merge_companies"), {"keep": keep.pk, "others": [keep.pk, other.pk]}
    )
    assert response.status_code == 302
    assert not Company.objects.filter(pk=other.pk).exists()
    person.refresh_from_db()
    keep.refresh_from_db()
    assert person.company == keep and keep.industry == "retail"


def test_company_merge_with_itself_is_refused():
    company = Company.objects.create(name="北斗物流")
    with pytest.raises(merging.MergeConflict):
        merging.merge_companies(company, others=[company])
