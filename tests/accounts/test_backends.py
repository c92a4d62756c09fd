"""Permissions read in one query, with the session's user, give what
Django's ModelBackend gives."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from accounts.backends import OneQueryPermissionsBackend
from tests import factories

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The same user without the per-request permission cache."""
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("role", ["rep", "marketer", "manager"])
def test_every_role_has_the_same_permissions_as_with_model_backend(request, role):
    user = request.getfixturevalue(role)
    assert OneQueryPermissionsBackend().get_all_permissions(fresh(user)) == (
        ModelBackend().get_all_permissions(fresh(user))
    )


def test_a_users_own_permissions_count_as_well_as_their_groups(rep):
    rep.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    perms = OneQueryPermissionsBackend().get_all_permissions(fresh(rep))
    assert "audit.view_auditentry" in perms
    assert "handoff.claim_handoff" in perms
    assert perms == ModelBackend().get_all_permissions(fresh(rep))


def test_superusers_inactive_users_and_objects_are_answered_as_model_backend_does(rep):
    backend = OneQueryPermissionsBackend()
    boss = User.objects.create_superuser("boss", "boss@example.com", "x")
    assert backend.get_all_permissions(fresh(boss)) == ModelBackend().get_all_permissions(
        fresh(boss)
    )
    assert backend.get_all_permissions(fresh(rep), obj=object()) == set()
    User.objects.filter(pk=rep.pk).update(is_active=False)
    assert backend.get_all_permissions(fresh(rep)) == set()


def test_a_removed_role_is_gone_at_the_next_request(client, rep):
    client.force_login(rep)
    assert client.get(reverse("handoff:queue")).status_code == 200
    rep.groups.clear()
    assert client.get(reverse("handoff:queue")).status_code == 403


def test_a_losing_claim_reads_the_permissions_once_and_the_row_once(
    client, rep, other_rep, campaign, django_assert_max_num_queries
):
    handoff = factories.qualified_handoff(campaign)
    client.force_login(other_rep)
    client.post(reverse("handoff:claim", args=[handoff.pk]), HTTP_HX_REQUEST="true")
    client.force_login(rep)
    # session, the user with their permissions, the row: a claim already taken is a 404.
    with django_assert_max_num_queries(3):
        response = client.post(reverse("handoff:claim", args=[handoff.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["rep", "marketer", "manager"])
def test_the_sessions_user_comes_with_their_permissions_in_one_query(
    request, role, django_assert_num_queries
):
    user = request.getfixturevalue(role)
    with django_assert_num_queries(1):
        loaded = OneQueryPermissionsBackend().get_user(user.pk)
        assert loaded is not None
        perms = loaded.get_all_permissions()
        claims = loaded.has_perm("handoff.claim_handoff")
    assert loaded == user
    assert loaded.username == user.username
    assert perms == ModelBackend().get_all_permissions(fresh(user))
    assert claims == ("handoff.claim_handoff" in perms)


def test_get_user_answers_superusers_inactive_and_unknown_users_as_model_backend(rep):
    backend = OneQueryPermissionsBackend()
    boss = User.objects.create_superuser("boss", "boss@example.com", "x")
    loaded_boss = backend.get_user(boss.pk)
    assert loaded_boss is not None
    assert loaded_boss.get_all_permissions() == ModelBackend().get_all_permissions(fresh(boss))
    assert loaded_boss.has_perm("handoff.reassign_handoff")
    User.objects.filter(pk=rep.pk).update(is_active=False)
    assert backend.get_user(rep.pk) is None
    assert backend.get_user(999_999) is None
    assert backend.get_user("not a number") is None
