"""The campaign form and the tagged-link builder of the campaign page."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from crm import attribution
from crm.attribution import Utm
from crm.models import Answer, Campaign, FormQuestion
from crm.models.campaign import HOST_SEPARATORS

# A host name (or address) and an optional port: www.example.jp, localhost:8080.
LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
HOST = re.compile(rf"(?:{LABEL}\.)*{LABEL}(?::\d{{1,5}})?")


class CampaignForm(forms.ModelForm[Campaign]):
    """Every message here is a sentence in the reader's language: the
    database's constraints back the same rules, and their names never reach
    a page."""

    redirect_url = forms.URLField(
        label=capfirst(Campaign._meta.get_field("redirect_url").verbose_name),
        help_text=Campaign._meta.get_field("redirect_url").help_text,
        max_length=500,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = Campaign
        fields = [
            "name", "channel", "starts_on", "ends_on", "budget", "actual_cost", "utm_code",
            "allowed_hosts", "redirect_url",
        ]  # fmt: skip
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "allowed_hosts": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "utm_code": _("Letters, digits and hyphens; used as utm_campaign in links."),
        }
        error_messages = {
            "utm_code": {
                "invalid": _(
                    "Use only letters, digits, hyphens and underscores, without spaces "
                    "(for example spring-webinar)."
                ),
                "unique": _("Another campaign already uses this UTM code."),
            },
        }

    def clean_budget(self) -> Decimal:
        return self._not_negative("budget", _("The budget cannot be negative."))

    def clean_actual_cost(self) -> Decimal:
        return self._not_negative("actual_cost", _("The actual cost cannot be negative."))

    def _not_negative(self, name: str, message: StrOrPromise) -> Decimal:
        value: Decimal = self.cleaned_data[name]
        if value is not None and value < 0:
            raise forms.ValidationError(message, code="negative")
        return value

    def clean_allowed_hosts(self) -> str:
        """One host per line, lower case; an address pasted whole is reduced
        to its host (and port)."""
        hosts = []
        entries = HOST_SEPARATORS.split(self.cleaned_data["allowed_hosts"].strip())
        for entry in filter(None, entries):
            host = _host_of(entry).lower()
            if not HOST.fullmatch(host):
                raise forms.ValidationError(
                    _("“%(host)s” is not a host name. Write one per line, like www.example.jp."),
                    params={"host": entry},
                )
            hosts.append(host)
        return "\n".join(dict.fromkeys(hosts))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The campaign cannot end before it starts."))
        redirect_url = data.get("redirect_url")
        if redirect_url and "allowed_hosts" in data:
            self.instance.allowed_hosts = data["allowed_hosts"]
            if not self.instance.may_redirect_to(redirect_url):
                self.add_error(
                    "redirect_url",
                    _("The page after submitting must be on one of the allowed hosts.")
                    if data["allowed_hosts"]
                    else _("Add the website's host to the allowed hosts first."),
                )
        return data


def _host_of(entry: str) -> str:
    """The host (and port) of a pasted address, or the entry itself."""
    try:
        return urlsplit(entry).netloc if "://" in entry else entry
    except ValueError:  # an unclosed IPv6 bracket
        return entry


class TaggedLinkForm(forms.Form):
    """A link to the website with the campaign's utm_* parameters, to copy
    into an email, an ad or a post."""

    base_url = forms.URLField(
        label=_("Page"),
        max_length=500,
        assume_scheme="https",
        error_messages={
            "invalid": _("Enter the address of a web page, like https://www.example.jp/.")
        },
    )
    utm_source = forms.CharField(
        label=_("Source"),
        max_length=100,
        help_text=_("utm_source: where the link is placed (newsletter, google …)."),
    )
    utm_medium = forms.CharField(
        label=_("Medium"),
        max_length=100,
        help_text=_("utm_medium: the kind of link (email, cpc, social …)."),
    )
    utm_term = forms.CharField(
        label=_("Term"),
        max_length=100,
        required=False,
        help_text=_("utm_term: the paid keyword, if any."),
    )
    utm_content = forms.CharField(
        label=_("Content"),
        max_length=100,
        required=False,
        help_text=_("utm_content: which link or ad, when there are several."),
    )

    def link(self, campaign: Campaign) -> str:
        data = self.cleaned_data
        return attribution.tagged_link(
            data["base_url"], campaign=campaign, utm=Utm.from_params(data)
        )


class FormQuestionForm(forms.ModelForm[FormQuestion]):
    """One question of the capture form: from the ledger's list, or free."""

    class Meta:
        model = FormQuestion
        fields = ["question", "label_ja", "label_en", "required", "position"]
        labels = {
            "question": _("Question"),
            "label_ja": _("Wording in Japanese"),
            "label_en": _("Wording in English"),
            "required": _("Required"),
            "position": _("Order"),
        }
        help_texts = {
            "question": _("“Other” is a free question: write its wording."),
        }
        widgets = {"position": forms.NumberInput(attrs={"min": 0, "max": 999})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        question = self.fields["question"]
        question.choices = [  # type: ignore[attr-defined]
            ("", _("Choose a question…")),
            *(
                (value, _("Other (free question)") if value == "other" else label)
                for value, label in Answer.Question.choices
            ),
        ]
        self.fields["position"].required = False

    def has_changed(self) -> bool:
        """An empty new row (no question, no wording) is left out, whatever
        its order and required box say."""
        if self.instance.pk:
            return super().has_changed()
        return any(
            self.data.get(self.add_prefix(name)) for name in ("question", "label_ja", "label_en")
        )

    def clean_position(self) -> int:
        position = self.cleaned_data.get("position")
        if position is not None and position > 999:
            raise forms.ValidationError(_("The order is a number from 0 to 999."))
        return position or 0

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        free = data.get("question") == Answer.Question.OTHER
        if (
            free
            and not (data.get("label_ja") or "").strip()
            and not (data.get("label_en") or "").strip()
        ):
            self.add_error(
                "label_ja", _("Write the wording of a free question, in Japanese or English.")
            )
        return data

    def validate_constraints(self, exclude: Any = None) -> None:
        # The formset says it once per question (FormQuestionFormSet.clean),
        # in the reader's words; the database constraint backs it.
        pass


class BaseFormQuestionFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # New rows come after the questions already asked.
        last = max((f.instance.position for f in self.initial_forms), default=0)
        for offset, form in enumerate(self.extra_forms, start=1):
            form.initial.setdefault("position", last + offset)

    def clean(self) -> None:
        super().clean()
        asked: set[str] = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            question = form.cleaned_data.get("question")
            if question and question != Answer.Question.OTHER:
                if question in asked:
                    label = dict(Answer.Question.choices)[question]
                    form.add_error(
                        "question",
                        _("The form already asks “%(question)s”.") % {"question": label},
                    )
                asked.add(question)


FormQuestionFormSet = forms.inlineformset_factory(
    Campaign,
    FormQuestion,
    form=FormQuestionForm,
    formset=BaseFormQuestionFormSet,
    extra=2,
    max_num=30,
    validate_max=True,
    can_delete=True,
)
