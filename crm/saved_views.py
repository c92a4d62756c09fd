"""Saved views of a list (crm.models.SavedView): which a user sees, opens by
default, and how a view becomes the list's address.

Each list that keeps views describes itself once, as a `ListSpec` (the lead
list below, the deal list in deals/views_saved.py); the pages that save,
open, rename, share and delete views (crm/views_saved.py) and their
templates read only the spec."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import connections, router, transaction
from django.db.models import Exists, OuterRef
from django.http import QueryDict
from django.utils.functional import Promise

from crm.models import DefaultView, ListKey, SavedView

# What a view keeps of the list's address besides its filters.
NOT_FILTERS = ("page", "view", "cols", "encoding", "headers", "replace")


@dataclass(frozen=True)
class ListSpec:
    """A list that keeps saved views: its key, its page (a URL name), the
    prefix of its views' URL names (`<prefix>_list`, `_create`, `_default`,
    `_edit`, `_delete`), the permission to read it, the columns a view may
    hide (its first column, `name`, always shows) and the sentences that
    name it on the shared pages."""

    key: ListKey
    list_url: str
    url_prefix: str
    permission: str
    columns: Sequence[tuple[str, Promise]]
    list_name: Promise  # the breadcrumb: "Leads"
    heading: Promise  # "Saved views of the lead list"
    intro: Promise
    empty: Promise
    no_view: Promise  # "All leads, no view"
    make_default: Promise  # "Open the lead list with this view"
    choose_default: Promise  # "Open the lead list with it"
    opens_unfiltered: Promise
    opens_with: Promise  # with %(name)s

    @property
    def manage_url(self) -> str:
        return f"{self.url_prefix}_list"

    @property
    def create_url(self) -> str:
        return f"{self.url_prefix}_create"

    @property
    def default_url(self) -> str:
        return f"{self.url_prefix}_default"

    @property
    def edit_url(self) -> str:
        return f"{self.url_prefix}_edit"

    @property
    def delete_url(self) -> str:
        return f"{self.url_prefix}_delete"

    @property
    def column_keys(self) -> list[str]:
        return [key for key, _label in self.columns]

    def shown_columns(self, query: QueryDict) -> list[str]:
        """The columns the list's address asks for (`cols`), all of them when
        it names none; the hidden `cols=name` of the form says a choice was made."""
        if "cols" not in query:
            return self.column_keys
        chosen = set(query.getlist("cols"))
        return [key for key in self.column_keys if key in chosen]


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


def filters_only(query: QueryDict) -> str:
    """The list's filters and sort as a query string, without the rest."""
    kept = query.copy()
    for name in NOT_FILTERS:
        kept.pop(name, None)
    for name in [name for name, values in kept.lists() if not any(values)]:
        kept.pop(name)
    return kept.urlencode()


def columns_of(query: QueryDict, spec: ListSpec) -> list[str]:
    """The columns a view keeps: those the address chose ([] when it chose
    none: the view shows them all)."""
    if "cols" not in query:
        return []
    return [key for key in query.getlist("cols") if key in spec.column_keys]


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


# for_list as one fixed statement, for the lists' menus: building and
# compiling the ORM's EXISTS query on every request cost the lead list about
# a tenth of its time, and reading it through Manager.raw(), which resolves
# its columns and converters anew each time, most of what remained
# (bench/README.md). The same rows in the same order as for_list
# (SavedView.objects.visible_to: the user's own or shared; ordered by name,
# then id), without the owner, which the menu does not show, nor the times
# (read if ever asked for).
_MENU_FIELDS = ("id", "list", "name", "query", "columns", "shared", "owner_id")
_MENU_SQL = """
SELECT v.id, v.list, v.name, v.query, v.columns, v.shared, v.owner_id,
    EXISTS (
        SELECT 1 FROM crm_defaultview d WHERE d.user_id = %s AND d.list = %s AND d.view_id = v.id
    ) AS is_default
FROM crm_savedview v
WHERE v.list = %s AND (v.owner_id = %s OR v.shared)
ORDER BY v.name, v.id
"""


def for_menu(user: User, list_key: str) -> list[ViewChoice]:
    """for_list's choices in one fixed statement, each view without its owner."""
    database = router.db_for_read(SavedView)
    connection = connections[database]
    columns = SavedView._meta.get_field("columns")
    with connection.cursor() as cursor:
        cursor.execute(_MENU_SQL, [user.pk, list_key, list_key, user.pk])
        rows = cursor.fetchall()
    choices = []
    for pk, list_, name, query, kept, shared, owner_id, is_default in rows:
        # As the ORM reads them: the JSON decoded, SQLite's 0 and 1 as booleans.
        kept = columns.from_db_value(kept, None, connection)  # type: ignore[attr-defined,arg-type]
        values = (pk, list_, name, query, kept, bool(shared), owner_id)
        view = SavedView.from_db(database, _MENU_FIELDS, values)
        choices.append(ViewChoice(view, bool(is_default)))
    return choices


def default_of(choices: list[ViewChoice]) -> SavedView | None:
    return next((c.view for c in choices if c.is_default), None)


def opening(choices: list[ViewChoice], query: QueryDict, *, htmx: bool) -> str | None:
    """The query string of the user's default view when the list is opened
    with no query at all (any query, even `view=none`, is taken as it is)."""
    if query or htmx:
        return None
    default = default_of(choices)
    return address(default) if default else None


@transaction.atomic
def set_default(user: User, list_key: str, view: SavedView | None) -> None:
    """The view `user`'s list opens with (None: the list unfiltered)."""
    DefaultView.objects.filter(user=user, list=list_key).delete()
    if view is not None:
        DefaultView.objects.create(user=user, list=list_key, view=view)
