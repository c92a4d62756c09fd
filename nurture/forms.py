from __future__ import annotations

import re
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from crm.forms import LeadFilterForm
from crm.models import Campaign, Consent
from nurture import rendering
from nurture.models import Email, Segment


class SegmentForm(forms.ModelForm[Segment]):
    """A segment's name and the consent bases its sends may use; its filter
    is the lead list's form, bound beside it."""

    consent_bases = forms.MultipleChoiceField(
        label=_("Sends may use these consent bases"),
        choices=Consent.Basis.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_(
            "A lead is emailed only with a consent of a chosen basis that was not withdrawn. "
            "Japan's Act on Specified Electronic Mail allows an opt-in, an address given in "
            "writing (a business card), a business relationship and an address published for "
            "business."
        ),
        error_messages={"required": _("Choose at least one consent basis.")},
    )

    class Meta:
        model = Segment
        fields = ["name", "consent_bases"]

    def clean_consent_bases(self) -> list[str]:
        chosen = set(self.cleaned_data["consent_bases"])
        # Kept in the order of the choices, whatever the order of the boxes sent.
        return [basis for basis in Consent.Basis.values if basis in chosen]


def segment_query(filters: LeadFilterForm) -> str:
    """The filter as the lead list's query string: only its own, non-empty
    fields (the sort order and page are no part of a segment)."""
    query = QueryDict(mutable=True)
    for name in filters.fields:
        if name in ("sort",):
            continue
        value = filters.data.get(name, "")
        if value:
            query[name] = str(value)
    return query.urlencode()


class EmailForm(forms.ModelForm[Email]):
    class Meta:
        model = Email
        fields = ["name", "campaign", "language", "from_name", "from_email", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}
        help_texts = {
            "body": _(
                "Plain text. Links (https://…) are tracked; a footer with the sender and an "
                "unsubscribe link is added to every message."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.all()  # type: ignore[attr-defined]

    def clean_from_name(self) -> str:
        value: str = self.cleaned_data["from_name"]
        if re.search(r'[<>"\r\n]', value):
            raise forms.ValidationError(_('The sender name cannot contain < > " or line breaks.'))
        return value.strip()

    def _check_fields(self, name: str) -> str:
        value: str = self.cleaned_data[name]
        if unknown := rendering.unknown_fields(value):
            raise forms.ValidationError(
                _("Unknown merge field: %(fields)s. Use one of: %(known)s.")
                % {
                    "fields": ", ".join(f"{{{{ {f} }}}}" for f in unknown),
                    "known": ", ".join(f"{{{{ {f} }}}}" for f in rendering.MERGE_FIELDS),
                }
            )
        return value

    def clean_subject(self) -> str:
        return self._check_fields("subject")

    def clean_body(self) -> str:
        return self._check_fields("body")


class SendForm(forms.Form):
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.all(),
        empty_label=_("Choose a segment"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
