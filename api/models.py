"""API tokens: hashed at rest, named, scoped, expiring, revocable.

DRF's authtoken keeps one clear-text key per user forever; django-rest-knox
hashes and expires keys but has no names, scopes or last use, and its
swappable token model must exist before the first migration. Baton's needs
fit in one small model: the key is shown once, and only its SHA-256 digest is
kept (a 256-bit random key needs no slow hash: nothing can be guessed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A used token records its last use at most this often: not one write per request.
LAST_USE_PRECISION = timedelta(minutes=1)


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self, now: datetime | None = None) -> ApiTokenQuerySet:
        """Tokens that authenticate: neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> ApiTokenQuerySet:
        """One's own tokens only (admins revoke others' in Django admin)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user_id=user.pk)


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    # The key's first characters, to tell tokens apart on the page; not enough to use it.
    prefix = models.CharField(_("key starts with"), max_length=12)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(_("scope"), max_length=5, choices=Scope.choices, default=Scope.WRITE)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            # A name says which integration holds the token: one live name per user.
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="apitoken_one_name_per_user",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now

    @property
    def read_only(self) -> bool:
        return self.scope == self.Scope.READ
