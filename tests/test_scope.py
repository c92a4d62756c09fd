"""The one permission-scoped way views and API actions fetch a row (web.scope)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404

from audit.models import AuditEntry
from crm.models import Activity, Lead
from handoff import services
from handoff.models import Handoff
from tests import factories
from web.scope import get_visible_or_404

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_a_row_in_scope_is_returned(rep):
    handoff = factories.qualified_handoff()
    assert get_visible_or_404(Handoff, rep, handoff.pk) == handoff
    assert get_visible_or_404(Handoff.objects.for_queue(), rep, str(handoff.pk)) == handoff


def test_a_row_out_of_scope_is_404_as_a_missing_one(rep, other_rep):
    handoff = factories.qualified_handoff()
    services.claim_handoff(handoff, rep=other_rep)
    activity = Activity.objects.create(lead=handoff.lead, kind="note")
    for model, pk in [(Handoff, handoff.pk), (Lead, handoff.lead_id), (Activity, activity.pk)]:
        with pytest.raises(Http404):
            get_visible_or_404(model, rep, pk)
        assert get_visible_or_404(model, other_rep, pk).pk == pk
    for pk in (999_999, "x", None):
        with pytest.raises(Http404):
            get_visible_or_404(Handoff, rep, pk)


def test_a_model_without_a_scope_cannot_be_fetched(manager):
    with pytest.raises(ImproperlyConfigured):
        get_visible_or_404(AuditEntry, manager, 1)


# Fetches that are not by a user's scope, each for a reason.
UNSCOPED = {
    # The public capture form: the campaign is named by its secret key.
    ("crm/views.py", "get_object_or_404(Campaign, capture_key=key)"),
    # Re-read under the service's lock after the scoped fetch above it.
    ("webhooks/views.py", "Endpoint.objects.get(pk=endpoint.pk)"),
}
FETCH = re.compile(r"get_object_or_404\([^)]*\)|\b\w+\.objects\.get\([^)]*\)")


def test_views_and_api_fetch_rows_only_through_the_scoped_helper():
    modules = [*ROOT.glob("*/views*.py"), *ROOT.glob("api/*.py")]
    found = {
        (str(path.relative_to(ROOT)), match)
        for path in modules
        for match in FETCH.findall(path.read_text())
    }
    assert found - UNSCOPED == set()
