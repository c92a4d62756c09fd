"""The Webhooks pages: managers set up endpoints (checked URLs, a secret shown
once) and read the delivery log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.webhooks.conftest import HOOK_URL, make_endpoint
from webhooks import events
from webhooks.models import Delivery, Endpoint, Event

pytestmark = pytest.mark.django_db


def create(client, **fields):
    data = {"name": "CRM sync", "url": HOOK_URL, "events": ["lead.mql", "deal.won"], **fields}
    return client.post(reverse("webhooks:endpoint_create"), data)


def test_a_manager_creates_an_endpoint_and_sees_its_secret_once(client, manager, dns):
    client.force_login(manager)
    created = create(client)
    assert created.status_code == 200
    endpoint = Endpoint.objects.get()
    assert (endpoint.url, endpoint.events, endpoint.is_active) == (
        HOOK_URL,
        ["deal.won", "lead.mql"],
        True,
    )
    assert endpoint.created_by == manager
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    assert events.subscribed_event_types() == {"deal.won", "lead.mql"}
    later = client.get(reverse("webhooks:endpoint_detail", args=[endpoint.pk]))
    assert later.status_code == 200
    assert endpoint.secret not in later.content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/x", "must start with https://"),
        ("https://127.0.0.1/x", "not a public internet address"),
        ("https://localhost/x", "not a public internet address"),
        ("https://10.0.0.1/x", "not a public internet address"),
        ("https://169.254.169.254/x", "not a public internet address"),
        ("https://[fe80::1]/x", "not a public internet address"),
        ("https://user:pw@hooks.example.com/x", "must not contain a user name"),
        ("https://nowhere.example.com/x", "could not be found"),
        ("not a url", "Enter a valid URL"),
    ],
)
def test_unsafe_urls_are_refused_with_a_message(client, manager, dns, url, message):
    client.force_login(manager)
    refused = create(client, url=url)
    assert refused.status_code == 200
    assert message in refused.content.decode()
    assert not Endpoint.objects.exists()


def test_an_endpoint_needs_a_name_and_an_event(client, manager, dns):
    client.force_login(manager)
    refused = create(client, name="", events=[])
    page = refused.content.decode()
    assert "This field is required." in page and "Choose at least one event." in page
    assert "Select a valid choice" in create(client, events=["lead.deleted"]).content.decode()
    assert not Endpoint.objects.exists()


def test_switching_an_endpoint_off_stops_new_events(client, manager, dns):
    endpoint = make_endpoint(manager, event_types=["deal.won"])
    assert events.subscribed_event_types() == {"deal.won"}
    client.force_login(manager)
    saved = client.post(
        reverse("webhooks:endpoint_edit", args=[endpoint.pk]),
        {"name": "CRM sync", "url": HOOK_URL, "events": ["deal.won"]},  # active unticked
    )
    assert saved.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert events.subscribed_event_types() == frozenset()


def test_rotating_the_secret_shows_the_new_one(client, manager):
    endpoint = make_endpoint(manager)
    client.force_login(manager)
    rotated = client.post(reverse("webhooks:endpoint_rotate_secret", args=[endpoint.pk]))
    old = endpoint.secret
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret in rotated.content.decode()


def test_the_delivery_log_shows_status_attempts_response_and_next_retry(client, manager):
    endpoint = make_endpoint(manager, event_types=["deal.won"])
    event = Event.objects.create(type="deal.won", data={"deal": {"id": 1}})
    Delivery.objects.create(
        endpoint=endpoint,
        event=event,
        attempts=2,
        response_code=503,
        last_error="webhook answered: HTTP 503",
        next_retry_at=event.created_at,
    )
    client.force_login(manager)
    page = client.get(reverse("webhooks:endpoint_detail", args=[endpoint.pk])).content.decode()
    log = page[page.index('data-testid="delivery-log"') :]
    for text in ["deal.won", str(event.pk), "Pending", ">2<", ">503<", "HTTP 503"]:
        assert text in log, text


def test_names_are_escaped(client, manager, dns):
    client.force_login(manager)
    create(client, name="<script>alert(1)</script>")
    page = client.get(reverse("webhooks:endpoint_list")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_deleting_an_endpoint_takes_its_log(client, manager):
    endpoint = make_endpoint(manager)
    client.force_login(manager)
    deleted = client.post(reverse("webhooks:endpoint_delete", args=[endpoint.pk]))
    assert deleted.status_code == 302
    assert not Endpoint.objects.exists()
    assert events.subscribed_event_types() == frozenset()


def test_only_managers_and_admins_hold_the_webhook_permissions(marketer, rep, manager):
    from django.contrib.auth.models import Group

    assert manager.has_perms(["webhooks.view_endpoint", "webhooks.add_endpoint"])
    assert not marketer.has_perm("webhooks.view_endpoint")
    assert not rep.has_perm("webhooks.view_endpoint")
    admin = Group.objects.get(name="admin")
    assert admin.permissions.filter(content_type__app_label="webhooks").count() == 12  # 3 models
