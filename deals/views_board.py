"""The pipeline board: a column per open stage, cards moved by dragging
(SortableJS), by keyboard or without JavaScript (each card's "move to")."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html_join
from django.views.decorators.http import require_safe

from crm.models import Deal
from deals.board import Column, columns
from deals.filters import BoardFilterForm
from web.http import AuthenticatedRequest


def _mark_movable(board: list[Column], user: User) -> None:
    """Which cards the person may drag: every card with the right to see all
    leads, else the deals they own or whose lead they own."""
    may_change = user.has_perm("crm.change_deal")
    change_all = may_change and user.has_perm("crm.view_all_leads")
    for column in board:
        for card in column.cards:
            card.movable = change_all or (  # type: ignore[attr-defined]
                may_change and user.pk in (card.owner_id, card.lead.owner_id)
            )


def board_context(
    request: AuthenticatedRequest, params: QueryDict, *, notice: str = "", ok: bool = False
) -> dict[str, Any]:
    form = BoardFilterForm(params or None)
    board = columns(form.filter(Deal.objects.visible_to(request.user)))
    _mark_movable(board, request.user)
    stages = [column.stage for column in board if not column.stage.is_retired]
    for column in board:
        # Once per column, not per card: the board renders up to 20 cards a column.
        column.options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((s.pk, " selected" if s == column.stage else "", s) for s in stages),
        )
    filters = params.copy()
    filters.pop("page", None)
    here = reverse("deals:board")
    return {
        "form": form,
        "columns": board,
        "filters": filters.urlencode(),
        "board_url": f"{here}?{filters.urlencode()}" if filters else here,
        "deals_url": reverse("deals:list"),
        "notice": notice,
        "ok": ok,
    }


@require_safe
@login_required
@permission_required("crm.view_deal", raise_exception=True)
def board(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "deals/board.html", board_context(request, request.GET))


def board_fragment(request: AuthenticatedRequest, *, notice: str, ok: bool) -> HttpResponse:
    """The board after a drag (htmx), with what became of the move."""
    params = QueryDict(request.POST.get("filters", ""))
    context = board_context(request, params, notice=notice, ok=ok)
    return render(request, "deals/board.html#board", context)
