"""Companies and campaigns through the API."""

from __future__ import annotations

import pytest

from crm.models import Campaign, Company

pytestmark = pytest.mark.django_db

COMPANIES = "/api/v1/companies/"
CAMPAIGNS = "/api/v1/campaigns/"


def test_marketer_creates_a_campaign_they_own(api_as, marketer):
    response = api_as(marketer).post(
        CAMPAIGNS,
        {
            "name": "秋の展示会",
            "channel": "exhibition",
            "utm_code": "autumn-expo",
            "budget": "500000",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    campaign = Campaign.objects.get(pk=response.json()["id"])
    assert campaign.owner == marketer
    assert response.json()["capture_key"] == campaign.capture_key


def test_invalid_campaign_gets_a_message_per_field(api_as, marketer, campaign):
    response = api_as(marketer).post(
        CAMPAIGNS,
        {
            "channel": "radio",
            "utm_code": campaign.utm_code,
            "budget": "-1",
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"name", "channel", "utm_code", "budget"}
    dates = api_as(marketer).patch(
        f"{CAMPAIGNS}{campaign.pk}/", {"starts_on": "2026-05-01", "ends_on": "2026-04-01"},
        format="json",
    )  # fmt: skip
    assert dates.status_code == 422  # each date is valid; together they are not
    assert dates.json() == {
        "detail": "The campaign cannot end before it starts.",
        "ends_on": ["The campaign cannot end before it starts."],
    }


def test_companies_are_one_per_name_whatever_the_legal_form(api_as, marketer):
    Company.objects.create(name="株式会社青葉商事")
    client = api_as(marketer)
    response = client.post(COMPANIES, {"name": "㈱青葉商事"}, format="json")
    assert response.status_code == 409
    assert response.json()["name"] == ["This company exists already."]
    found = client.get(COMPANIES, {"q": "青葉商事"}).json()["results"]
    assert [c["name"] for c in found] == ["株式会社青葉商事"]


def test_a_company_changed_through_the_api_is_in_its_history(api_as, marketer):
    from crm import history

    client = api_as(marketer)
    made = client.post(COMPANIES, {"name": "株式会社青葉商事"}, format="json").json()
    changed = client.patch(
        f"{COMPANIES}{made['id']}/", {"domain": "aoba.example.jp"}, format="json"
    )
    assert changed.status_code == 200
    (change,) = history.field_changes(Company.objects.get(pk=made["id"]))
    assert (change.old, change.new, change.who) == ("—", "aoba.example.jp", "Hanako Sato")


def test_a_company_rename_to_a_taken_name_is_409(api_as, marketer):
    Company.objects.create(name="株式会社青葉商事")
    other = Company.objects.create(name="北斗物流")
    changed = api_as(marketer).patch(
        f"{COMPANIES}{other.pk}/", {"name": "㈱青葉商事"}, format="json"
    )
    assert changed.status_code == 409


# --- Probable duplicates ---------------------------------------------------------


def test_a_company_of_the_same_domain_is_409_with_candidates_unless_saved_anyway(api_as, marketer):
    from audit.models import Action, AuditEntry

    aoba = Company.objects.create(name="株式会社青葉商事", domain="aoba.example.jp")
    client = api_as(marketer)
    body = {"name": "青葉ホールディングス", "domain": "https://www.Aoba.example.jp/"}
    refused = client.post(COMPANIES, body, format="json")
    assert refused.status_code == 409, refused.content
    assert refused.json()["candidates"] == [
        {
            "id": aoba.pk,
            "type": "company",
            "name": "株式会社青葉商事",
            "url": f"http://testserver/api/v1/companies/{aoba.pk}/",
            "reasons": ["same web domain"],
        }
    ]
    assert "save_anyway" in refused.json()["detail"]
    assert Company.objects.count() == 1
    made = client.post(COMPANIES, {**body, "save_anyway": True}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["domain"] == "aoba.example.jp"  # stored as the company form stores it
    assert "save_anyway" not in made.json()
    entry = AuditEntry.objects.get(action=Action.DUPLICATE_SAVED)
    assert (entry.changes, entry.actor_id) == ({"duplicates": [aoba.pk]}, marketer.pk)
    assert entry.object_id == str(made.json()["id"])


def test_a_company_of_the_same_reading_in_other_kana_is_a_probable_duplicate(api_as, marketer):
    aoba = Company.objects.create(name="青葉商事", name_kana="アオバショウジ")
    refused = api_as(marketer).post(
        COMPANIES, {"name": "あおば商事", "name_kana": "ｱｵﾊﾞｼｮｳｼﾞ"}, format="json"
    )
    assert refused.status_code == 409
    ((candidate,),) = [refused.json()["candidates"]]
    assert (candidate["id"], candidate["reasons"]) == (aoba.pk, ["same reading"])


def test_the_same_company_name_is_refused_even_saved_anyway(api_as, marketer):
    Company.objects.create(name="株式会社青葉商事", domain="aoba.example.jp")
    refused = api_as(marketer).post(
        COMPANIES,
        {"name": "㈱青葉商事", "domain": "aoba.example.jp", "save_anyway": True},
        format="json",
    )
    assert refused.status_code == 409
    assert refused.json()["name"] == ["This company exists already."]
    assert "candidates" not in refused.json()
    assert Company.objects.count() == 1


def test_a_company_unlike_any_other_is_created_without_an_audit_entry(api_as, marketer):
    from audit.models import Action, AuditEntry

    Company.objects.create(name="株式会社青葉商事", domain="aoba.example.jp")
    made = api_as(marketer).post(
        COMPANIES, {"name": "北斗物流", "domain": "hokuto.example.jp"}, format="json"
    )
    assert made.status_code == 201
    assert not AuditEntry.objects.filter(action=Action.DUPLICATE_SAVED).exists()


def test_save_anyway_on_a_company_takes_only_a_json_boolean(api_as, marketer):
    made = api_as(marketer).post(
        COMPANIES, {"name": "北斗物流", "save_anyway": "true"}, format="json"
    )
    assert made.status_code == 400


def test_a_domain_that_nfkc_makes_too_long_is_a_400_not_a_500(api_as, marketer):
    refused = api_as(marketer).post(
        COMPANIES, {"name": "北斗物流", "domain": "㍿" * 60}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json() == {"domain": ["The domain is too long."]}
