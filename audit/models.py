"""The audit trail: who did what, when and from where. Append-only.

Three layers keep it so: the model refuses to save an existing row or delete
one, the admin offers neither, and a PostgreSQL trigger (migration 0002)
refuses UPDATE and DELETE on the table for everyone, raw SQL included.

Entries name people by id, never by their personal data (no names, emails or
phone numbers in `summary` or `changes`): an erased person then leaves nothing
readable here, and the trail itself never has to change.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit entry."""


class Action(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGOUT = "logout", _("Logged out")
    STAGE_CHANGED = "stage_changed", _("Stage changed")
    OWNER_CHANGED = "owner_changed", _("Owner changed")
    HANDOFF_CHANGED = "handoff_changed", _("Handoff changed")
    LEADS_MERGED = "leads_merged", _("Leads merged")
    EXPORTED = "exported", _("Exported")
    PERSONAL_DATA_EXPORTED = "personal_data_exported", _("Personal data exported")
    ERASED = "erased", _("Person erased")
    ROLES_CHANGED = "roles_changed", _("Roles changed")
    MFA_CHANGED = "mfa_changed", _("Second factor changed")
    PASSWORD_RESET = "password_reset", _("Password reset")
    CONFIGURATION_CHANGED = "config_changed", _("Configuration changed")
    API_TOKEN_CREATED = "api_token_created", _("API token created")
    API_TOKEN_ROTATED = "api_token_rotated", _("API token rotated")
    API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
    LEAD_CHANGED = "lead_changed", _("Lead changed")
    DUPLICATE_SAVED = "duplicate_saved", _("Saved despite a probable duplicate")


# What an entry can be about, for the audit page.
OBJECT_TYPES = {
    "lead": _("Lead"),
    "company": _("Company"),
    "leads": _("Leads"),
    "handoff": _("Handoff"),
    "user": _("User"),
    "importjob": _("Import"),
    "bulkjob": _("Bulk action"),
    "handoffpolicy": _("Handoff policy"),
    "scoringrule": _("Scoring rule"),
    "endpoint": _("Webhook endpoint"),
    "target": _("KPI target"),
    "apitoken": _("API token"),
}


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit entries cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit entries cannot be deleted")


class AuditEntry(models.Model):
    at = models.DateTimeField(_("when"), default=timezone.now, editable=False, db_index=True)
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    # No foreign key: deleting a user must not touch the trail (SET NULL would
    # be an UPDATE, refused by the trigger); the username is kept as it was.
    actor_id = models.IntegerField(_("user id"), null=True, blank=True, editable=False)
    actor_username = models.CharField(_("user"), max_length=150, blank=True, editable=False)
    # What the entry is about, e.g. ("lead", "42") or ("handoff", "7").
    object_type = models.CharField(_("object type"), max_length=30, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        # Personal-data requests live here with their trail (crm has no table for them).
        permissions = [
            ("export_personal_data", _("Can export everything about a person")),
            ("erase_personal_data", _("Can erase a person")),
        ]
        indexes = [
            # The audit page filtered to one object: "everything that happened to lead 42".
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit entries cannot be deleted")

    @property
    def object_label(self) -> str:
        kind = OBJECT_TYPES.get(self.object_type, self.object_type)
        return f"{kind} #{self.object_id}" if self.object_id else str(kind)
