"""The pipeline's lists managers keep: stages and lost reasons. A row in use
is retired, never deleted; a stage in use keeps its kind; each kind keeps
at least one stage offered."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit import trail
from crm.models import DealStage, LostReason
from crm.models.deal import BilingualName

FIELDS = {
    DealStage: ["name_ja", "name_en", "order", "probability", "kind", "is_retired"],
    LostReason: ["name_ja", "name_en", "order", "is_retired"],
}


class StageForm(forms.ModelForm[DealStage]):
    class Meta:
        model = DealStage
        fields = FIELDS[DealStage]
        error_messages = {
            "probability": {"max_value": gettext_lazy("Enter a probability from 0 to 100.")},
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        stage = self.instance
        if stage.pk and stage.deals.exists() and data.get("kind", stage.kind) != stage.kind:
            self.add_error("kind", _("Deals are at this stage: it keeps its kind."))
        kind = data.get("kind", stage.kind)
        if data.get("is_retired") and not (
            DealStage.objects.offered().filter(kind=kind).exclude(pk=stage.pk).exists()
        ):
            self.add_error(
                "is_retired", _("This is the last stage of its kind offered: add another first.")
            )
        return data


class ReasonForm(forms.ModelForm[LostReason]):
    class Meta:
        model = LostReason
        fields = FIELDS[LostReason]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_retired") and not (
            LostReason.objects.offered().exclude(pk=self.instance.pk).exists()
        ):
            self.add_error("is_retired", _("This is the last reason offered: add another first."))
        return data


def with_use(model: type[BilingualName]) -> Any:
    """Every row in order, with how many deals use it (one query)."""
    return model._default_manager.annotate(in_use=Count("deals")).order_by("order", "pk")


@transaction.atomic
def save_entry(form: forms.ModelForm[Any], *, by: Any) -> BilingualName:
    fields = FIELDS[type(form.instance)]
    before = trail.snapshot(form.instance, fields) if form.instance.pk else None
    entry: BilingualName = form.save()
    trail.record_configuration(entry, before=before, after=trail.snapshot(entry, fields), actor=by)
    return entry


@transaction.atomic
def delete_entry(entry: BilingualName, *, by: Any) -> str | None:
    """Delete an unused entry; otherwise why not (the reader retires it instead)."""
    locked = type(entry)._default_manager.select_for_update().get(pk=entry.pk)
    if locked.deals.exists():  # type: ignore[attr-defined]
        return _("“%(name)s” is in use: retire it instead, and it is no longer offered.") % {
            "name": locked
        }
    if isinstance(locked, DealStage) and not (
        DealStage.objects.offered().filter(kind=locked.kind).exclude(pk=locked.pk).exists()
    ):
        return _("This is the last stage of its kind offered: add another first.")
    before = trail.snapshot(locked, FIELDS[type(locked)])
    trail.record_configuration(locked, before=before, after=None, actor=by)
    locked.delete()
    return None
