"""What a person chose for themself: the language Baton speaks to them in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class LanguagePreference(models.Model):
    """The language of a user's pages, emails, notifications and reminders.

    Made at their first login from the browser's language, changed by the
    language switch in the top bar.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_preference"
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("language preference")
        verbose_name_plural = _("language preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


def language_of(user: AbstractBaseUser | None) -> str:
    """The language to write to `user` in: their choice, else the site's.

    Reads the preference loaded with the user when there is one
    (`select_related("language_preference")`), else asks the database.
    """
    if user is None or user.pk is None:
        return settings.LANGUAGE_CODE
    try:
        return user.language_preference.language  # type: ignore[attr-defined]
    except LanguagePreference.DoesNotExist:
        return settings.LANGUAGE_CODE
