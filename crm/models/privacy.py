"""What is left of a person erased on request (crm.privacy)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Tombstone(models.Model):
    """A keyed hash of an erased person's folded email (or mobile number),
    never the value itself: later captures, imports and tracking of the same
    address find it and do not silently bring the person back."""

    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("erased person's tombstone")
        verbose_name_plural = _("erased people's tombstones")

    def __str__(self) -> str:
        return self.digest[:12]


@dataclass(frozen=True)
class PersonalRows:
    """How a model holds data about a person where crm.privacy cannot see it
    from the foreign keys alone; set as `personal_rows` on the model class.

    `refs` maps a lookup on the model to the label of a model whose rows are
    already linked to the person: a row is theirs when the lookup's value is
    one of those rows' primary keys (a lead id inside a JSON payload, a
    visitor id). `delete`: on erasure the rows go instead of being
    anonymised (a row whose very key names the person).
    """

    refs: dict[str, str] = field(default_factory=dict)
    delete: bool = False
