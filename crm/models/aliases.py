"""What a merged person was known by, so that it still finds the person kept."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.people import Lead


class LeadAliasQuerySet(models.QuerySet["LeadAlias"]):
    def emails(self, keys: Iterable[str]) -> LeadAliasQuerySet:
        """The aliases of these email keys (crm.normalize.email_key), newest first."""
        return self.filter(kind=LeadAlias.Kind.EMAIL, value__in=list(keys)).order_by("-pk")


class LeadAlias(models.Model):
    """An email or phone number of a person merged into `lead`.

    The merged person's row is gone, but a re-imported file, a form submit or
    a search still names them by these: they resolve to the person kept, so
    that a merge is not undone by the next import. A lead's own email always
    wins over an alias of another lead.

    No unique constraint on the value: erasing the person kept empties it
    like any other text of a linked row (crm.privacy), and two erased aliases
    must not collide. A lookup takes the newest alias.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The email key (crm.normalize.email_key) or the phone digits.
    value = models.CharField(_("value"), max_length=254)
    # The id the merged person had (not a foreign key: that row is deleted).
    merged_lead_id = models.PositiveIntegerField(_("merged lead"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = LeadAliasQuerySet.as_manager()

    class Meta:
        verbose_name = _("former email or phone")
        verbose_name_plural = _("former emails and phones")
        indexes = [
            # Import and capture look merged emails up by value; search, phones.
            models.Index(fields=["kind", "value"], name="leadalias_kind_value_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.lead_id}"
