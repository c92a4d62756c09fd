"""The open/won/lost deals of before managed stages land on the default
stages: an open deal's close date becomes its expected one, an old lost
reason the note of "Other"."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crm.models import Deal

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
BEFORE = [("crm", "0020_consent_bases")]


def test_old_deals_move_to_the_default_stages():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    lead = old.get_model("crm", "Lead").objects.create(family_name="旧", email="old@example.jp")
    OldDeal = old.get_model("crm", "Deal")
    OldDeal.objects.create(lead=lead, name="open", stage="open", close_date=date(2027, 3, 31))
    OldDeal.objects.create(lead=lead, name="won", stage="won", close_date=date(2026, 5, 1))
    OldDeal.objects.create(lead=lead, name="lost", stage="lost", lost_reason="競合に負けた")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    deals = {deal.name: deal for deal in Deal.objects.select_related("stage", "lost_reason")}
    opened, won, lost = deals["open"], deals["won"], deals["lost"]
    assert (opened.stage.name_en, opened.status, opened.probability) == ("Discovery", "open", 10)
    assert (opened.expected_close_date, opened.close_date) == (date(2027, 3, 31), None)
    assert (won.stage.name_en, won.status, won.close_date) == ("Won", "won", date(2026, 5, 1))
    assert (lost.stage.name_en, lost.lost_reason.name_en, lost.lost_note) == (
        "Lost",
        "Other",
        "競合に負けた",
    )
