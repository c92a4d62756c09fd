"""Writing and previewing an email."""

from __future__ import annotations

import pytest
from django.urls import reverse

from nurture import rendering
from nurture.models import Email
from tests.nurture.conftest import consenting, email, segment

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Seminar follow-up",
    "language": "ja",
    "from_name": "青葉商事",
    "from_email": "news@aoba.example.jp",
    "subject": "{{ name }}、ありがとうございました",
    "body": "{{ name }}\nhttps://aoba.example.jp/seminar",
}


def test_an_email_is_saved_and_opens_its_preview(client_as, marketer):
    response = client_as(marketer).post(reverse("nurture:email_create"), FORM)
    saved = Email.objects.get()
    assert response["Location"] == saved.get_absolute_url()


def test_an_unknown_merge_field_is_refused_with_the_known_ones(client_as, marketer):
    response = client_as(marketer).post(
        reverse("nurture:email_create"), {**FORM, "body": "{{ nmae }}"}
    )
    assert response.status_code == 200
    assert "Unknown merge field: {{ nmae }}" in response.content.decode()
    assert not Email.objects.exists()


def test_a_sender_name_cannot_inject_headers(client_as, marketer):
    response = client_as(marketer).post(
        reverse("nurture:email_create"), {**FORM, "from_name": "x\r\nBcc: a@b.example"}
    )
    assert response.status_code == 200
    assert not Email.objects.exists()


def test_the_preview_is_per_recipient_of_the_chosen_segment(client_as, marketer):
    consenting(family_name="山田", given_name="太郎")
    second = consenting(family_name="佐藤", given_name="花子")
    seg = segment()
    mail_ = email(marketer)
    response = client_as(marketer).get(
        mail_.get_absolute_url(), {"segment": seg.pk, "lead": second.pk}
    )
    assert response.context["preview"].subject == "佐藤 花子 様、ご案内です"
    assert b"https://aoba.example.jp/pricing" in response.content  # untracked in the preview
    assert response.context["contactable"] == 2


def test_links_from_merged_values_are_never_links_of_the_message():
    lead = consenting(family_name="https://evil.example.com/")
    text, html = rendering.render_body(
        "{{ family_name }} https://aoba.example.jp/a。",
        rendering.merge_values(lead, "ja"),
        str.upper,
    )
    assert text == "https://evil.example.com/ HTTPS://AOBA.EXAMPLE.JP/A。"
    assert rendering.links("{{ family_name }} https://aoba.example.jp/a。") == [
        "https://aoba.example.jp/a"
    ]
    assert '<a href="HTTPS://AOBA.EXAMPLE.JP/A">' in html
    assert 'href="https://evil' not in html


def test_html_in_the_body_or_the_lead_is_escaped():
    lead = consenting(family_name="<b>x</b>")
    _text, html = rendering.render_body(
        "<i>{{ family_name }}</i>", rendering.merge_values(lead, "ja"), str
    )
    assert "<b>" not in html and "<i>" not in html
