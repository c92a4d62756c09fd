"""Clients that call the API as a persona, with a real token."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from api import tokens
from api.models import ApiToken

_names = count()


def new_key(user: User, *, scope: str = ApiToken.Scope.WRITE, days: int = 30) -> str:
    """The key of a new token of `user` (each one named apart)."""
    return tokens.create_token(user, name=f"test {next(_names)}", scope=scope, days=days)[1]


def token_client(user: User, *, scope: str = ApiToken.Scope.WRITE) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {new_key(user, scope=scope)}")
    return client


@pytest.fixture
def api_as() -> Callable[..., APIClient]:
    """`api_as(rep)`: an API client sending a token of `rep`'s
    (`scope=ApiToken.Scope.READ` for a read-only one)."""
    return token_client
