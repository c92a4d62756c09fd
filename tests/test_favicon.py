"""Every page load asked for /favicon.ico and got a 404."""

import pytest
from django.templatetags.static import static
from django.test import Client


def test_favicon_ico_leads_to_the_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_pages_link_the_icon(client: Client) -> None:
    page = client.get("/login/")
    assert f'<link rel="icon" href="{static("favicon.svg")}"'.encode() in page.content
