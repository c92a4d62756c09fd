"""Companies: one row per organisation, found again by its 名寄せ key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm import normalize
from crm.models.choices import Industry, Prefecture, SizeBand
from web import links

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class CompanyQuerySet(models.QuerySet["Company"]):
    def visible_to(self, user: User | AnonymousUser) -> CompanyQuerySet:
        """Every signed-in role may see companies; leads are what is scoped."""
        if user.is_authenticated and user.has_perm("crm.view_company"):
            return self
        return self.none()

    def editable_by(self, user: User | AnonymousUser) -> CompanyQuerySet:
        """Companies `user` may change: marketers and managers every one."""
        if user.is_authenticated and user.has_perm("crm.edit_every_person"):
            return self
        return self.none()

    def search(self, text: str) -> CompanyQuerySet:
        """Name (legal form folded: ㈱ finds 株式会社), reading (kana folded:
        ｱｵﾊﾞ finds あおば) or web domain, anywhere in them."""
        text = normalize.nfkc(text)
        key, reading = normalize.company_key(text), normalize.company_reading_key(text)
        if not text:
            return self
        match = Q(domain__icontains=text)
        if key:
            match |= Q(key__contains=key)
        if reading:
            match |= Q(reading_key__contains=reading)
        return self.filter(match)


class Company(models.Model):
    name = models.CharField(_("company name"), max_length=200)
    name_kana = models.CharField(_("company name (kana)"), max_length=200, blank=True)
    # The name without legal form, spaces and punctuation (crm.normalize): two
    # spellings of one company share it, so capture and import find the company.
    key = models.CharField(max_length=200, unique=True, editable=False)
    # The reading, kana folded and without its legal form
    # (crm.normalize.company_reading_key), for the search and the duplicate rule.
    reading_key = models.CharField(max_length=200, blank=True, editable=False)
    domain = models.CharField(_("domain"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices, blank=True)
    size_band = models.CharField(_("size"), max_length=10, choices=SizeBand.choices, blank=True)
    prefecture = models.CharField(
        _("prefecture"), max_length=2, choices=Prefecture.choices, blank=True
    )
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # What an edit form was loaded with: a save compares it (crm/people.py),
    # so that of two people editing at once the second is told, not silently
    # overwriting the first.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CompanyQuerySet.as_manager()
    # Field-level change history (django-simple-history: signals, so bulk
    # writes and QuerySet.update() record nothing); the derived key is left out.
    history = HistoricalRecords(excluded_fields=["key", "reading_key", "created_at", "updated_at"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        # The company list's order: its page read from the index, not sorted.
        indexes = [models.Index(fields=["name", "id"], name="crm_company_name_id")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A derived column of this row only; it must never drift from the name.
        self.key = normalize.company_key(self.name) or normalize.nfkc(self.name)
        self.reading_key = normalize.company_reading_key(self.name_kana)
        if (fields := kwargs.get("update_fields")) is not None:
            kwargs["update_fields"] = {*fields, "key", "reading_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return links.pk_url("crm:company_detail", self.pk)  # the pattern reversed once
