"""Saved views of a list (crm.models.SavedView): which a user sees, opens by
default, and how a view becomes the list's address."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import QueryDict

from crm.models import DefaultView, SavedView


@dataclass(frozen=True)
class ViewChoice:
    view: SavedView
    is_default: bool

    @property
    def query(self) -> str:
        """The list's query string for the view: its filters, its columns and its id."""
        return address(self.view)


def address(view: SavedView) -> str:
    query = QueryDict(view.query, mutable=True)
    if view.columns:
        query.setlist("cols", ["name", *view.columns])
    query["view"] = str(view.pk)
    return query.urlencode()


def for_list(user: User, list_key: str) -> list[ViewChoice]:
    """The user's own views and the team's, with which one is their default:
    one query."""
    is_default = DefaultView.objects.filter(user=user, list=list_key, view=OuterRef("pk"))
    views = (
        SavedView.objects.visible_to(user)
        .filter(list=list_key)
        .select_related("owner")
        .annotate(is_default=Exists(is_default))
    )
    return [ViewChoice(v, bool(v.is_default)) for v in views]  # type: ignore[attr-defined]


def default_of(choices: list[ViewChoice]) -> SavedView | None:
    return next((c.view for c in choices if c.is_default), None)


@transaction.atomic
def set_default(user: User, list_key: str, view: SavedView | None) -> None:
    """The view `user`'s list opens with (None: the list unfiltered)."""
    DefaultView.objects.filter(user=user, list=list_key).delete()
    if view is not None:
        DefaultView.objects.create(user=user, list=list_key, view=view)
