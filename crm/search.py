"""Global search (the top bar): the people, companies, deals and campaigns a
user may open, grouped, found by a few characters of any of them.

Kana are folded as everywhere else (crm/kana.py): やまぐち finds ヤマグチ and
ﾔﾏｸﾞﾁ. Every group reads through its model's `visible_to(user)`, so a rep is
never shown a row they could not open.

At a million people each condition is capped on its own: a branch of the lead
search (LeadQuerySet.search_branches) is served by one index and stops at its
first few rows, where the lead list's OR of them would gather every match
first. One or two characters match the start of a family name, a reading, an
email or a company name (text_pattern_ops btrees); three or more match
anywhere (trigrams). bench/bench_search.py measures it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrOrPromise

from crm import kana, normalize
from crm.models import Campaign, Company, Deal, Lead
from crm.models.people import LeadQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# The dropdown shows a few per group; the results page more.
DROPDOWN_LIMIT = 5
PAGE_LIMIT = 20
MAX_QUERY_LENGTH = 100
# What a person's hit shows (not the 600-character search key).
HIT_COLUMNS = (
    "family_name", "given_name", "family_name_kana", "given_name_kana", "email", "stage",
    "reading_key", "company__name",
)  # fmt: skip


@dataclass(frozen=True)
class Hit:
    label: str
    detail: str
    url: str


@dataclass
class Results:
    query: str
    people: list[Hit] = field(default_factory=list)
    companies: list[Hit] = field(default_factory=list)
    deals: list[Hit] = field(default_factory=list)
    campaigns: list[Hit] = field(default_factory=list)

    def groups(self) -> list[tuple[str, StrOrPromise, list[Hit]]]:
        """(kind, heading, hits) of each kind found, in the order shown."""
        groups: list[tuple[str, StrOrPromise, list[Hit]]] = [
            ("people", pgettext_lazy("search results", "People"), self.people),
            ("companies", _("Companies"), self.companies),
            ("deals", _("Deals"), self.deals),
            ("campaigns", _("Campaigns"), self.campaigns),
        ]
        return [group for group in groups if group[2]]

    @property
    def count(self) -> int:
        return len(self.people) + len(self.companies) + len(self.deals) + len(self.campaigns)


def deal_url(deal: Deal) -> str:
    """Where a deal found by the search opens: its own page."""
    return reverse("deals:detail", args=[deal.pk])


def global_search(text: str, *, user: User | AnonymousUser, limit: int) -> Results:
    """At most `limit` hits of each kind for `text`, as `user` may see them."""
    text = normalize.nfkc(text)[:MAX_QUERY_LENGTH]
    results = Results(query=text)
    if not normalize.search_key(text) or not user.is_authenticated:
        return results
    company_ids = _company_ids(text, user=user, limit=limit)
    leads = _leads(text, company_ids, user=user, limit=limit)
    results.people = [
        Hit(
            label=lead.display_name,
            detail=_joined(lead.company, lead.email),
            url=lead.get_absolute_url(),
        )
        for lead in leads
    ]
    results.companies = _companies(company_ids)
    results.deals = _deals(text, company_ids, [lead.pk for lead in leads], user=user, limit=limit)
    results.campaigns = _campaigns(text, user=user, limit=limit)
    return results


def _leads(
    text: str, company_ids: list[int], *, user: User | AnonymousUser, limit: int
) -> list[Lead]:
    """Up to `limit` people, branch by branch (one query each, stopping once
    the group is full), in 五十音順."""
    visible = (
        Lead.objects.visible_to(user)
        .filter(erased_at__isnull=True)
        .select_related("company")
        .only(*HIT_COLUMNS)
        .order_by()
    )
    found: dict[int, Lead] = {}
    branches = LeadQuerySet.search_branches(text, company_ids=company_ids) or []
    if text.isascii():
        # The start of an email first (a btree range): the trigrams of
        # "person12" are in every address, and a full group ends the search.
        branches.insert(0, Q(email__startswith=text.replace(" ", "").casefold()))
    for branch in branches:
        if len(found) >= limit:
            break
        rows = visible.filter(branch).exclude(pk__in=list(found))[: limit - len(found)]
        found.update((lead.pk, lead) for lead in rows)
    return sorted(found.values(), key=lambda lead: (lead.reading_key, lead.pk))


def _company_ids(text: str, *, user: User | AnonymousUser, limit: int) -> list[int]:
    """Companies by their key (the name without legal form, case or width),
    with kana folded too: a katakana name is found by its hiragana."""
    keys = {normalize.company_key(text), normalize.company_key(kana.fold_kana(text))} - {""}
    lookup = "key__startswith" if len(normalize.search_key(text)) < 3 else "key__contains"
    visible = Company.objects.visible_to(user).order_by()
    ids: list[int] = []
    # One query per spelling: ORed under a LIMIT, PostgreSQL chose to read
    # every company (37 ms at 50,000) instead of the index (2 ms).
    for key in sorted(keys):
        if len(ids) < limit:
            found = visible.filter(**{lookup: key}).exclude(pk__in=ids)
            ids.extend(found.values_list("pk", flat=True)[: limit - len(ids)])
    return ids


def _companies(ids: list[int]) -> list[Hit]:
    companies = Company.objects.filter(pk__in=ids).only("name", "prefecture", "domain")
    return [
        Hit(
            label=company.name,
            detail=_joined(company.get_prefecture_display(), company.domain),
            url=company.get_absolute_url(),
        )
        for company in companies
    ]


def _deals(
    text: str,
    company_ids: list[int],
    people_ids: list[int],
    *,
    user: User | AnonymousUser,
    limit: int,
) -> list[Hit]:
    """Deals by their name (its start for one or two characters), or of the
    companies and people found. Unordered in SQL, so that the indexes of
    crm/migrations/0021 stop at the first few (a sort would read every match)."""
    if not user.has_perm("crm.view_deal"):
        return []
    lookup = "name__istartswith" if len(normalize.search_key(text)) < 3 else "name__icontains"
    match = Q()
    for variant in {text, kana.fold_kana(text)}:
        match |= Q(**{lookup: variant})
    if company_ids:
        match |= Q(company_id__in=company_ids)
    if people_ids:
        match |= Q(lead_id__in=people_ids)
    deals = (
        Deal.objects.visible_to(user)
        .filter(match)
        .select_related("company", "stage")
        .only("name", "stage__name_ja", "stage__name_en", "amount", "lead_id", "company__name")
        .order_by()[:limit]
    )
    return [
        Hit(
            label=deal.name,
            detail=_joined(deal.company, deal.stage),
            url=deal_url(deal),
        )
        for deal in sorted(deals, key=lambda deal: deal.name)
    ]


def _campaigns(text: str, *, user: User | AnonymousUser, limit: int) -> list[Hit]:
    match = Q(name__icontains=text) | Q(utm_code__icontains=text)
    campaigns = (
        Campaign.objects.visible_to(user)
        .filter(match)
        .only("name", "channel", "utm_code")
        .order_by("-pk")[:limit]
    )
    return [
        Hit(label=c.name, detail=c.get_channel_display(), url=c.get_absolute_url())
        for c in campaigns
    ]


def _joined(*parts: object) -> str:
    """A hit's detail line: its non-empty parts (a company by its name)."""
    return " · ".join(str(getattr(part, "name", part)) for part in parts if part)
