"""Pagination for every API list."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

WHOLE_NUMBER = re.compile(r"[0-9]+", re.ASCII)


class CursorPage(CursorPagination):
    """Pages by cursor: no count over a million leads, and no row is skipped or
    repeated when rows arrive between two pages. The view's `ordering` decides
    the order (its first field positions the cursor).

    `page_size` is a whole number from 1, once; above `max_page_size` a page
    holds `max_page_size` rows. DRF ignores a page size it cannot read; here
    it is a 400, as the schema says."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> tuple[str, ...]:
        return tuple(view.ordering)

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        for name in (self.page_size_query_param, self.cursor_query_param):
            if len(request.query_params.getlist(name)) > 1:
                raise ValidationError({name: [_("Give this parameter once.")]})
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        digits = raw.lstrip("0")
        if not WHOLE_NUMBER.fullmatch(raw) or not digits:
            raise ValidationError({self.page_size_query_param: [_("Give a whole number from 1.")]})
        # Counted in digits first: Python refuses to read numbers of 4,300 digits.
        return self.max_page_size if len(digits) > 6 else min(int(digits), self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = _(
                    "Rows per page (default %(default)s); more than %(max)s gives %(max)s."
                ) % {"default": self.page_size, "max": self.max_page_size}
        return parameters
