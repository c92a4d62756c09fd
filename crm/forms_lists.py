"""Forms of saved views (of any list) and of the lead list's bulk actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from crm import bulk
from crm.forms import LeadFilterForm
from crm.models import Campaign, Lead, ListKey, SavedView
from crm.models.people import LeadQuerySet
from crm.saved_views import ListSpec

# The lead list's columns a view may show or hide (the name always shows).
LEAD_COLUMNS = [
    ("company", _("Company")),
    ("email", _("Email")),
    ("stage", _("Stage")),
    ("fit", _("Fit")),
    ("engagement", _("Engagement")),
    ("created", _("Created")),
]

LEAD_LIST = ListSpec(
    key=ListKey.LEADS,
    list_url="crm:lead_list",
    url_prefix="crm:saved_view",
    permission="crm.view_lead",
    columns=LEAD_COLUMNS,
    list_name=_("Leads"),
    heading=_("Saved views of the lead list"),
    intro=_(
        "A view keeps the filters, the sort and the columns. The lead list opens with your"
        " default view; a shared view is offered to the whole team, and each person sees only"
        " the leads they may see."
    ),
    empty=_("No saved views yet. Filter the lead list, then save it as a view."),
    no_view=_("All leads, no view"),
    make_default=_("Open the lead list with this view"),
    choose_default=_("Open the lead list with it"),
    opens_unfiltered=_("The lead list opens unfiltered."),
    opens_with=_("The lead list opens with “%(name)s”."),
)


class SavedViewForm(forms.ModelForm):
    make_default = forms.BooleanField(required=False)

    def __init__(self, *args: Any, spec: ListSpec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["make_default"].label = str(spec.make_default)

    class Meta:
        model = SavedView
        fields = ["name", "shared"]
        labels = {"name": _("Name of the view"), "shared": _("Share with the team")}


class RenameViewForm(forms.ModelForm):
    class Meta:
        model = SavedView
        fields = ["name", "shared"]
        labels = {"name": _("Name of the view"), "shared": _("Share with the team")}


class BulkActionForm(forms.Form):
    """What to do to which leads: the rows ticked (`ids`), or every lead the
    list's filters match (`all_matching`). `filters` is the list's query
    string (the form reads its filters; the rest leads back to the list)."""

    EXPORT, MERGE = "export", "merge"
    filter_form: LeadFilterForm

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            (bulk.ASSIGN, _("Assign to an owner")),
            (bulk.STAGE, _("Change the stage")),
            (bulk.CAMPAIGN, _("Add to a campaign")),
            (EXPORT, _("Export as CSV")),
            (MERGE, _("Merge the two selected")),
        ],
    )
    all_matching = forms.BooleanField(required=False)
    filters = forms.CharField(required=False, max_length=2000)
    to_owner = forms.ModelChoiceField(
        label=_("New owner"),
        required=False,
        queryset=User.objects.filter(is_active=True).order_by("last_name", "username"),
    )
    to_stage = forms.ChoiceField(
        label=_("New stage"), required=False, choices=[("", "—"), *Lead.Stage.choices]
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)
    to_campaign = forms.ModelChoiceField(
        label=_("Campaign"), required=False, queryset=Campaign.objects.all()
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["ids"] = self._ids()
        action = data.get("action")
        if not data.get("all_matching") and not data["ids"]:
            raise forms.ValidationError(_("Select at least one lead."))
        if action == bulk.ASSIGN and not data.get("to_owner"):
            self.add_error("to_owner", _("Choose the new owner."))
        if action == bulk.STAGE and not data.get("to_stage"):
            self.add_error("to_stage", _("Choose the new stage."))
        if action == bulk.STAGE and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the stage changes."))
        if action == bulk.CAMPAIGN and not data.get("to_campaign"):
            self.add_error("to_campaign", _("Choose the campaign."))
        if action == self.MERGE and (data.get("all_matching") or len(data["ids"]) != 2):
            raise forms.ValidationError(_("Select exactly two leads to merge them."))
        if data.get("all_matching"):
            self.filter_form = LeadFilterForm(QueryDict(data.get("filters") or "") or None)
            if self.filter_form.is_bound and not self.filter_form.is_valid():
                raise forms.ValidationError(_("The list's filters are not valid: filter it again."))
        return data

    def _ids(self) -> list[int]:
        getlist = getattr(self.data, "getlist", None)
        values = getlist("ids") if getlist else []
        ids = {int(v) for v in values if str(v).isdigit() and len(str(v)) < 12}
        return sorted(ids)

    def params(self) -> dict[str, Any]:
        """The action's parameters as a job keeps them (ids, text)."""
        data = self.cleaned_data
        action = data["action"]
        if action == bulk.ASSIGN:
            return {"owner": data["to_owner"].pk}
        if action == bulk.STAGE:
            return {"stage": data["to_stage"], "reason": data["reason"].strip()}
        return {"campaign": data["to_campaign"].pk}

    def selection(self, leads: LeadQuerySet) -> LeadQuerySet:
        """The chosen leads among `leads` (the scope, already narrowed)."""
        if self.cleaned_data["all_matching"]:
            return self.filter_form.filter(leads)
        return leads.filter(pk__in=self.cleaned_data["ids"]).order_by("pk")
