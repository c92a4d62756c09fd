"""What the public capture endpoint accepts, as a form post or as JSON.

Every value is checked as it will be stored: a value the database cannot hold
(too long once normalised, a character no UTF-8 text can carry) is refused
here with a sentence, never left to fail as a 500 at the INSERT.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from crm import normalize
from crm.attribution import Utm, clean_parameter, first_of
from crm.capture import CaptureData, ConsentEvidence
from crm.ledger import ANSWER_MAX_LENGTH, Given
from crm.models import Campaign, Company, Consent, FormQuestion, Lead
from crm.models.questions import ANSWER_PREFIX
from web import ratelimit
from web.public_body import PublicRequest, is_json

VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
EMAIL_LENGTH = Lead._meta.get_field("email").max_length or 254
COMPANY_LENGTH = Company._meta.get_field("name").max_length or 200
PHONE_DIGITS = Lead._meta.get_field("phone_digits").max_length or 20


def storable(value: str) -> None:
    """No lone surrogate: valid in JSON, impossible in UTF-8 and so in the
    database. (Django's own validator already refuses NUL in every field.)"""
    if any(unicodedata.category(ch) == "Cs" for ch in value):
        raise ValidationError(
            _("This text contains a character that cannot be stored."), code="unstorable"
        )


class UtmField(forms.CharField):
    """A utm_* parameter: tidied and cut to length, never a reason to refuse a submit."""

    widget = forms.HiddenInput

    def clean(self, value: Any) -> str:
        return clean_parameter(value)


@dataclass(frozen=True)
class Origin:
    """Where a submit came from: the address and browser (the consent's
    evidence), the reader's language, and utm_* parameters carried outside
    the form (in the address posted to, or the page's in Referer)."""

    ip_address: str
    user_agent: str
    language: str
    utm: Utm

    @classmethod
    def of(cls, request: HttpRequest) -> Origin:
        return cls(
            ip_address=ratelimit.client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            language=translation.get_language() or "",
            utm=first_of(
                Utm.from_params(request.GET),
                Utm.from_url(request.headers.get("Referer", "")),
            ),
        )


class CaptureForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
    # Readings (フリガナ), optional: search, 五十音順 and the duplicate rules use
    # them. Labelled as Japanese forms label them (セイ, メイ), apart from the
    # name fields' own labels.
    family_name_kana = forms.CharField(
        label=_("Surname reading (kana)"), max_length=100, required=False
    )
    given_name_kana = forms.CharField(
        label=_("First-name reading (kana)"), max_length=100, required=False
    )
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    message = forms.CharField(
        label=_("Message"), max_length=2000, required=False, widget=forms.Textarea
    )
    consent = forms.BooleanField(
        label=_("I agree to receive information by email according to the privacy policy."),
        required=False,
    )
    # A honeypot: hidden from people, filled in by bots.
    website = forms.CharField(required=False)
    # The website visitor id the tracking script adds to capture forms, so
    # that the visits before the submit join the lead (nurture).
    visitor_id = forms.CharField(required=False)
    # Campaign parameters of the page the form was on (static/js/baton-capture.js
    # adds them to embedded forms; the hosted form carries its own).
    utm_source = UtmField(required=False)
    utm_medium = UtmField(required=False)
    utm_campaign = UtmField(required=False)
    utm_term = UtmField(required=False)
    utm_content = UtmField(required=False)
    # Where to send the visitor afterwards: only to one of the campaign's allowed hosts.
    redirect = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        campaign: Campaign,
        origin: Origin | None = None,
        malformed: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.origin = origin
        # What from_request could not read as answers, said in clean().
        self.malformed = malformed or []
        self.questions: list[FormQuestion] = list(campaign.form_questions.all())
        for question in self.questions:
            self.fields[question.field_name] = forms.CharField(
                label=question.label(),
                max_length=ANSWER_MAX_LENGTH,
                required=question.required,
                error_messages={"required": _("Please answer this question.")},
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not isinstance(field, UtmField):
                field.validators.append(storable)

    @classmethod
    def from_request(cls, request: PublicRequest, campaign: Campaign) -> CaptureForm:
        """Bound to a form post or a JSON object's string fields; in JSON the
        consent is the boolean true, nothing else that looks like it."""
        data: Any = request.posted
        malformed: list[str] = []
        if is_json(request):
            data = {k: v for k, v in request.posted.items() if isinstance(v, str)}
            data.pop("consent", None)
            if request.posted.get("consent") is True:
                data["consent"] = "on"
            malformed = _answers_object(request.posted.get("answers"), data)
        return cls(data, campaign=campaign, origin=Origin.of(request), malformed=malformed)

    @classmethod
    def for_page(cls, request: HttpRequest, campaign: Campaign) -> CaptureForm:
        """The hosted form, carrying its page's utm_* parameters and redirect."""
        initial: dict[str, str] = Utm.from_params(request.GET).as_dict()
        if campaign.may_redirect_to(redirect := request.GET.get("redirect", "")):
            initial["redirect"] = redirect
        return cls(campaign=campaign, initial=initial)

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        if len(normalize.email_key(email)) > EMAIL_LENGTH:
            raise ValidationError(
                _("This email address is too long: at most %(max)d characters."),
                params={"max": EMAIL_LENGTH},
            )
        return email

    def clean_company(self) -> str:
        name = normalize.nfkc(self.cleaned_data["company"])
        if len(name) > COMPANY_LENGTH or len(normalize.company_key(name)) > COMPANY_LENGTH:
            raise ValidationError(
                _(
                    "The company name is too long: at most %(max)d characters, counting a "
                    "character such as ㍿ as the letters it stands for (株式会社)."
                ),
                params={"max": COMPANY_LENGTH},
            )
        return str(self.cleaned_data["company"])

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"]
        if len(normalize.phone_digits(phone)) > PHONE_DIGITS:
            raise ValidationError(
                _("A phone number has at most %(max)d digits."), params={"max": PHONE_DIGITS}
            )
        return phone

    def clean_visitor_id(self) -> str:
        """A malformed id is dropped, never a reason to lose the submit."""
        value = self.cleaned_data.get("visitor_id") or ""
        return value if VISITOR_ID.fullmatch(value) else ""

    def clean_redirect(self) -> str:
        """An address elsewhere is ignored (no open redirect), never refused."""
        value: str = self.cleaned_data.get("redirect") or ""
        return value if self.campaign.may_redirect_to(value) else ""

    def clean(self) -> dict[str, Any]:
        """Answers to questions the form does not ask are refused by name: a
        client sending them has the form wrong, and would lose them silently."""
        data = super().clean() or {}
        for message in self.malformed:
            self.add_error(None, message)
        known = {q.field_name for q in self.questions}
        unknown = sorted(
            name.removeprefix(ANSWER_PREFIX)[:100]
            for name in self.data
            if isinstance(name, str) and name.startswith(ANSWER_PREFIX) and name not in known
        )
        if unknown:
            keys = ", ".join(q.key for q in self.questions)
            self.add_error(
                None,
                _("This form has no question “%(unknown)s”. Its questions are: %(keys)s.")
                % {"unknown": "”, “".join(unknown), "keys": keys or _("none")},
            )
        return data

    def answer_fields(self) -> list[forms.BoundField]:
        """The campaign's questions, in the form's order."""
        return [self[question.field_name] for question in self.questions]

    def answers(self) -> tuple[Given, ...]:
        """Each answer with the wording the visitor read (in the submit's language)."""
        language = self.origin.language if self.origin else ""
        return tuple(
            Given(
                question=question.question,
                answer=self.cleaned_data.get(question.field_name) or "",
                asked=question.wording(language),
            )
            for question in self.questions
        )

    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def utm(self) -> Utm:
        """The form's own parameters, else those of the address or page it came from."""
        outside = self.origin.utm if self.origin else Utm()
        return first_of(Utm.from_params(self.cleaned_data), outside)

    def redirect_url(self) -> str:
        """Where the visitor goes after a successful submit; "" for the thank-you page."""
        chosen = self.cleaned_data.get("redirect") or self.campaign.redirect_url
        return chosen if self.campaign.may_redirect_to(chosen) else ""

    def capture_data(self) -> CaptureData:
        data, origin = self.cleaned_data, self.origin
        return CaptureData(
            email=data["email"],
            family_name=data["family_name"],
            given_name=data["given_name"],
            family_name_kana=data["family_name_kana"],
            given_name_kana=data["given_name_kana"],
            company_name=data["company"],
            title=data["title"],
            phone=data["phone"],
            message=data["message"],
            visitor_id=data["visitor_id"],
            consent=self._consent() if data["consent"] else None,
            utm=self.utm(),
            answers=self.answers(),
            language=origin.language if origin else "",
            ip_address=origin.ip_address if origin else None,
            user_agent=origin.user_agent if origin else "",
        )

    def _consent(self) -> ConsentEvidence:
        return ConsentEvidence(
            basis=Consent.Basis.CONSENT,
            policy_version=settings.BATON_PRIVACY_POLICY_VERSION,
            ip_address=self.origin.ip_address if self.origin else None,
            user_agent=self.origin.user_agent if self.origin else "",
            source=f"capture:{self.campaign.utm_code}",
        )


def _answers_object(answers: Any, data: dict[str, Any]) -> list[str]:
    """A JSON submit may put its answers in one object, {"budget": "…"}:
    copied into `data` under the form's field names (answer_budget).
    Returns what cannot be read that way, as sentences."""
    if answers is None:
        return []
    if not isinstance(answers, dict):
        return [str(_("“answers” must be an object of question keys and answer texts."))]
    problems = []
    for key, value in answers.items():
        if isinstance(value, str):
            data[f"{ANSWER_PREFIX}{key}"] = value
        else:
            problems.append(str(_("The answer to “%(key)s” must be text.") % {"key": key[:100]}))
    return problems
