"""Pagination for every API list."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class CursorPage(CursorPagination):
    """Pages by cursor: no count over a million leads, and no row is skipped or
    repeated when rows arrive between two pages. The view's `ordering` decides
    the order (its first field positions the cursor)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> tuple[str, ...]:
        return tuple(view.ordering)
