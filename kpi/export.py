"""The dashboard as one CSV: UTF-8 with BOM, every text cell through
crm.export's formula neutraliser (campaign and rep names are user text).
Numbers are written as numbers: a negative gap is not a formula, and a
spreadsheet must be able to add it up."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from crm.export import neutralise
from kpi.metrics import Dashboard


def plain(value: Any) -> Any:
    """Numbers as the spreadsheet should read them: nothing for none."""
    return "" if value is None else value


def cell(value: Any) -> str:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return neutralise(value)


def dashboard_csv(board: Dashboard) -> bytes:
    header = [_("Section"), _("Item"), _("Figure"), _("Value"), _("Target"), _("Gap"), _("Unit")]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in _rows(board):
        writer.writerow([cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _rows(board: Dashboard) -> Iterator[list[Any]]:
    period = f"{board.period.start.isoformat()} – {board.period.end.isoformat()}"
    yield [_("Period"), "", "", period, "", "", ""]
    for figure in board.figures:
        d = figure.definition
        yield [
            _("KPIs"), d.key, d.name, plain(figure.value), plain(figure.target),
            plain(figure.gap), d.unit_label,
        ]  # fmt: skip
    for title, steps in (
        (_("Funnel by cohort"), board.cohort),
        (_("Funnel by calendar period"), board.calendar),
    ):
        for step in steps:
            yield [title, step.key, _("Leads"), step.count, "", "", ""]
            yield [title, step.key, _("Step conversion"), plain(step.conversion), "", "", "%"]
            yield [title, step.key, _("Median days per step"), plain(step.median_days), "", "", ""]
    for reason, count in board.rejections:
        yield [_("Rejection reasons"), reason, _("Rejected"), count, "", "", ""]
    for reason, count in board.lost_reasons:
        yield [_("Lost reasons"), reason, _("Lost deals"), count, "", "", ""]
    yield from _forecast_rows(board)
    for row in board.campaigns:
        name = row.name or _("No campaign")
        for label, value in (
            (_("Channel"), row.channel),
            (_("Actual cost"), row.cost),
            (_("Leads"), row.leads),
            (_("MQLs"), row.mqls),
            (_("SQLs"), row.sqls),
            (_("Won"), row.won),
            (_("Cost per lead"), row.cost_per_lead),
            (_("Cost per MQL"), row.cost_per_mql),
            (_("Cost per SQL"), row.cost_per_sql),
            (_("Cost per won"), row.cost_per_won),
            (_("Won revenue"), row.won_revenue),
            (_("ROI (%)"), row.roi),
            (_("Pipeline sourced"), row.pipeline_sourced),
            (_("Pipeline influenced"), row.pipeline_influenced),
        ):
            yield [_("Campaigns"), name, label, plain(value), "", "", ""]
    for rep in board.reps:
        for label, value in (
            (_("Claimed"), rep.claimed),
            (_("Speed to lead (median, minutes)"), rep.speed_p50),
            (_("Accepted"), rep.accepted),
            (_("Rejected"), rep.rejected),
            (_("Won"), rep.won),
        ):
            yield [_("Reps"), rep.name, label, plain(value), "", "", ""]
    for point in board.daily:
        day = point.day.isoformat()
        for label, value in (
            (_("New leads"), point.leads), (_("MQLs"), point.mqls),
            (_("SQLs"), point.sqls), (_("Won"), point.won),
        ):  # fmt: skip
            yield [_("Per day"), day, label, value, "", "", ""]


def _forecast_rows(board: Dashboard) -> Iterator[list[Any]]:
    for row in board.forecast:
        month = row.month.isoformat()[:7] if row.month else ""
        item = _("Overdue (expected earlier)") if row.overdue else month or _("No expected date")
        for label, value, target, gap in (
            (_("Open deals"), row.deals, "", ""),
            (_("Amount"), row.amount, "", ""),
            (_("Weighted"), row.weighted, "", ""),
            (_("Won so far"), row.won, "", ""),
            (_("Won + weighted"), row.projected, plain(row.target), plain(row.gap)),
        ):
            yield [_("Forecast"), item, label, value, target, gap, ""]
