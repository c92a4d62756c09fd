from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.imports import card_profiles
from crm.imports.mapping import FIELDS, FREE_ANSWER, missing_fields
from crm.models import (
    Activity,
    Campaign,
    Company,
    Consent,
    Industry,
    Lead,
    Prefecture,
    SizeBand,
)
from crm.models.people import LeadQuerySet
from crm.widgets import QuickSelect
from web.people import person, user_name


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Users named as every page names them (web/people.py)."""

    def label_from_instance(self, obj: Any) -> str:
        return person(obj)


class FixedChoiceField(forms.ChoiceField):
    """A ChoiceField whose choices are fixed in the code: every form shares
    them instead of deep-copying them (a list's filter form copied its
    choices and labels on every request; the deal list's still would)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> FixedChoiceField:
        # Field's own copy (the widget, messages, validators), not ChoiceField's.
        result: FixedChoiceField = super(forms.ChoiceField, self).__deepcopy__(memo)  # type: ignore[misc]
        return result


class SharedFields(dict[str, forms.Field]):
    """A form's declared fields, handed to each instance as they are instead of
    deep-copied (Django copies every field and widget per form so that a view
    may change them for one request: for the lead list's sixteen filters that
    was about 4% of the page).

    Only for a form whose fields nothing changes after the class is built: no
    view sets a queryset, choices, label or widget attribute on them, and none
    renders them through crispy (which adds classes to the widget's attrs)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


class LeadFilterForm(forms.Form):
    """Search, filters and sort order of the lead list (and its export).

    Its fields are shared by every instance (SharedFields, set below the class)."""

    SORTS = {
        "-created": ("-created_at", "-pk"),
        "created": ("created_at", "pk"),
        "-engagement": ("-score__engagement", "-pk"),
        "-fit": ("-score__fit", "-pk"),
        # 五十音順: the kana-folded reading (crm.normalize.reading_key), indexed.
        "name": ("reading_key", "pk"),
    }

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    stage = FixedChoiceField(
        label=_("Stage"),
        required=False,
        choices=[("", _("All stages")), *Lead.Stage.choices],
        widget=QuickSelect(attrs={"class": "form-select"}),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        required=False,
        queryset=Campaign.objects.all(),
        empty_label=_("All campaigns"),
        widget=QuickSelect(attrs={"class": "form-select"}, label_field="name", declared_rows=True),
    )
    owner = UserChoiceField(
        label=_("Owner"),
        required=False,
        queryset=User.objects.filter(is_active=True).order_by("last_name", "username"),
        empty_label=_("Anyone"),
        # Named as every page names people (web/people.py), read as values.
        widget=QuickSelect(
            attrs={"class": "form-select"},
            label_fields=("first_name", "last_name", "username"),
            label=user_name,
            declared_rows=True,
        ),
    )
    min_fit = forms.IntegerField(
        label=_("Fit at least"), required=False, min_value=-100_000, max_value=100_000
    )
    min_engagement = forms.IntegerField(
        label=_("Engagement at least"), required=False, min_value=-100_000, max_value=100_000
    )
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Created to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # Company attributes, activity in a period and consent: what a nurture
    # segment selects by, and the lead list filters by the same fields.
    industry = FixedChoiceField(
        label=_("Industry"),
        required=False,
        choices=[("", _("Any industry")), *Industry.choices],
        widget=QuickSelect(attrs={"class": "form-select"}),
    )
    size_band = FixedChoiceField(
        label=_("Company size"),
        required=False,
        choices=[("", _("Any size")), *SizeBand.choices],
        widget=QuickSelect(attrs={"class": "form-select"}),
    )
    prefecture = FixedChoiceField(
        label=_("Prefecture"),
        required=False,
        choices=[("", _("Any prefecture")), *Prefecture.choices],
        widget=QuickSelect(attrs={"class": "form-select"}),
    )
    activity_kind = FixedChoiceField(
        label=_("Did"),
        required=False,
        choices=[("", _("Any activity")), *Activity.Kind.choices],
        widget=QuickSelect(attrs={"class": "form-select"}),
    )
    active_from = forms.DateField(
        label=_("Active from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    active_to = forms.DateField(
        label=_("Active to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    consent = FixedChoiceField(
        label=_("Email consent"),
        required=False,
        choices=[
            ("", _("With or without")),
            ("yes", _("May be emailed")),
            ("no", _("No consent or withdrawn")),
        ],
        widget=QuickSelect(attrs={"class": "form-select"}),
    )
    sort = FixedChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
            ("-engagement", _("Engagement, highest first")),
            ("-fit", _("Fit, highest first")),
            ("name", _("Name (reading)")),
        ],
        widget=QuickSelect(attrs={"class": "form-select"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and end < start:
            self.add_error("created_to", _("The period cannot end before it starts."))
        start, end = data.get("active_from"), data.get("active_to")
        if start and end and end < start:
            self.add_error("active_to", _("The period cannot end before it starts."))
        return data

    def filter(self, leads: LeadQuerySet) -> LeadQuerySet:
        """`leads` narrowed and ordered as the form says; newest first, unfiltered,
        when it is empty or invalid."""
        if not self.is_bound or not self.is_valid():
            return leads.order_by(*self.SORTS["-created"])
        data = self.cleaned_data
        sort = data["sort"] or "-created"
        by_reading = sort == "name" and bool(data["q"])
        if not by_reading:
            leads = leads.search(data["q"])
        if data["stage"]:
            leads = leads.filter(stage=data["stage"])
        if data["campaign"]:
            leads = leads.filter(source_campaign=data["campaign"])
        if data["owner"]:
            leads = leads.filter(owner=data["owner"])
        if data["min_fit"] is not None:
            leads = leads.filter(score__fit__gte=data["min_fit"])
        if data["min_engagement"] is not None:
            leads = leads.filter(score__engagement__gte=data["min_engagement"])
        tz = timezone.get_current_timezone()
        if data["created_from"]:
            leads = leads.filter(
                created_at__gte=datetime.combine(data["created_from"], time.min, tzinfo=tz)
            )
        if data["created_to"]:
            end = datetime.combine(data["created_to"] + timedelta(days=1), time.min, tzinfo=tz)
            leads = leads.filter(created_at__lt=end)
        for name in ("industry", "size_band", "prefecture"):
            if data[name]:
                leads = leads.filter(**{f"company__{name}": data[name]})
        leads = self._filter_activity(leads, data)
        if data["consent"] == "yes":
            leads = leads.with_marketing_consent()
        elif data["consent"] == "no":
            leads = leads.without_marketing_consent()
        if sort in ("-engagement", "-fit"):
            # An inner join, so that PostgreSQL can walk the score index in order.
            leads = leads.filter(score__isnull=False)
        if by_reading:
            # Last: it reads whether anything else narrows the leads.
            return leads.search_by_reading(data["q"])
        return leads.order_by(*self.SORTS[sort])

    @staticmethod
    def _filter_activity(leads: LeadQuerySet, data: dict[str, Any]) -> LeadQuerySet:
        """Leads with an activity (of the chosen kind) within the period; an
        EXISTS per lead, served by the timeline index (lead, occurred_at)."""
        kind, start, end = data["activity_kind"], data["active_from"], data["active_to"]
        if not (kind or start or end):
            return leads
        tz = timezone.get_current_timezone()
        activities = Activity.objects.filter(lead=OuterRef("pk"))
        if kind:
            activities = activities.filter(kind=kind)
        if start:
            activities = activities.filter(
                occurred_at__gte=datetime.combine(start, time.min, tzinfo=tz)
            )
        if end:
            activities = activities.filter(
                occurred_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
            )
        return leads.filter(Exists(activities))


LeadFilterForm.base_fields = SharedFields(LeadFilterForm.base_fields)


class _MergeForm(forms.Form):
    """Which record to keep, and which to fold into it (`keep` may be among `others`)."""

    keep: forms.ModelChoiceField[Any]
    others: forms.ModelMultipleChoiceField[Any]
    nothing_to_merge: Any  # a lazy translation: the message when `others` holds only `keep`

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        keep, others = data.get("keep"), data.get("others")
        if keep is not None and others is not None:
            data["others"] = [other for other in others if other.pk != keep.pk]
            if not data["others"]:
                raise forms.ValidationError(self.nothing_to_merge)
        return data


class MergeForm(_MergeForm):
    keep = forms.ModelChoiceField(queryset=Lead.objects.none())
    others = forms.ModelMultipleChoiceField(queryset=Lead.objects.none())
    nothing_to_merge = _("Choose at least one other lead to merge.")

    def __init__(self, *args: Any, leads: LeadQuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = leads  # type: ignore[attr-defined]
        self.fields["others"].queryset = leads  # type: ignore[attr-defined]


class CompanyMergeForm(_MergeForm):
    keep = forms.ModelChoiceField(queryset=Company.objects.all())
    others = forms.ModelMultipleChoiceField(queryset=Company.objects.all())
    nothing_to_merge = _("Choose at least one other company to merge.")


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (UTF-8 or Shift_JIS) or Excel (.xlsx), up to 25 MB.")
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.all(),
        required=False,
        help_text=_(
            "Where these people came from, for example the exhibition where cards were exchanged."
        ),
    )
    kind = forms.ChoiceField(
        label=_("Add to each timeline"),
        choices=[
            (Activity.Kind.CARD_EXCHANGE, Activity.Kind.CARD_EXCHANGE.label),
            (Activity.Kind.EVENT_VISIT, Activity.Kind.EVENT_VISIT.label),
            (Activity.Kind.IMPORTED, Activity.Kind.IMPORTED.label),
        ],
    )
    # Business cards are addresses given in writing (特定電子メール法 art. 3):
    # the default, recorded for each person with the card's date and the file.
    consent_basis = forms.ChoiceField(
        label=_("Why these people may be emailed"),
        choices=[
            *((basis.value, basis.label) for basis in Consent.IMPORT_BASES),
            ("", _("Not known: record nothing (they cannot be emailed)")),
        ],
        initial=Consent.Basis.WRITTEN_NOTICE,
        required=False,
        help_text=_(
            "Recorded for each person of the file, with the date on each row, "
            "who imported it and the file; a person who unsubscribed stays unsubscribed."
        ),
    )


class ImportMappingForm(forms.Form):
    """One choice per column of the file: which field it holds."""

    def __init__(
        self, *args: Any, headers: list[str], initial_mapping: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("(ignore this column)")), *FIELDS.items()]
        # A card service's export: the columns it leaves out say why.
        self.card_profile = card_profiles.detect(headers)
        for index, header in enumerate(headers):
            known = self.card_profile.target(header) if self.card_profile else None
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("(no name)"),
                choices=choices,
                required=False,
                initial=initial_mapping[index] if index < len(initial_mapping) else "",
                help_text=str(known.reason) if isinstance(known, card_profiles.Ignored) else "",
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
        self.column_count = len(headers)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        columns = self.columns()
        # Several columns may be free questions of the ledger, each asked by its header.
        chosen = [c for c in columns if c and c != FREE_ANSWER]
        if len(chosen) != len(set(chosen)):
            raise forms.ValidationError(_("Each field can be chosen for one column only."))
        if missing := missing_fields(columns):
            names = ", ".join(str(FIELDS[m]) for m in missing)
            raise forms.ValidationError(_("Choose a column for: %(fields)s.") % {"fields": names})
        return data

    def columns(self) -> list[str]:
        return [self.cleaned_data.get(f"col_{i}", "") or "" for i in range(self.column_count)]
