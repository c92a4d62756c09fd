"""Every status change of a handoff is one conditional update, one reload and
one audit row (services.transition); the transaction contracts are code."""

import pytest
from django.db import transaction

from audit.models import AuditEntry
from handoff import mql, services
from handoff.models import Handoff
from tests import factories
from web.transactions import NotInTransaction


def audit_statuses(handoff: Handoff) -> list[list[str]]:
    entries = AuditEntry.objects.filter(object_type="handoff", object_id=str(handoff.pk))
    return [entry.changes["status"] for entry in entries.order_by("pk")]


@pytest.mark.django_db
def test_a_transition_that_loses_writes_nothing(rep, other_rep):
    handoff = factories.qualified_handoff()
    assert services.claim_handoff(handoff, rep=rep)
    assert not services.transition(
        handoff, source=Handoff.Status.QUEUED, to=Handoff.Status.CLAIMED, claimed_by=other_rep
    )
    handoff.refresh_from_db()
    assert handoff.claimed_by == rep
    assert audit_statuses(handoff) == [["", "queued"], ["queued", "claimed"]]


@pytest.mark.django_db
def test_each_step_of_a_handoff_is_one_audit_row_and_the_handoff_is_reloaded(rep):
    handoff = factories.qualified_handoff()
    assert services.claim_handoff(handoff, rep=rep)
    assert handoff.status == Handoff.Status.CLAIMED and handoff.claimed_by == rep
    assert services.release_handoff(handoff, rep=rep)
    assert handoff.status == Handoff.Status.QUEUED and handoff.claimed_by is None
    assert services.claim_handoff(handoff, rep=rep)
    assert services.accept_handoff(handoff, rep=rep)
    assert handoff.status == Handoff.Status.ACCEPTED
    assert services.qualify_handoff(handoff, rep=rep)
    assert handoff.status == Handoff.Status.QUALIFIED
    assert audit_statuses(handoff) == [
        ["", "queued"],
        ["queued", "claimed"],
        ["claimed", "queued"],
        ["queued", "claimed"],
        ["claimed", "accepted"],
        ["accepted", "qualified"],
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_claim_cannot_be_part_of_a_larger_transaction(rep):
    handoff = factories.qualified_handoff()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.claim_handoff(handoff, rep=rep)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_handing_off_needs_the_lead_locked_in_a_transaction():
    lead = factories.lead()
    with pytest.raises(NotInTransaction):
        mql.hand_off_if_qualified(lead)
