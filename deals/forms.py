"""Checking and tidying what people type about deals; the rules themselves
are deals/services.py's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import Campaign, Deal, DealStage, Lead, LostReason
from deals.services import MAX_AMOUNT, DealTerms


def amount_field(label: Any = None, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label or _("Amount (JPY)"),
        min_value=Decimal(0),
        max_value=MAX_AMOUNT,
        max_digits=14,
        decimal_places=0,
        error_messages={
            "min_value": _("The amount cannot be negative."),
            "max_value": _("Enter a whole number of yen below ¥100 trillion."),
            "max_digits": _("Enter a whole number of yen below ¥100 trillion."),
            "max_decimal_places": _("Enter a whole number of yen, without sen."),
            "invalid": _("Enter the amount in yen, digits only."),
        },
        widget=forms.NumberInput(attrs={"step": "1", "min": "0"}),
        **kwargs,
    )


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StageChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class DealForm(forms.Form):
    """Opening a deal: from a lead's page, a company's page or a handoff."""

    name = forms.CharField(label=_("Deal name"), max_length=200)
    amount = amount_field()
    stage = StageChoiceField(
        label=_("Stage"), queryset=DealStage.objects.none(), required=False, empty_label=None
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"), required=False, widget=date_input()
    )
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = DealStage.objects.offered().filter(  # type: ignore[attr-defined]
            kind=DealStage.Kind.OPEN
        )

    def terms(self) -> DealTerms:
        return DealTerms(**self.cleaned_data)


class CompanyDealForm(DealForm):
    """An expansion deal of a company: with which of its people."""

    lead = forms.ModelChoiceField(label=_("Contact"), queryset=Lead.objects.none())
    field_order = ["lead", "name", "amount", "stage", "expected_close_date", "next_step"]

    def __init__(self, *args: Any, leads: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = leads  # type: ignore[attr-defined]

    def terms(self) -> DealTerms:
        data = dict(self.cleaned_data)
        data.pop("lead")
        return DealTerms(**data)


class DealEditForm(forms.ModelForm[Deal]):
    """A deal's terms; `version` is the one the editor read."""

    amount = amount_field()
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Deal
        fields = [
            "name", "amount", "probability", "expected_close_date", "next_step", "owner",
            "source_campaign",
        ]  # fmt: skip
        widgets = {"expected_close_date": date_input()}
        error_messages = {
            "probability": {"max_value": _("The probability is a percentage from 0 to 100.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = User.objects.filter(is_active=True).filter(
            Q(groups__name__in=["sales", "manager"]) | Q(pk=self.instance.owner_id)
        )
        self.fields["owner"].queryset = owners.distinct().order_by("username")  # type: ignore[attr-defined]
        self.fields["source_campaign"].queryset = Campaign.objects.order_by("name")  # type: ignore[attr-defined]
        self.initial.setdefault("version", self.instance.version)

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class MoveForm(forms.Form):
    """One card's "move to" on the board (and the deal page), with the stage
    the mover saw."""

    stage = StageChoiceField(label=_("Move to"), queryset=DealStage.objects.none())
    from_stage = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = DealStage.objects.filter(kind=DealStage.Kind.OPEN)  # type: ignore[attr-defined]
        self.fields["stage"].error_messages["invalid_choice"] = _(
            "Choose one of the open stages offered."
        )


class WinForm(forms.Form):
    close_date = forms.DateField(label=_("Close date"), widget=date_input())
    amount = amount_field(_("Final amount (JPY)"))


class LoseForm(forms.Form):
    reason = forms.ModelChoiceField(
        label=_("Reason"),
        queryset=LostReason.objects.none(),
        error_messages={"required": _("Choose why the deal was lost.")},
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write a note on why the deal was lost.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = LostReason.objects.offered()  # type: ignore[attr-defined]


class ReopenForm(forms.Form):
    stage = StageChoiceField(label=_("Back to stage"), queryset=DealStage.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = DealStage.objects.offered().filter(  # type: ignore[attr-defined]
            kind=DealStage.Kind.OPEN
        )
