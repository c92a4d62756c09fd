"""Entering and changing a person or a company by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from crm import normalize
from crm.models import Company, Lead

LEAD_FIELDS = [
    "family_name", "given_name", "family_name_kana", "given_name_kana",
    "department", "title", "email", "phone", "phone_direct", "phone_department", "mobile",
    "fax", "prefecture", "address",
]  # fmt: skip
COMPANY_FIELDS = [
    "name", "name_kana", "domain", "industry", "size_band", "prefecture", "postal_code", "address",
]  # fmt: skip
PHONE_FIELDS = ("phone", "phone_direct", "phone_department", "mobile", "fax")


class _EditForm(forms.ModelForm):  # type: ignore[type-arg]
    """What both forms share: the time the record was loaded (a save
    compares it: crm.people.EditConflict)."""

    seen_updated_at = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["seen_updated_at"] = self.instance.updated_at.isoformat()

    def clean_seen_updated_at(self) -> datetime | None:
        value = self.cleaned_data["seen_updated_at"]
        try:
            return parse_datetime(value) if value else None
        except ValueError:
            return None

    def validate_unique(self) -> None:
        """Same email or same company: the duplicate warning says so, with a
        link to the record (crm.dedupe), instead of a bare form error."""

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class LeadForm(_EditForm):
    company_name = forms.CharField(
        label=_("Company"),
        required=False,
        max_length=200,
        help_text=_("Found by its name (㈱ and 株式会社 alike) or added."),
    )

    class Meta:
        model = Lead
        fields = [*LEAD_FIELDS, "owner"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        order = [*LEAD_FIELDS[:4], "company_name", *LEAD_FIELDS[4:], "owner"]
        self.order_fields(order)
        if self.instance.company_id and not self.is_bound:
            self.initial["company_name"] = self.instance.company.name
        if user.has_perm("crm.edit_every_person"):
            owners = User.objects.filter(is_active=True, groups__name="sales").distinct()
            self.fields["owner"].queryset = owners.order_by("last_name", "username")  # type: ignore[attr-defined]
            self.fields["owner"].label_from_instance = _owner_label  # type: ignore[attr-defined]
        else:
            del self.fields["owner"]  # a rep's leads change owner through handoffs

    def clean_company_name(self) -> str:
        name = normalize.nfkc(self.cleaned_data["company_name"])
        if len(name) > 200:
            raise forms.ValidationError(_("The company name is too long."))
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in PHONE_FIELDS:
            if len(normalize.phone_digits(data.get(name) or "")) > 20:
                self.add_error(name, _("A phone number has at most 20 digits."))
        return data

    def changes(self) -> dict[str, Any]:
        model_fields = set(self._meta.fields or ())
        values = {name: self.cleaned_data[name] for name in self.fields if name in model_fields}
        values["email"] = normalize.email_key(values["email"])
        return values

    def company(self) -> Company | None:
        """The company the name refers to, if it is known (not created here)."""
        name = self.cleaned_data.get("company_name") or ""
        key = normalize.company_key(name) or name
        return Company.objects.filter(key=key).first() if key else None


def _owner_label(user: User) -> str:
    from web.people import person

    return person(user)


class CompanyForm(_EditForm):
    class Meta:
        model = Company
        fields = COMPANY_FIELDS

    def clean_name(self) -> str:
        name = normalize.nfkc(self.cleaned_data["name"])
        if len(name) > 200:
            raise forms.ValidationError(_("The company name is too long."))
        if not (normalize.company_key(name) or name):
            raise forms.ValidationError(_("Enter the company's name."))
        return name

    def clean_domain(self) -> str:
        domain = normalize.web_domain(self.cleaned_data["domain"])
        if len(domain) > 200:  # NFKC made it longer (㍿ is 株式会社)
            raise forms.ValidationError(_("The domain is too long."))
        return domain
