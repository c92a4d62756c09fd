"""The follow-ups the sales work asks for (handoff.signals), made tasks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.dispatch import receiver

from crm.models import Lead
from handoff.models import Handoff
from handoff.signals import follow_up_requested
from tasks import services


@receiver(follow_up_requested, dispatch_uid="tasks.follow_up")
def make_follow_up(
    sender: Any,
    *,
    lead: Lead,
    handoff: Handoff | None,
    title: str,
    days: int,
    by: User,
    **kwargs: Any,
) -> None:
    """The rep's own task, on the handoff whose page it was asked on, else on the lead."""
    services.follow_up(handoff or lead, title=title, days=days, by=by)
