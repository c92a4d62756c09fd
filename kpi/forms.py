from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Campaign
from crm.widgets import QuickSelect
from kpi.definitions import DEFINITIONS, TARGETABLE
from kpi.metrics import Filters, Period, resolve_filters
from kpi.models import Target
from web.people import person

MAX_DAYS = 366


def this_month(today: date) -> Period:
    return Period(today.replace(day=1), today)


def last_month(today: date) -> Period:
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def this_quarter(today: date) -> Period:
    first_month = 3 * ((today.month - 1) // 3) + 1
    return Period(today.replace(month=first_month, day=1), today)


def last_90_days(today: date) -> Period:
    return Period(today - timedelta(days=89), today)


PRESETS = {
    "this_month": (_("This month"), this_month),
    "last_month": (_("Last month"), last_month),
    "this_quarter": (_("This quarter"), this_quarter),
    "last_90_days": (_("Last 90 days"), last_90_days),
}


class PeriodForm(forms.Form):
    preset = forms.ChoiceField(
        label=_("Period"),
        required=False,
        initial="this_quarter",
        choices=[(key, label) for key, (label, _fn) in PRESETS.items()] + [("custom", _("Custom"))],
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("preset") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(_("Choose both dates for a custom period."))
            if end < start:
                raise forms.ValidationError(_("The period cannot end before it starts."))
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(_("Choose a period of at most one year."))
        return data

    def period(self) -> Period:
        """The chosen period; this quarter when nothing (valid) was chosen."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        preset = data.get("preset") or "this_quarter"
        if preset == "custom":
            return Period(data["start"], data["end"])
        return PRESETS[preset][1](today)


def sales_reps() -> QuerySet[User]:
    return (
        User.objects.filter(groups__name="sales")
        .only("username", "first_name", "last_name")
        .order_by("last_name", "first_name", "pk")
    )


class ReadOnceChoices(ModelChoiceIterator):
    """The rows read in one query: Django's iterator counts them first, then
    reads them through a server-side cursor (three statements on PostgreSQL)."""

    @cached_property
    def rows(self) -> list[Any]:
        return list(self.queryset)

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.rows:
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(self.rows) + (1 if self.field.empty_label is not None else 0)


class RepChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    iterator = ReadOnceChoices

    def label_from_instance(self, obj: User) -> str:
        return person(obj)


# The filter bar's selects (crm.widgets.QuickSelect: 200 campaigns rendered
# option by option in the template were a large part of the page's time).
SELECT_CLASS = "form-select form-select-sm"


class DashboardForm(PeriodForm):
    """The period and the filters: campaign, channel, rep."""

    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.order_by("name", "pk"),
        required=False,
        empty_label=_("All campaigns"),
        widget=QuickSelect(attrs={"class": SELECT_CLASS}, label_field="name"),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("All channels")), *Campaign.Channel.choices],
        widget=QuickSelect(attrs={"class": SELECT_CLASS}),
    )
    rep = RepChoiceField(
        label=_("Rep"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("All reps"),
        widget=QuickSelect(attrs={"class": SELECT_CLASS}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = sales_reps()  # type: ignore[attr-defined]

    def filters(self) -> Filters:
        """The chosen filters; none when the form is not valid."""
        data = self.cleaned_data if self.is_valid() else {}
        rep = data.get("rep")
        return resolve_filters(
            campaign=data.get("campaign"),
            channel=data.get("channel") or "",
            rep=rep.pk if rep else None,
        )


class TargetForm(forms.ModelForm):  # type: ignore[type-arg]
    """A target for one KPI in one month or quarter; setting it again replaces it."""

    kpi = forms.ChoiceField(label=_("KPI"))

    class Meta:
        model = Target
        fields = ["kpi", "span", "month", "value"]
        widgets = {"month": forms.DateInput(attrs={"type": "month"}, format="%Y-%m")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kpi"].choices = [(key, DEFINITIONS[key].name) for key in TARGETABLE]  # type: ignore[attr-defined]
        self.fields["month"].input_formats = ["%Y-%m", "%Y-%m-%d"]  # type: ignore[attr-defined]
        self.fields["month"].label = _("Month (or first month of the quarter)")

    def clean_month(self) -> date:
        month: date = self.cleaned_data["month"]
        return month.replace(day=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        month, span = data.get("month"), data.get("span")
        if month and span == Target.Span.QUARTER and (month.month - 1) % 3:
            self.add_error(
                "month",
                _("A quarter starts in January, April, July or October."),
            )
        value, kpi = data.get("value"), data.get("kpi")
        percent = kpi in DEFINITIONS and DEFINITIONS[kpi].unit == "percent"
        if percent and value is not None and value > 100:
            self.add_error("value", _("A percentage target cannot be above 100."))
        if kpi and span and month:
            # Setting a target again replaces it: validate and save that row.
            existing = Target.objects.filter(kpi=kpi, span=span, month=month).first()
            if existing is not None:
                self.instance = existing
        return data
