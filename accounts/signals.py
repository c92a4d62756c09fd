"""Second factors added and removed go to the audit trail; a login notes
whether the second-factor requirement is met (accounts/middleware.py)."""

from __future__ import annotations

from typing import Any

from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts import services
from accounts.middleware import CHECKED
from accounts.models import LanguagePreference
from audit.trail import Action, record
from web.language import keep


@receiver(authenticator_added, dispatch_uid="accounts_mfa_added")
def on_authenticator_added(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    record(Action.MFA_CHANGED, user, changes={"added": authenticator.type})


@receiver(authenticator_removed, dispatch_uid="accounts_mfa_removed")
def on_authenticator_removed(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    record(Action.MFA_CHANGED, user, changes={"removed": authenticator.type})
    # The requirement is checked again on this session's next request.
    if request is not None and hasattr(request, "session"):
        request.session.pop(CHECKED, None)


@receiver(user_logged_in, dispatch_uid="accounts_mfa_checked_at_login")
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Checked once here, with the session written anyway, rather than on the
    # first page after login.
    if request is not None and hasattr(request, "session") and not services.mfa_required(user):
        request.session[CHECKED] = True


@receiver(user_logged_in, dispatch_uid="accounts_language_at_login")
def on_login_language(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """The person's language from now on: the one they chose, or at their
    first login the one their browser asked for (LocaleMiddleware read it;
    a login with no browser behind it, as in tests, chooses nothing)."""
    if request is None:
        return
    chosen = LanguagePreference.objects.filter(user=user).values_list("language", flat=True)
    language = chosen.first()
    browser = getattr(request, "LANGUAGE_CODE", None)
    if language is None and browser is not None:
        # get_or_create: two first logins at once make one preference.
        preference, _new = LanguagePreference.objects.get_or_create(
            user=user, defaults={"language": browser}
        )
        language = preference.language
    if language is not None:
        keep(request, language)
