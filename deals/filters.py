"""The deal list's and the board's filters and sort order (the CSV export
reads the same form)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm.forms import FixedChoiceField
from crm.models import Campaign, Deal, DealStage
from crm.models.deal import DealQuerySet, bilingual_name
from crm.widgets import QuickSelect
from deals.services import MAX_AMOUNT
from web.people import person, user_name

MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


def owner_field() -> forms.ModelChoiceField:  # type: ignore[type-arg]
    field = forms.ModelChoiceField(
        label=_("Owner"),
        required=False,
        queryset=User.objects.filter(is_active=True, groups__name__in=["sales", "manager"])
        .distinct()
        .order_by("username"),
        empty_label=_("Anyone"),
        # Named as every page names people, read as values (crm/widgets.py).
        widget=QuickSelect(
            label_fields=("first_name", "last_name", "username"),
            label=user_name,
            declared_rows=True,
        ),
    )
    field.label_from_instance = person  # type: ignore[method-assign,assignment]
    return field


def month_field() -> forms.CharField:
    return forms.CharField(
        label=_("Expected close month"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2027-03"}),
    )


def clean_month(value: str) -> date | None:
    if not value:
        return None
    match = MONTH.fullmatch(value)
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
        raise forms.ValidationError(_("Enter a month as YYYY-MM, such as 2027-03."))
    return date(int(match[1]), int(match[2]), 1)


def in_month(deals: DealQuerySet, first: date | None) -> DealQuerySet:
    if first is None:
        return deals
    return deals.filter(
        expected_close_date__year=first.year, expected_close_date__month=first.month
    )


class StyledForm(forms.Form):
    """Bootstrap's classes on every field (the filters are laid out by hand)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", "form-select" if select else "form-control")


class BoardFilterForm(StyledForm):
    owner = owner_field()
    month = month_field()

    def clean_month(self) -> date | None:
        return clean_month(self.cleaned_data["month"])

    def filter(self, deals: DealQuerySet) -> DealQuerySet:
        if not self.is_valid():
            return deals
        if owner := self.cleaned_data["owner"]:
            deals = deals.filter(owner=owner)
        return in_month(deals, self.cleaned_data["month"])


class DealFilterForm(StyledForm):
    SORTS: dict[str, tuple[Any, ...]] = {
        "-created": ("-created_at", "-pk"),
        "created": ("created_at", "pk"),
        "-amount": ("-amount", "-pk"),
        "amount": ("amount", "pk"),
        "close": (F("expected_close_date").asc(nulls_last=True), "pk"),
        "name": ("name", "pk"),
    }
    SORT_LABELS = [
        ("-created", _("Newest first")),
        ("created", _("Oldest first")),
        ("-amount", _("Largest amount")),
        ("amount", _("Smallest amount")),
        ("close", _("Closing soonest")),
        ("name", _("Name")),
    ]

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    owner = owner_field()
    stage = forms.ModelChoiceField(
        label=_("Stage"),
        required=False,
        queryset=DealStage.objects.order_by("order", "pk"),
        empty_label=_("All stages"),
        widget=QuickSelect(
            label_fields=("name_ja", "name_en"), label=bilingual_name, declared_rows=True
        ),
    )
    status = FixedChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open and closed")), *Deal.Status.choices],
        widget=QuickSelect(),
    )
    month = month_field()
    campaign = forms.ModelChoiceField(
        label=_("Source campaign"),
        required=False,
        queryset=Campaign.objects.order_by("name"),
        empty_label=_("All campaigns"),
        widget=QuickSelect(label_field="name", declared_rows=True),
    )
    min_amount = forms.DecimalField(
        label=_("Amount from (JPY)"), required=False, min_value=0, max_value=MAX_AMOUNT
    )
    max_amount = forms.DecimalField(
        label=_("Amount to (JPY)"), required=False, min_value=0, max_value=MAX_AMOUNT
    )
    sort = FixedChoiceField(
        label=_("Sort"), required=False, choices=SORT_LABELS, widget=QuickSelect()
    )

    def clean_month(self) -> date | None:
        return clean_month(self.cleaned_data["month"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_amount"), data.get("max_amount")
        if low is not None and high is not None and low > high:
            self.add_error("max_amount", _("The upper amount is below the lower one."))
        return data

    def filter(self, deals: DealQuerySet) -> DealQuerySet:
        if not self.is_bound:
            return deals.order_by(*self.SORTS["-created"])
        data: dict[str, Any] = self.cleaned_data if self.is_valid() else {}
        if q := data.get("q"):
            deals = deals.filter(Q(name__icontains=q) | Q(company__name__icontains=q))
        for name, lookup in (
            ("owner", "owner"),
            ("stage", "stage"),
            ("status", "status"),
            ("campaign", "source_campaign"),
        ):
            if value := data.get(name):
                deals = deals.filter(**{lookup: value})
        deals = in_month(deals, data.get("month"))
        if (low := data.get("min_amount")) is not None:
            deals = deals.filter(amount__gte=Decimal(low))
        if (high := data.get("max_amount")) is not None:
            deals = deals.filter(amount__lte=Decimal(high))
        return deals.order_by(*self.SORTS[data.get("sort") or "-created"])
