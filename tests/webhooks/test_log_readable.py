"""The delivery log reads as sentences in the reader's language; the technical
detail stays one click away."""

import pytest
from django.urls import reverse

from tests.webhooks.conftest import make_endpoint
from webhooks.models import Delivery, Event

pytestmark = pytest.mark.django_db


def test_delivery_errors_read_as_sentences(client, manager):
    endpoint = make_endpoint(manager)
    off = Event.objects.create(type="lead.mql", data={})
    refused = Event.objects.create(type="deal.won", data={})
    Delivery.objects.create(
        endpoint=endpoint, event=off, status="failed", last_error="endpoint switched off"
    )
    Delivery.objects.create(
        endpoint=endpoint,
        event=refused,
        status="failed",
        response_code=500,
        last_error="server error: HTTP 500",
    )
    client.force_login(manager)
    url = reverse("webhooks:endpoint_detail", args=[endpoint.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "送信していません：エンドポイントが無効になっていました。" in html
    assert "エンドポイントが HTTP 500 を返しました。" in html
    assert ">endpoint switched off<" not in html
