"""Token authentication, the token page and `manage.py create_api_token`.

Tokens are hashed at rest, named, scoped, expiring and revocable; every
change is in the audit trail."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api import tokens
from api.models import ApiToken
from audit.models import Action, AuditEntry
from tests.api.conftest import new_key

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads/"


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_no_token_is_401_with_the_scheme_to_use():
    response = APIClient().get(LEADS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_is_401(marketer):
    response = client_with("0" * 40).get(LEADS)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_valid_token_authenticates(api_as, marketer):
    assert api_as(marketer).get(LEADS).status_code == 200


def test_the_key_is_stored_only_as_its_hash(marketer):
    token, key = tokens.create_token(marketer, name="MA sync")
    assert key.startswith("baton_") and len(key) > 40
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert key not in stored
    assert key[:10] == token.prefix  # enough to tell tokens apart, not to use one


def test_a_user_has_several_named_tokens_each_working(marketer):
    keys = [tokens.create_token(marketer, name=name)[1] for name in ("MA sync", "BI export")]
    assert [client_with(key).get(LEADS).status_code for key in keys] == [200, 200]
    assert set(marketer.api_tokens.values_list("name", flat=True)) == {"MA sync", "BI export"}


def test_a_revoked_token_stops_working_and_the_others_do_not(marketer):
    token, key = tokens.create_token(marketer, name="old")
    _other, other_key = tokens.create_token(marketer, name="new")
    assert tokens.revoke_token(token, by=marketer)
    assert client_with(key).get(LEADS).status_code == 401
    assert client_with(other_key).get(LEADS).status_code == 200
    assert not tokens.revoke_token(token)  # already revoked


def test_a_rotated_token_has_a_new_key_and_the_old_one_stops(marketer):
    token, old = tokens.create_token(marketer, name="MA sync", days=30)
    rotated = tokens.rotate_token(token, by=marketer)
    assert rotated is not None
    _same, new = rotated
    assert new != old
    assert client_with(old).get(LEADS).status_code == 401
    assert client_with(new).get(LEADS).status_code == 200
    token.refresh_from_db()
    assert token.name == "MA sync" and token.expires_at - token.created_at == timedelta(days=30)


def test_an_expired_token_is_refused(marketer):
    key = new_key(marketer, days=30)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = client_with(key).get(LEADS)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_read_only_token_reads_and_cannot_write(marketer):
    key = new_key(marketer, scope=ApiToken.Scope.READ)
    client = client_with(key)
    assert client.get(LEADS).status_code == 200
    response = client.post(LEADS, {"family_name": "山田", "email": "ro@example.jp"})
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert client.post("/api/v1/activities/batch/", {"activities": []}).status_code == 403


def test_last_use_is_recorded_at_most_once_a_minute(marketer, django_assert_num_queries):
    token, key = tokens.create_token(marketer, name="MA sync")
    client = client_with(key)
    client.get(LEADS)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(LEADS)
    token.refresh_from_db()
    assert token.last_used_at == first
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        client.get(LEADS)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_an_inactive_users_token_is_refused(marketer):
    key = new_key(marketer)
    marketer.is_active = False
    marketer.save(update_fields=["is_active"])
    assert client_with(key).get(LEADS).status_code == 401


def test_a_token_survives_logout(client, marketer):
    key = new_key(marketer)
    client.force_login(marketer)
    client.post(reverse("logout"))
    assert client_with(key).get(LEADS).status_code == 200


def test_token_changes_are_in_the_audit_trail(marketer):
    token, _key = tokens.create_token(marketer, name="MA sync")
    tokens.rotate_token(token, by=marketer)
    tokens.revoke_token(token, by=marketer)
    entries = AuditEntry.objects.filter(object_type="apitoken", object_id=str(token.pk))
    assert sorted(entries.values_list("action", flat=True)) == sorted(
        [Action.API_TOKEN_CREATED, Action.API_TOKEN_ROTATED, Action.API_TOKEN_REVOKED]
    )
    assert {e.actor_id for e in entries} == {marketer.pk}
    assert all(e.changes["name"] == "MA sync" for e in entries)


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


def test_token_page_creates_a_named_token_and_shows_its_key_once(client, rep):
    client.force_login(rep)
    page = client.get(reverse("api_token"))
    assert page.status_code == 200
    assert "You have no API token." in page.content.decode()
    created = client.post(
        reverse("api_token"), {"action": "create", "name": "MA sync", "scope": "read", "days": 30}
    )
    token = ApiToken.objects.get(user=rep)
    key = created.context["new_key"]
    assert key and key in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    assert (token.name, token.scope) == ("MA sync", "read")
    assert token.digest == tokens.digest(key)
    later = client.get(reverse("api_token")).content.decode()
    assert key not in later and "MA sync" in later and token.prefix in later


def test_token_page_refuses_a_second_live_token_of_the_same_name(client, rep):
    client.force_login(rep)
    tokens.create_token(rep, name="MA sync")
    page = client.post(
        reverse("api_token"), {"action": "create", "name": "MA sync", "scope": "read", "days": 30}
    )
    assert "You have a token with this name" in page.content.decode()
    assert ApiToken.objects.filter(user=rep).count() == 1


def test_token_page_rotates_and_revokes_a_token(client, rep):
    client.force_login(rep)
    token, old = tokens.create_token(rep, name="MA sync")
    rotated = client.post(reverse("api_token"), {"action": "rotate", "token": token.pk})
    new = rotated.context["new_key"]
    assert new and new != old
    response = client.post(reverse("api_token"), {"action": "revoke", "token": token.pk})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client_with(new).get(LEADS).status_code == 401


def test_token_page_cannot_touch_another_users_token(client, rep, other_rep):
    token, key = tokens.create_token(other_rep, name="theirs")
    client.force_login(rep)
    response = client.post(reverse("api_token"), {"action": "revoke", "token": token.pk})
    assert response.status_code == 404
    assert client_with(key).get(LEADS).status_code == 200


def test_token_page_is_for_signed_in_users(client):
    response = client.get(reverse("api_token"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_nav_links_to_the_token_page(client, marketer):
    client.force_login(marketer)
    assert reverse("api_token") in client.get(reverse("crm:lead_list")).content.decode()


# --- The command ----------------------------------------------------------------


def test_command_prints_a_working_key_once(capsys, rep):
    call_command("create_api_token", "rep")
    key = capsys.readouterr().out.strip()
    assert client_with(key).get(LEADS).status_code == 200
    with pytest.raises(CommandError, match="cannot be shown again"):
        call_command("create_api_token", "rep")
    call_command("create_api_token", "rep", "--rotate")
    new = capsys.readouterr().out.strip()
    assert new != key
    assert client_with(key).get(LEADS).status_code == 401
    assert client_with(new).get(LEADS).status_code == 200


def test_command_makes_named_read_only_tokens(capsys, rep):
    call_command("create_api_token", "rep", "--name", "BI", "--read-only", "--days", "7")
    token = ApiToken.objects.get(user=rep, name="BI")
    assert token.read_only
    assert token.expires_at - token.created_at == timedelta(days=7)


def test_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("create_api_token", "nobody")


def test_command_refuses_an_inactive_user(rep):
    rep.is_active = False
    rep.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="inactive"):
        call_command("create_api_token", "rep")
    assert not ApiToken.objects.filter(user=rep).exists()
