from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import Action, AuditEntry


class AuditFilterForm(forms.Form):
    """The audit page's filters; every one optional."""

    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("Any action")), *Action.choices], required=False
    )
    user = forms.CharField(label=_("User"), max_length=150, required=False)
    object_type = forms.ChoiceField(
        label=_("About"),
        required=False,
        choices=[
            ("", _("Anything")),
            ("lead", _("Lead")),
            ("handoff", _("Handoff")),
            ("user", _("User")),
            ("handoffpolicy", _("Handoff policy")),
            ("scoringrule", _("Scoring rule")),
            ("endpoint", _("Webhook endpoint")),
            ("target", _("KPI target")),
        ],
    )
    object_id = forms.CharField(label=_("Id"), max_length=40, required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        return data

    def filter(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        if not self.is_bound or not self.is_valid():
            return entries
        data = self.cleaned_data
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["user"]:
            entries = entries.filter(actor_username__iexact=data["user"].strip())
        if data["object_type"]:
            entries = entries.filter(object_type=data["object_type"])
        if data["object_id"]:
            entries = entries.filter(object_id=data["object_id"].strip())
        zone = timezone.get_current_timezone()
        if data["date_from"]:
            entries = entries.filter(at__gte=datetime.combine(data["date_from"], time(), zone))
        if data["date_to"]:
            end = datetime.combine(data["date_to"] + timedelta(days=1), time(), zone)
            entries = entries.filter(at__lt=end)
        return entries
