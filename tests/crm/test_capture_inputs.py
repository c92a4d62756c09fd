"""Whatever body reaches /capture/, the answer is never a 5xx: inputs the
database cannot hold are refused with a sentence, and JSON clients read
their errors as JSON."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import translation

from crm.models import Lead

pytestmark = pytest.mark.django_db


def url(campaign):
    return reverse("capture", args=[campaign.capture_key])


def post_json(client, campaign, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url(campaign), data=data, content_type="application/json", **extra)


def test_a_thirty_digit_phone_is_refused_with_a_sentence(client, campaign):
    response = post_json(
        client, campaign, {"email": "p@example.jp", "family_name": "P", "phone": "1" * 30}
    )
    assert response.status_code == 400
    assert response.json()["errors"]["phone"] == ["A phone number has at most 20 digits."]
    assert not Lead.objects.exists()


def test_a_phone_of_digits_that_normalisation_multiplies_is_refused(client, campaign):
    # ⑳ is one character and two digits once normalised (NFKC).
    response = client.post(
        url(campaign), {"email": "p@example.jp", "family_name": "P", "phone": "⑳" * 11}
    )
    assert response.status_code == 400
    assert "at most 20 digits" in response.content.decode()


def test_a_company_name_that_grows_under_normalisation_is_refused(client, campaign):
    # ㍿ is one character; NFKC makes it 株式会社: 200 of them become 800.
    response = post_json(
        client, campaign, {"email": "c@example.jp", "family_name": "C", "company": "㍿" * 200}
    )
    assert response.status_code == 400
    [message] = response.json()["errors"]["company"]
    assert "200 characters" in message
    assert not Lead.objects.exists()


def test_an_email_that_grows_under_case_folding_is_refused(client, campaign):
    # ß folds to ss: a domain of 248 characters becomes 488 and the column holds 254.
    email = "a@" + ".".join(["ß" * 60] * 4) + ".de"
    assert len(email) <= 254
    response = post_json(client, campaign, {"email": email, "family_name": "E"})
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_the_sentences_are_in_the_readers_language(client, campaign):
    with translation.override("ja"):
        response = post_json(
            client,
            campaign,
            {"email": "p@example.jp", "family_name": "P", "phone": "1" * 30},
            HTTP_ACCEPT_LANGUAGE="ja",
        )
    assert response.json()["errors"]["phone"] == ["電話番号は20桁までです。"]


@pytest.mark.parametrize("field", ["family_name", "company", "message", "email"])
def test_a_nul_character_is_refused_in_json(client, campaign, field):
    body = {"email": "n@example.jp", "family_name": "N", field: "a\u0000b"}
    response = post_json(client, campaign, body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Lead.objects.exists()


def test_a_nul_character_is_refused_in_a_form(client, campaign):
    response = client.post(url(campaign), {"email": "n@example.jp", "family_name": "a\x00b"})
    assert response.status_code == 400
    assert not Lead.objects.exists()


def test_a_lone_surrogate_is_refused(client, campaign):
    # Valid JSON, but no UTF-8 (and so no PostgreSQL text) can hold it.
    body = '{"email": "s@example.jp", "family_name": "\\ud800"}'
    response = post_json(client, campaign, body)
    assert response.status_code == 400
    assert response.json()["errors"]["family_name"] == [
        "This text contains a character that cannot be stored."
    ]


def test_a_deeply_nested_array_is_refused_before_parsing(client, campaign):
    body = "[" * 7000 + "]" * 7000  # 14 kB: json.loads would raise RecursionError
    response = post_json(client, campaign, body)
    assert response.status_code == 400
    assert response.json()["errors"]["__all__"] == ["The JSON is nested too deeply."]


def test_nesting_inside_strings_does_not_count(client, campaign):
    body = {"email": "d@example.jp", "family_name": "D", "message": "[" * 500 + "{" * 500}
    assert post_json(client, campaign, body).status_code == 202


def test_json_clients_get_json_for_an_unknown_form(client, db):
    response = client.post(
        reverse("capture", args=["nope"]), data="{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"]["__all__"] == ["There is no form at this address."]


def test_json_clients_get_json_for_a_wrong_method(client, campaign):
    response = client.put(url(campaign), data="{}", content_type="application/json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert response.json()["errors"]["__all__"]


def test_a_client_asking_for_json_gets_json_for_a_form_post(client, campaign):
    response = client.post(url(campaign), {"email": "x"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "family_name"}


def test_an_oversized_json_body_is_413_in_json(client, campaign):
    response = post_json(client, campaign, {"message": "x" * 20_000})
    assert response.status_code == 413
    assert response.json()["errors"]["__all__"] == ["The submission is too large."]


@pytest.mark.parametrize(
    "body", ["[1, 2]", '"text"', "null", "{nope", b"\xff\xfe\x00", '{"email": {"a": 1}}']
)
def test_bodies_that_are_not_a_json_object_are_400_in_json(client, campaign, body):
    response = post_json(client, campaign, body)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_too_many_form_fields_are_400_not_500(client, campaign, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=x" for i in range(50))
    response = client.post(
        url(campaign), data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()


def test_a_broken_multipart_body_is_400_not_500(client, campaign):
    response = client.post(
        url(campaign), data=b"--x\r\nbroken", content_type="multipart/form-data; boundary="
    )
    assert response.status_code == 400
