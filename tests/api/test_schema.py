"""The OpenAPI schema describes every endpoint without a warning."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = out.read_text()
    for path in (
        "/api/v1/activities/batch/",
        "/api/v1/handoffs/{id}/claim/",
        "/api/v1/leads/",
        "/api/v1/kpis/",
    ):
        assert f"{path}:" in schema
    assert "tokenAuth" in schema
