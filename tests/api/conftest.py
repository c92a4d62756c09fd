"""Clients that call the API as a persona, with a real token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from api import tokens


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.rotate_token(user).key}")
    return client


@pytest.fixture
def api_as() -> Callable[[User], APIClient]:
    """`api_as(rep)`: an API client sending `rep`'s token."""
    return token_client
