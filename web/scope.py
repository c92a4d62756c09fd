"""One permission-scoped way to fetch the row a URL names.

Every model a URL can name has `visible_to(user)` on its QuerySet: the rows
this user may see. Pages, htmx fragments and API actions fetch through
`get_visible_or_404`, never through an unscoped queryset, so that a row out of
the user's scope answers exactly as a row that does not exist (the same 404,
raised before anything about the row is read, changed or rendered).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


def get_visible_or_404(
    source: type[M] | QuerySet[M], user: AbstractBaseUser | AnonymousUser, pk: object
) -> M:
    """The row `pk` of `source` (a model, or a queryset of it to narrow or
    join), if `user` may see it; Http404 otherwise, whether it exists or not."""
    queryset: QuerySet[M] = source._default_manager.all() if isinstance(source, type) else source
    visible_to: Any = getattr(queryset, "visible_to", None)
    if visible_to is None:
        # No scope means no way to fetch: a model must say who sees what.
        raise ImproperlyConfigured(f"{queryset.model.__name__} has no visible_to(user)")
    try:
        key = int(str(pk))
    except ValueError:
        raise Http404 from None
    try:
        return visible_to(user).get(pk=key)  # type: ignore[no-any-return]
    except ObjectDoesNotExist:
        raise Http404 from None
