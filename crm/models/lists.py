"""What people keep of a list: saved views (filters, sort, columns) and bulk jobs."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class ListKey(models.TextChoices):
    """The lists a view can belong to."""

    LEADS = "leads", _("Lead list")
    DEALS = "deals", _("Deal list")


class SavedViewQuerySet(models.QuerySet["SavedView"]):
    def visible_to(self, user: User | AnonymousUser) -> SavedViewQuerySet:
        """A user's own views and those shared with the team."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(owner=user) | Q(shared=True))


class SavedView(models.Model):
    """A list's filters and sort (its query string) and the columns shown,
    under a name; personal, or shared with the team. The filters are applied
    through the list's own form, so a view never widens anyone's scope."""

    list = models.CharField(_("list"), max_length=20, choices=ListKey.choices)
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    columns = models.JSONField(_("columns"), default=builtins.list, blank=True)  # [] shows them all
    shared = models.BooleanField(_("shared with the team"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        indexes = [models.Index(fields=["list", "owner"], name="savedview_list_owner_idx")]

    def __str__(self) -> str:
        return self.name

    def editable_by(self, user: User | AnonymousUser) -> bool:
        """Its owner renames it and shares it or not."""
        return user.is_authenticated and self.owner_id == user.pk

    def deletable_by(self, user: User | AnonymousUser) -> bool:
        """Its owner, or a manager for a shared one."""
        return self.editable_by(user) or (
            self.shared and user.is_authenticated and user.has_perm("crm.delete_savedview")
        )


class DefaultView(models.Model):
    """The view a user's list opens with when its address carries no query."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    list = models.CharField(max_length=20, choices=ListKey.choices)
    view = models.ForeignKey(SavedView, on_delete=models.CASCADE, related_name="defaults")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "list"], name="defaultview_one_per_list")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.list} → {self.view_id}"


class BulkJobQuerySet(models.QuerySet["BulkJob"]):
    def visible_to(self, user: User | AnonymousUser) -> BulkJobQuerySet:
        """Whoever asked for it follows it."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(created_by=user)


class BulkJob(models.Model):
    """A bulk action over more leads than a request should hold: the ids are
    taken when it is asked for, the worker applies it chunk by chunk."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to run")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    action = models.CharField(_("action"), max_length=20)
    params = models.JSONField(default=dict)  # {"owner": id} / {"stage": s, "reason": r} / ...
    lead_ids = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = BulkJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")

    def __str__(self) -> str:
        return f"{self.action} #{self.pk} ({self.processed}/{self.total})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.processed * 100 // self.total)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
