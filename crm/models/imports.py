"""An import of a lead list, from upload through dry run to the applied result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.activity import Activity
from crm.models.campaign import Campaign

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class ImportJobQuerySet(models.QuerySet["ImportJob"]):
    def visible_to(self, user: User | AnonymousUser) -> ImportJobQuerySet:
        """Whoever may import leads sees every import (marketers share the lists)."""
        if user.is_authenticated and user.has_perm("crm.add_lead"):
            return self
        return self.none()


class ImportJob(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PREVIEWED = "previewed", _("Checked (dry run)")
        QUEUED = "queued", _("Waiting to run")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    filename = models.CharField(_("file"), max_length=200)
    # The file itself, so that a worker on another machine can read it.
    content = models.BinaryField()
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=list)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    activity_kind = models.CharField(
        _("timeline entry"),
        max_length=20,
        choices=Activity.Kind.choices,
        default=Activity.Kind.IMPORTED,
    )
    # Why the file's people may be emailed (crm.models.Consent.Basis),
    # recorded for each of them; "" records nothing.
    consent_basis = models.CharField(_("email basis"), max_length=30, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)  # the file's rows, as uploaded
    # The people the run writes (rows less rejected, empty and repeated ones):
    # what processed_rows counts up to.
    rows_to_write = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    # {"new": n, "updated": n, "unchanged": n, "merged": n, "rejected": n}
    counts = models.JSONField(default=dict)
    # [{"line": n, "reason": "...", "values": [...]}], for the rejected-rows file.
    rejections = models.JSONField(default=list)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("crm:import_detail", args=[self.pk])

    @property
    def consent_basis_label(self) -> str:
        """The basis recorded for the file's people, as the lead page names it."""
        from crm.models.lifecycle import Consent

        return str(Consent.Basis(self.consent_basis).label) if self.consent_basis else ""

    @property
    def percent(self) -> int:
        if not self.rows_to_write:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.processed_rows / self.rows_to_write))
