"""allauth's forms, adjusted to Baton."""

from __future__ import annotations

from typing import Any

from allauth.account import forms as account_forms
from allauth.core import context
from allauth.mfa.base import forms as mfa_forms
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts import services


class LoginForm(account_forms.LoginForm):
    """allauth's login form, its `login` field posted as `username` as on
    Django's login form: password managers, django-axes (which reads the
    username from the request when it locks a pair out) and bookmarks of
    the old page keep working."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The page links to the reset itself, below the button.
        self.fields["password"].help_text = ""

    def add_prefix(self, field_name: str) -> str:
        return super().add_prefix("username" if field_name == "login" else field_name)


class ResetPasswordForm(account_forms.ResetPasswordForm):
    def clean_email(self) -> str:
        # No lookup here: the answer must not depend on whether the address
        # is known (services.request_password_reset).
        return str(self.cleaned_data["email"]).strip()

    def save(self, request: HttpRequest, **kwargs: Any) -> str:
        email = self.cleaned_data["email"]
        services.request_password_reset(email, language=get_language())
        return email


class MfaAuthenticateForm(mfa_forms.AuthenticateForm):
    """The second step of a login. A wrong code counts as a failed login:
    the audit trail records it and django-axes locks the username and
    address out after LOGIN_FAILURE_LIMIT of them, as for passwords."""

    def clean_code(self) -> str:
        request = context.request
        credentials = {"username": self.user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.axes_locked_out = True  # type: ignore[attr-defined]  # AxesMiddleware answers
            raise forms.ValidationError(_("Too many failed logins."), code="locked_out")
        try:
            return super().clean_code()
        except forms.ValidationError:
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            raise
