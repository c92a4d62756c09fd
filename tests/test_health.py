import pytest
from django.urls import reverse

from tests.conftest import use_broker


def test_healthz_answers_without_a_database(client):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_broker(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "broker": True, "cache": True}


@pytest.mark.services
@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_is_unreachable(client, private_redis):
    private_redis.stop()
    with use_broker(private_redis.url):
        response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] is False
