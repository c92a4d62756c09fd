"""Single sign-on through a real OpenID Connect provider started for these
tests (tests/oidc_provider/), and the claim → role mapping."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from django.urls import reverse

from accounts.roles import roles_from_claims
from audit.models import Action, AuditEntry
from tests.accounts.helpers import enable_totp, totp_code
from tests.oidc_provider.server import OidcProvider

CALLBACK = "/accounts/oidc/sso/login/callback/"


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    idp = OidcProvider(redirect_uris=[f"http://testserver{CALLBACK}"])
    idp.start()
    yield idp
    idp.stop()


@pytest.fixture
def sso(provider, settings) -> OidcProvider:
    provider.configure(settings)
    return provider


def sign_on(client, provider: OidcProvider, username: str):
    """Baton's login button, the provider's login, the way back to Baton."""
    start = client.post(reverse("openid_connect_login", args=["sso"]))
    assert start.status_code == 302
    assert start["Location"].startswith(provider.url)
    back = urlsplit(provider.sign_in(start["Location"], username))
    assert back.path == CALLBACK
    return client.get(f"{back.path}?{back.query}")


# --- Claims to roles (no provider needed) --------------------------------------


def test_role_names_in_the_claim_are_baton_roles():
    claims = {"groups": ["manager", "all-staff", "sales"]}
    assert roles_from_claims(claims, claim="groups", role_map={}) == {"manager", "sales"}


def test_a_map_translates_the_providers_names():
    role_map = {"crm-sales": "sales", "crm-admins": "admin", "x": "not-a-role"}
    claims = {"roles": ["crm-sales", "crm-admins", "x", "sales"]}
    assert roles_from_claims(claims, claim="roles", role_map=role_map) == {"sales", "admin"}


def test_a_single_string_and_nested_claims_are_read():
    assert roles_from_claims({"role": "manager"}, claim="role", role_map={}) == {"manager"}
    keycloak = {"realm_access": {"roles": ["marketer", "offline_access"]}}
    assert roles_from_claims(keycloak, claim="realm_access.roles", role_map={}) == {"marketer"}


def test_missing_or_malformed_claims_give_no_role():
    for claims in ({}, {"groups": None}, {"groups": 3}, {"groups": [1, {"a": "manager"}]}):
        assert roles_from_claims(claims, claim="groups", role_map={}) == set()


# --- Through the provider --------------------------------------------------------

# The provider runs in its own process with its own database: no need to commit.
pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_a_new_person_with_a_role_gets_an_account_with_it(client, sso):
    response = sign_on(client, sso, "saki")
    assert response.status_code == 302
    user = User.objects.get(email="saki@example.jp")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert list(user.groups.values_list("name", flat=True)) == ["manager"]
    assert not user.has_usable_password()  # the provider stays the only way in
    assert client.get("/kpi/").status_code == 200
    assert AuditEntry.objects.filter(action=Action.LOGIN, actor_id=user.pk).exists()
    assert AuditEntry.objects.filter(action=Action.ROLES_CHANGED, object_id=str(user.pk)).exists()


@pytestmark_db
def test_the_role_map_translates_and_roles_follow_the_provider(client, sso, settings):
    settings.BATON_OIDC_ROLE_MAP = {"crm-sales": "sales"}
    assert sign_on(client, sso, "kenji").status_code == 302
    user = User.objects.get(email="kenji@example.jp")
    assert set(user.groups.values_list("name", flat=True)) == {"sales"}
    # The provider moves kenji to marketing: Baton follows at the next sign-on.
    client.logout()
    settings.BATON_OIDC_ROLE_MAP = {"crm-sales": "marketer"}
    assert sign_on(client, sso, "kenji").status_code == 302
    assert set(user.groups.values_list("name", flat=True)) == {"marketer"}
    assert User.objects.filter(email="kenji@example.jp").count() == 1


@pytestmark_db
def test_someone_without_a_role_is_refused_and_gets_no_account(client, sso):
    response = sign_on(client, sso, "guest")
    assert response.status_code == 403
    assert "no Baton role" in response.content.decode()
    assert not User.objects.filter(email="guest@example.jp").exists()
    assert "_auth_user_id" not in client.session
    refusal = AuditEntry.objects.get(action=Action.LOGIN_FAILED)
    assert refusal.changes["reason"] == "no_role"


@pytestmark_db
def test_the_refusal_is_in_japanese_too(client, sso):
    client.cookies["django_language"] = "ja"
    response = sign_on(client, sso, "guest")
    assert "Baton のロールがありません" in response.content.decode()


@pytestmark_db
def test_a_verified_address_joins_the_existing_account(client, sso, rep):
    assert sign_on(client, sso, "taro").status_code == 302
    assert client.session["_auth_user_id"] == str(rep.pk)
    assert SocialAccount.objects.get(user=rep).provider == "sso"
    assert User.objects.count() == 1


@pytestmark_db
def test_an_unverified_address_of_an_existing_account_is_refused(client, sso, marketer):
    response = sign_on(client, sso, "impostor")
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1


@pytestmark_db
def test_without_a_roles_claim_only_known_people_sign_on(client, sso, settings, rep):
    settings.BATON_OIDC_ROLES_CLAIM = ""
    assert sign_on(client, sso, "saki").status_code == 403  # unknown to Baton
    assert not User.objects.filter(email="saki@example.jp").exists()
    assert sign_on(client, sso, "taro").status_code == 302  # rep, matched by address
    assert set(rep.groups.values_list("name", flat=True)) == {"sales"}  # Baton's roles


@pytestmark_db
def test_a_second_factor_set_up_in_baton_is_asked_after_sign_on(client, sso, rep):
    secret = enable_totp(rep)
    response = sign_on(client, sso, "taro")
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)}).status_code == 302
    assert client.session["_auth_user_id"] == str(rep.pk)


def test_without_configuration_there_is_no_sso_button(client, db):
    assert "sso-login" not in client.get(reverse("login")).content.decode()


@pytestmark_db
def test_with_configuration_the_login_page_offers_it(client, sso):
    page = client.get(reverse("login")).content.decode()
    assert "Log in with Test IdP" in page
