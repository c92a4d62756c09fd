"""Token authentication, the token page and `manage.py create_api_token`."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api import tokens

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads/"


def test_no_token_is_401_with_the_scheme_to_use():
    response = APIClient().get(LEADS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_is_401(marketer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get(LEADS)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_valid_token_authenticates(api_as, marketer):
    assert api_as(marketer).get(LEADS).status_code == 200


def test_a_revoked_token_stops_working(marketer):
    key = tokens.rotate_token(marketer).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(LEADS).status_code == 200
    tokens.revoke_token(marketer)
    assert client.get(LEADS).status_code == 401


def test_a_rotated_token_replaces_the_old_one(marketer):
    old = tokens.rotate_token(marketer).key
    new = tokens.rotate_token(marketer).key
    assert old != new
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert client.get(LEADS).status_code == 401


def test_an_inactive_users_token_is_refused(marketer):
    key = tokens.rotate_token(marketer).key
    marketer.is_active = False
    marketer.save(update_fields=["is_active"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(LEADS).status_code == 401


def test_the_session_still_serves_the_browsable_api_and_docs(client, marketer):
    client.force_login(marketer)
    for url in ("/api/v1/", LEADS, "/api/v1/activities/", reverse("api_docs")):
        page = client.get(url, HTTP_ACCEPT="text/html")
        assert page.status_code == 200, url
        assert b"<html" in page.content


def test_a_session_cannot_write_without_the_csrf_token(marketer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(marketer)
    response = client.post(LEADS, {"family_name": "山田", "email": "a@example.jp"})
    assert response.status_code == 403


# --- The token page -------------------------------------------------------------


def test_token_page_creates_a_token_and_shows_it_once(client, rep):
    client.force_login(rep)
    page = client.get(reverse("api_token"))
    assert page.status_code == 200
    assert "You have no API token." in page.content.decode()
    created = client.post(reverse("api_token"), {"action": "create"})
    key = Token.objects.get(user=rep).key
    assert key in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    assert key not in client.get(reverse("api_token")).content.decode()


def test_token_page_rotates_and_revokes(client, rep):
    client.force_login(rep)
    old = tokens.rotate_token(rep).key
    client.post(reverse("api_token"), {"action": "rotate"})
    new = Token.objects.get(user=rep).key
    assert new != old
    response = client.post(reverse("api_token"), {"action": "revoke"})
    assert response.status_code == 302
    assert not Token.objects.filter(user=rep).exists()


def test_token_page_is_for_signed_in_users(client):
    response = client.get(reverse("api_token"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_nav_links_to_the_token_page(client, marketer):
    client.force_login(marketer)
    assert reverse("api_token") in client.get(reverse("crm:lead_list")).content.decode()


# --- The command ----------------------------------------------------------------


def test_command_prints_a_working_key(capsys, rep):
    call_command("create_api_token", "rep")
    key = capsys.readouterr().out.strip()
    assert Token.objects.get(user=rep).key == key
    call_command("create_api_token", "rep")
    assert capsys.readouterr().out.strip() == key  # the same token until rotated
    call_command("create_api_token", "rep", "--rotate")
    assert capsys.readouterr().out.strip() != key


def test_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("create_api_token", "nobody")


def test_command_refuses_an_inactive_user(rep):
    rep.is_active = False
    rep.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="inactive"):
        call_command("create_api_token", "rep")
    assert not Token.objects.filter(user=rep).exists()
