"""How a lead table's rows read, built in Python once per table.

The lead list's fifty rows took most of its time as template work: a dozen
`{% if %}` per row for the chosen columns, a variable look-up, localisation
and escaping per cell, a `DateFormat` per created date, a `blocktranslate`
per row for the tick box's label. Here each row is one f-string: names,
companies and emails escaped, everything else digits or labels from a
per-language table (escaped once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo
from html import escape
from typing import Any, NamedTuple

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone, translation
from django.utils.formats import get_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from crm import person_names
from crm.models import Lead
from web import links
from web.dates import date_writer

# The table's optional columns, in their order (crm.forms_lists.LEAD_COLUMNS).
ALL_COLUMNS = ("company", "email", "stage", "fit", "engagement", "created")


class LeadRow(NamedTuple):
    """What a row of a lead table shows, read as plain values."""

    pk: int
    family_name: str
    given_name: str
    company: str  # "" without one
    email: str
    stage: str
    created_at: datetime
    fit: int = 0
    engagement: int = 0

    @classmethod
    def of(cls, lead: Lead) -> LeadRow:
        """A lead already read (the company and scores as its page selected them)."""
        company = lead.company if lead.company_id else None
        return cls(
            lead.pk, lead.family_name, lead.given_name, company.name if company else "",
            lead.email, lead.stage, lead.created_at, lead.fit_score, lead.engagement_score,
        )  # fmt: skip


# The columns of a LeadRow, in its order, for values_list (scores apart).
ROW_FIELDS = (
    "pk", "family_name", "given_name", "company__name", "email", "stage", "created_at",
)  # fmt: skip

# A lead's score as a subselect of its row (0 without a score row). PostgreSQL
# evaluates such a column after sorting and cutting the page: fifty index
# look-ups. A join would pair every matching lead with its scores before the
# sort (9.2 against 3.8 ms for 4,286 leads sorted by email, bench/README.md);
# a second query cost the page a round trip. RawSQL, not Subquery: the ORM
# compiled a Subquery on every page.
_SCORE = 'COALESCE((SELECT "{}" FROM "crm_leadscore" WHERE "lead_id" = "crm_lead"."id"), 0)'
_SCORES = {
    "row_fit": RawSQL(_SCORE.format("fit"), ()),  # nosec B611  # fixed text, no input
    "row_engagement": RawSQL(_SCORE.format("engagement"), ()),  # nosec B611  # fixed text
}


def row_values(leads: QuerySet[Lead]) -> QuerySet[Lead, tuple[Any, ...]]:
    """`leads` as a lead table's rows: ROW_FIELDS and the two scores, one
    query (read them with `as_rows`). No model instance is built: 150 a
    page were a tenth of the lead list's time."""
    return leads.annotate(**_SCORES).values_list(*ROW_FIELDS, *_SCORES)


def as_rows(found: Iterable[tuple[Any, ...]]) -> list[LeadRow]:
    """row_values' tuples as LeadRows (a lead without a company has "")."""
    return [
        LeadRow(pk, family, given, company or "", email, stage, created, fit, engagement)
        for pk, family, given, company, email, stage, created, fit, engagement in found
    ]


def stage_labels(language: str | None) -> dict[str, str]:
    """Each stage's name in `language` (Lead.get_stage_display hashes every
    lazy label to find one: ten gettext calls a row)."""
    return links.choice_labels(Lead.Stage, language)


# Each row's markup kept by its values (a changed lead is a new key), per
# kind of table: what a row reads besides its values (language, time zone,
# URL configuration and prefix, the columns shown, the bulk form). A page
# seen again costs a look-up a row instead of its markup.
_kept_rows: dict[tuple[Any, ...], dict[LeadRow, str]] = {}
MAX_KEPT_ROWS = 2000  # per kind of table (forty pages); then it starts again


def rows(
    leads: Iterable[LeadRow | Lead],
    *,
    columns: Sequence[str] | None = None,
    bulk_form_id: str = "",
) -> SafeString:
    """The `<tr>` of each lead: its name linked, then the `columns` chosen
    (every one when None), after a tick box for `bulk_form_id`'s actions
    when given. The markup crm/_lead_table.html's loop gave, row by row."""
    shown = frozenset(ALL_COLUMNS if columns is None else columns)
    language = translation.get_language() or ""
    local = timezone.get_current_timezone()
    table = (language, str(local), get_urlconf(), get_script_prefix(), shown, bulk_form_id)
    kept = _kept_rows.setdefault(table, {})
    write = None
    out = []
    for each in leads:
        lead = each if isinstance(each, LeadRow) else LeadRow.of(each)
        if (html := kept.get(lead)) is None:
            if write is None:
                write = _row_writer(shown, language, local, bulk_form_id)
            if len(kept) >= MAX_KEPT_ROWS:
                kept.clear()
            html = kept[lead] = write(lead)
        out.append(html)
    return SafeString("".join(out))  # nosec B703  # every text escaped by _row_writer


def _row_writer(
    shown: frozenset[str], language: str, local: tzinfo, bulk_form_id: str
) -> Callable[[LeadRow], str]:
    """What writes a row's markup, with what every row shares worked out once."""
    # Each stage's cell, escaped once; a stage outside the choices is escaped as it comes.
    badges = {
        k: f'<td><span class="badge stage-{escape(k)}">{escape(v)}</span></td>'
        for k, v in stage_labels(language).items()
    }
    written = date_writer(get_format("SHORT_DATE_FORMAT"))
    url = links.pk_urls("crm:lead_detail")
    select = _("Select %(name)s")
    tick = escape(bulk_form_id)

    def write(lead: LeadRow) -> str:
        name = escape(person_names.full_name(lead.family_name, lead.given_name, language=language))
        cells = []
        if bulk_form_id:
            label = select % {"name": name}  # as blocktranslate: the name escaped
            cells.append(
                f'<td class="lead-select"><input class="form-check-input" type="checkbox" '
                f'name="ids" value="{lead.pk}" form="{tick}" id="select-{lead.pk}" '
                f'aria-label="{label}" data-testid="select-lead"></td>'
            )
        cells.append(f'<td class="text-nowrap"><a href="{url(lead.pk)}">{name}</a></td>')
        if "company" in shown:
            cells.append(
                f'<td class="cell-name">{escape(lead.company) if lead.company else "—"}</td>'
            )
        if "email" in shown:
            cells.append(f'<td class="small">{escape(lead.email)}</td>')
        if "stage" in shown:
            if (badge := badges.get(lead.stage)) is None:
                stage = escape(lead.stage)
                badge = f'<td><span class="badge stage-{stage}">{stage}</span></td>'
            cells.append(badge)
        if "fit" in shown:
            cells.append(f'<td class="text-end">{int(lead.fit)}</td>')
        if "engagement" in shown:
            cells.append(f'<td class="text-end">{int(lead.engagement)}</td>')
        if "created" in shown:
            created = escape(written(lead.created_at.astimezone(local).date()))
            cells.append(f'<td class="small text-nowrap">{created}</td>')
        return f"<tr>{''.join(cells)}</tr>"

    return write
