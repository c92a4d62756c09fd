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
