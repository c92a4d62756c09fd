"""Managers' targets: set, replaced and deleted, each kept in the audit trail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction

from audit import trail
from kpi.models import Target

FIELDS = ("kpi", "span", "month", "value")


@transaction.atomic
def set_target(*, kpi: str, span: str, month: date, value: Decimal, by: User) -> Target:
    """The target of one KPI for one month or quarter; setting it again replaces it."""
    existing = Target.objects.select_for_update().filter(kpi=kpi, span=span, month=month).first()
    before = trail.snapshot(existing, FIELDS) if existing else None
    target, _created = Target.objects.update_or_create(
        kpi=kpi, span=span, month=month, defaults={"value": value}
    )
    target.refresh_from_db(fields=["value"])  # as stored: two decimal places
    trail.record_configuration(
        target, before=before, after=trail.snapshot(target, FIELDS), actor=by
    )
    return target


@transaction.atomic
def delete_target(target: Target, *, by: User) -> None:
    pk, before = target.pk, trail.snapshot(target, FIELDS)
    target.delete()
    trail.record_configuration(target, before=before, after=None, actor=by, object_id=pk)
