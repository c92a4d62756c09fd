"""The second factor at login: TOTP, recovery codes, django-axes and the
audit trail, and managers and admins required to set one up."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.middleware import CHECKED
from audit.models import Action, AuditEntry
from tests.accounts.helpers import enable_totp, recovery_codes, totp_code

pytestmark = pytest.mark.django_db

MFA = "/accounts/2fa/authenticate/"
LEADS = "/crm/leads/"


def password_step(client, user, ip="198.51.100.30"):
    return client.post(
        reverse("login"), {"username": user.username, "password": "pw"}, REMOTE_ADDR=ip
    )


def code_step(client, code, ip="198.51.100.30"):
    return client.post(MFA, {"code": code}, REMOTE_ADDR=ip)


def test_a_password_alone_does_not_log_in_someone_with_a_second_factor(client, manager):
    secret = enable_totp(manager)
    response = password_step(client, manager)
    assert response.status_code == 302 and response["Location"] == MFA
    assert "_auth_user_id" not in client.session
    assert client.get(LEADS).status_code == 302  # still anonymous
    assert not AuditEntry.objects.filter(action=Action.LOGIN).exists()

    response = code_step(client, totp_code(secret))
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(manager.pk)
    assert client.get(LEADS).status_code == 200
    assert AuditEntry.objects.filter(action=Action.LOGIN, actor_id=manager.pk).count() == 1


def test_a_code_cannot_be_used_twice(client, manager):
    secret = enable_totp(manager)
    code = totp_code(secret)
    password_step(client, manager)
    assert code_step(client, code).status_code == 302
    client.logout()
    password_step(client, manager)
    assert code_step(client, code).status_code == 200  # the form again
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_logs_in_once(client, manager):
    enable_totp(manager)
    code = recovery_codes(manager)[0]
    password_step(client, manager)
    assert code_step(client, code).status_code == 302
    assert client.session["_auth_user_id"] == str(manager.pk)
    client.logout()
    password_step(client, manager)
    assert code_step(client, code).status_code == 200
    assert "_auth_user_id" not in client.session
    assert code not in recovery_codes(manager)


def test_wrong_codes_are_failed_logins_and_lock_the_login_out(client, manager, settings):
    secret = enable_totp(manager)
    password_step(client, manager)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert code_step(client, "000000").status_code == 200
    assert code_step(client, "000000").status_code == 429  # django-axes' lockout page
    # Locked out: even the right code is refused now, and so is the password
    # (on a new attempt; this one's pending login stays at the code page).
    assert code_step(client, totp_code(secret)).status_code == 429
    assert "_auth_user_id" not in client.session
    assert password_step(client, manager)["Location"] == MFA
    assert password_step(Client(), manager).status_code == 429
    failed = AuditEntry.objects.filter(action=Action.LOGIN_FAILED, summary="manager")
    assert failed.count() >= settings.AXES_FAILURE_LIMIT


def test_the_code_page_is_japanese_too(client, manager):
    enable_totp(manager)
    password_step(client, manager)
    page = client.get(MFA, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'lang="ja"' in page
    assert "認証コードを入力してください" in page


# --- Required for managers and admins -----------------------------------------


def reauthenticate(client):
    """Sensitive changes (adding or removing a factor) ask for the password again."""
    response = client.post(reverse("account_reauthenticate"), {"password": "pw"})
    assert response.status_code == 302


@pytest.fixture
def required(settings):
    settings.BATON_MFA_REQUIRED_ROLES = ["manager", "admin"]


def test_a_manager_without_a_second_factor_must_set_one_up_first(client, manager, required):
    password_step(client, manager)
    assert client.session["_auth_user_id"] == str(manager.pk)
    response = client.get(LEADS)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_index")
    # Polls and the API are told too, without a login page swapped in.
    badge = client.get(reverse("handoff:notification_badge"), HTTP_HX_REQUEST="true")
    assert badge.status_code == 204 and not badge.content and "HX-Redirect" not in badge
    action = client.post(reverse("handoff:mark_all_read"), HTTP_HX_REQUEST="true")
    assert action.status_code == 204 and action["HX-Redirect"] == reverse("mfa_index")
    assert client.get("/api/v1/leads/").status_code == 403
    # The setup pages stay open (adding a factor asks for the password again).
    assert client.get(reverse("mfa_index")).status_code == 200
    reauthenticate(client)
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_once_set_up_the_manager_goes_on(
    client, manager, required, django_capture_on_commit_callbacks
):
    password_step(client, manager)
    assert client.get(LEADS).status_code == 302
    reauthenticate(client)
    activate = client.get(reverse("mfa_activate_totp"))
    secret = activate.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get(LEADS).status_code == 200
    changes = AuditEntry.objects.filter(action=Action.MFA_CHANGED, object_id=str(manager.pk))
    assert sorted(e.changes["added"] for e in changes) == ["recovery_codes", "totp"]


def test_removing_the_second_factor_brings_the_requirement_back(client, manager, required):
    secret = enable_totp(manager)
    password_step(client, manager)
    code_step(client, totp_code(secret))
    assert client.get(LEADS).status_code == 200
    reauthenticate(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert CHECKED not in client.session
    assert client.get(LEADS)["Location"] == reverse("mfa_index")


def test_other_roles_are_not_asked(client, rep, marketer, required):
    password_step(client, rep)
    assert client.get(reverse("handoff:queue")).status_code == 200
    assert client.get(LEADS).status_code == 200
    assert client.session[CHECKED] is True


def test_superusers_count_as_admins(client, django_user_model, required):
    django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.post(reverse("login"), {"username": "root", "password": "pw"})
    assert client.get(LEADS)["Location"] == reverse("mfa_index")


def test_django_admin_logs_in_through_baton_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
