"""Fixtures of the handoff tests: a policy with round numbers, a claimed handoff, round-robin
reps.
"""

from __future__ import annotations

from datetime import time

import pytest
from django.contrib.auth.models import User

from handoff import services
from handoff.models import Handoff, HandoffPolicy
from tests import factories
from tests.conftest import make_user


@pytest.fixture
def policy() -> HandoffPolicy:
    HandoffPolicy.objects.filter(pk=1).update(
        first_touch_sla_minutes=60,
        claim_timeout_minutes=30,
        business_day_start=time(9, 0),
        business_day_end=time(18, 0),
    )
    return HandoffPolicy.current()


@pytest.fixture
def claimed(rep, campaign) -> Handoff:
    handoff = factories.qualified_handoff(campaign)
    assert services.claim_handoff(handoff, rep=rep)
    return handoff


@pytest.fixture
def round_robin() -> None:
    HandoffPolicy.objects.filter(pk=1).update(routing=HandoffPolicy.Routing.ROUND_ROBIN)


@pytest.fixture
def three_reps(rep: User, other_rep: User) -> list[User]:
    """In user id order, the order of the rotation."""
    return [rep, other_rep, make_user("third_rep", "sales")]
