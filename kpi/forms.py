from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpi.metrics import Period

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
