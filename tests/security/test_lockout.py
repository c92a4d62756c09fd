"""Login lockout (django-axes) through Baton's own login page."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEntry

pytestmark = pytest.mark.django_db


def attempt(client, password: str, ip: str = "198.51.100.20"):
    return client.post(reverse("login"), {"username": "rep", "password": password}, REMOTE_ADDR=ip)


def test_lockout_after_the_failure_limit_then_cool_off(client, rep, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert attempt(client, "wrong").status_code == 200  # the form again, with its error
        locked = attempt(client, "wrong")
        assert locked.status_code == 429
        assert "Too many failed logins" in locked.content.decode()
        # Locked out: even the right password is refused.
        assert attempt(client, "pw").status_code == 429
        assert "_auth_user_id" not in client.session
        clock.shift(settings.AXES_COOLOFF_TIME + timezone.timedelta(seconds=1))
        assert attempt(client, "pw").status_code == 302
    failed = AuditEntry.objects.filter(action=Action.LOGIN_FAILED).count()
    assert failed >= settings.AXES_FAILURE_LIMIT


def test_lockout_is_per_user_and_address(client, rep, other_rep, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong")
    assert attempt(client, "pw").status_code == 429
    # The same rep from another address, and another rep from this one, still log in.
    assert attempt(client, "pw", ip="198.51.100.21").status_code == 302
    client.logout()
    response = client.post(
        reverse("login"), {"username": "other_rep", "password": "pw"}, REMOTE_ADDR="198.51.100.20"
    )
    assert response.status_code == 302


def test_locked_out_page_is_japanese_too(client, rep, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong")
    response = client.post(
        reverse("login"),
        {"username": "rep", "password": "pw"},
        REMOTE_ADDR="198.51.100.20",
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 429
    assert 'lang="ja"' in response.content.decode()
