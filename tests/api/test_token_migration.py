"""DRF's clear-text tokens become hashed tokens: their keys keep working and
the clear text is gone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from api.models import ApiToken
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OLD_KEY = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"


def test_drf_tokens_are_hashed_and_keep_working():
    marketer = make_user("marketer", "marketer")
    executor = MigrationExecutor(connection)
    executor.migrate([("api", None)])  # as before this change: no hashed tokens
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamp with time zone NOT NULL, user_id integer NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created datetime NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [OLD_KEY, "2026-01-05 10:00:00", marketer.pk],
        )
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("api"))
        token = ApiToken.objects.get(user=marketer)
        assert token.prefix == OLD_KEY[:10] and OLD_KEY not in token.digest
        assert token.expires_at > token.created_at
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM authtoken_token")
            assert cursor.fetchone()[0] == 0  # no clear text left
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {OLD_KEY}")
        assert client.get("/api/v1/leads/").status_code == 200
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
