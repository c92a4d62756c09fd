from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crm.models import Activity, Answer
from crm.widgets import QuickSelect
from handoff import notify
from handoff.models import Handoff, HandoffPolicy
from web.people import person, user_name

# The longest follow-up the touch and accept forms offer.
FOLLOW_UP_MAX_DAYS = 60


class RejectForm(forms.Form):
    # No reason is preselected: a hurried rep must choose one, not submit the first.
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("Choose a reason…")), *Handoff.RejectReason.choices],
    )
    note = forms.CharField(
        label=_("Note for marketing"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TouchForm(forms.Form):
    """A sales touch logged on the lead's timeline."""

    kind = forms.ChoiceField(
        label=_("What"),
        choices=[
            (value, label)
            for value, label in Activity.Kind.choices
            if value in Activity.SALES_KINDS
        ],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    follow_up_days = forms.IntegerField(
        label=_("Follow up in (business days)"),
        required=False,
        min_value=0,
        max_value=FOLLOW_UP_MAX_DAYS,
    )


class NextStepForm(forms.Form):
    """The next step a rep may set while accepting a handoff (optional)."""

    next_step = forms.CharField(label=_("Next step"), required=False, max_length=200)
    next_step_days = forms.IntegerField(
        label=_("Due in (business days)"),
        required=False,
        min_value=0,
        max_value=FOLLOW_UP_MAX_DAYS,
    )


class AnswerForm(forms.Form):
    """One answer for the question ledger."""

    question = forms.ChoiceField(
        label=_("Question"),
        choices=Answer.Question.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    answer = forms.CharField(
        label=_("Answer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    source = forms.ChoiceField(
        label=_("Heard on"),
        choices=[
            (value, label)
            for value, label in Answer.Source.choices
            if value in ("call", "meeting", "email", "event")
        ],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, answered: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Questions the customer already answered are marked, not hidden: an
        # answer may change, but nobody should ask without knowing.
        done = set(answered)
        self.fields["question"].choices = [  # type: ignore[attr-defined]
            (value, f"{label} ✓" if value in done else label)
            for value, label in Answer.Question.choices
        ]


class ReassignForm(forms.Form):
    rep = forms.ModelChoiceField(
        label=_("Reassign to"),
        # The reps, read as values and named as every page names people, in
        # one query (crm/widgets.py); declared once, its SQL compiled once.
        queryset=notify.sales_rep_queryset().order_by("last_name", "first_name", "username"),
        widget=QuickSelect(
            attrs={"class": "form-select"},
            label_fields=("first_name", "last_name", "username"),
            label=user_name,
            declared_rows=True,
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rep"].label_from_instance = person  # type: ignore[attr-defined]


class PolicyForm(forms.ModelForm[HandoffPolicy]):
    chat_webhook_url = forms.URLField(
        label=_("Chat webhook URL"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("Slack-compatible incoming webhook (https only); leave empty for none."),
    )
    chat_language = forms.ChoiceField(
        label=_("Chat language"),
        required=False,
        choices=[("", _("The site's language")), *settings.LANGUAGES],
        help_text=_("The language of the messages posted to the team's chat."),
    )

    class Meta:
        model = HandoffPolicy
        fields = [
            "fit_threshold",
            "engagement_threshold",
            "first_touch_sla_minutes",
            "claim_timeout_minutes",
            "business_day_start",
            "business_day_end",
            "recycle_cooldown_days",
            "routing",
            "notify_managers",
            "notify_by_email",
            "chat_webhook_url",
            "chat_language",
        ]
        widgets = {
            "business_day_start": forms.TimeInput(attrs={"type": "time"}),
            "business_day_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean_chat_webhook_url(self) -> str:
        return notify.clean_chat_webhook_url(self.cleaned_data["chat_webhook_url"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("business_day_start"), data.get("business_day_end")
        if start and end and end <= start:
            self.add_error("business_day_end", _("The business day must end after it starts."))
        return data

    def save(self, commit: bool = True) -> HandoffPolicy:
        policy = super().save(commit=False)
        notify.ensure_chat_webhook_secret(policy)
        if commit:
            policy.save()
        return policy
