"""名寄せ: finding people who are probably the same person."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm import normalize
from crm.models import Company, Lead
from crm.models.people import LeadQuerySet

# Each rule: the fields two leads share, how the page names the match, and
# the fields that must be filled for the rule to apply. Readings compare
# kana-folded (crm.normalize.reading_key): ｻｲﾄｳ and サイトウ are one reading.
RULES: list[tuple[tuple[str, ...], Promise, tuple[str, ...]]] = [
    (("phone_digits",), _("same phone number"), ("phone_digits",)),
    (
        ("family_name", "given_name", "company"),
        _("same name at the same company"),
        ("family_name",),
    ),
    (
        ("reading_key", "company"),
        _("same reading at the same company"),
        ("family_name_kana",),
    ),
]


@dataclass
class DuplicateGroup:
    leads: list[Lead]
    reasons: list[Promise] = field(default_factory=list)


def duplicate_groups(leads: LeadQuerySet, *, limit: int = 50) -> list[DuplicateGroup]:
    """Groups of leads that share a phone number, a name or a reading at one
    company, largest first; one query per rule plus one for the leads."""
    groups: dict[frozenset[int], DuplicateGroup] = {}
    members: dict[frozenset[int], list[int]] = {}
    for fields, reason, filled in RULES:
        shared = (
            leads.exclude(**dict.fromkeys(filled, ""))
            .values(*fields)
            .annotate(n=Count("pk"), ids=_ids())
            .filter(n__gt=1)
            .order_by("-n")[:limit]
        )
        for row in shared:
            ids = frozenset(_split_ids(row["ids"]))
            members.setdefault(ids, sorted(ids))
            groups.setdefault(ids, DuplicateGroup([])).reasons.append(reason)
    by_id = Lead.objects.select_related("company", "source_campaign").in_bulk(
        {pk for ids in members for pk in ids}
    )
    for ids, group in groups.items():
        group.leads = [by_id[pk] for pk in members[ids] if pk in by_id]
    ordered = sorted(groups.values(), key=lambda g: -len(g.leads))
    return [g for g in ordered if len(g.leads) > 1][:limit]


@dataclass
class CompanyGroup:
    companies: list[Company]
    reasons: list[Promise] = field(default_factory=list)


# The reading compares kana-folded and without its legal form
# (Company.reading_key, crm.normalize.company_reading_key): ｻｲﾄｳｼｮｳｼﾞ,
# サイトウショウジ, さいとうしょうじ and カブシキガイシャサイトウショウジ are one
# reading, and so are サトー and サトウ.
COMPANY_RULES: list[tuple[str, Promise]] = [
    ("domain", _("same web domain")),
    ("reading_key", _("same reading")),
]


def company_groups(*, limit: int = 50) -> list[CompanyGroup]:
    """Companies that share a domain or a reading: their names differ beyond
    what the 名寄せ key folds (株式会社 and ㈱ are already one company)."""
    groups: dict[frozenset[int], CompanyGroup] = {}
    for name, reason in COMPANY_RULES:
        shared = (
            Company.objects.exclude(**{name: ""})
            .values(name)
            .annotate(n=Count("pk"), ids=_ids())
            .filter(n__gt=1)
            .order_by("-n")[:limit]
        )
        for row in shared:
            ids = frozenset(_split_ids(row["ids"]))
            groups.setdefault(ids, CompanyGroup([])).reasons.append(reason)
    by_id = Company.objects.in_bulk({pk for ids in groups for pk in ids})
    for ids, group in groups.items():
        group.companies = [by_id[pk] for pk in sorted(ids) if pk in by_id]
    return sorted(
        (g for g in groups.values() if len(g.companies) > 1), key=lambda g: -len(g.companies)
    )[:limit]


def _ids() -> object:
    """All ids of a group as one string (works on PostgreSQL and SQLite)."""
    from django.db import connection
    from django.db.models import CharField
    from django.db.models.functions import Cast

    if connection.vendor == "postgresql":
        from django.contrib.postgres.aggregates import StringAgg

        return StringAgg(Cast("pk", CharField()), delimiter=",")
    from django.db.models import Aggregate

    class GroupConcat(Aggregate):
        function = "GROUP_CONCAT"
        output_field = CharField()

    return GroupConcat("pk")


def _split_ids(value: str) -> list[int]:
    return [int(part) for part in str(value).split(",") if part]


# --- on entry: the records a new or changed one probably duplicates ---------------


@dataclass
class Candidate:
    """An existing record that the one being entered probably duplicates.
    `blocking`: the two cannot both be stored (the same email, the same
    company key), so "save anyway" is not offered."""

    record: Lead | Company
    reasons: list[Promise] = field(default_factory=list)
    blocking: bool = False


def lead_candidates(
    values: dict[str, object],
    *,
    company: Company | None,
    leads: LeadQuerySet,
    exclude: int | None = None,
    limit: int = 10,
) -> list[Candidate]:
    """Leads among `leads` that a person with these values probably is: the
    same email after folding (blocking), and the duplicates page's RULES
    (same phone digits, same name or reading at the same company). One query
    per rule; the probe is built as a new lead is (crm.models.derived)."""
    from crm.models.derived import derived_lead_columns

    probe = {**values, **derived_lead_columns(values), "company": company}
    probe["email"] = normalize.email_key(str(values.get("email") or ""))
    others = leads.exclude(pk=exclude) if exclude else leads
    found: dict[int, Candidate] = {}
    if probe["email"]:
        for lead in others.with_email(str(probe["email"])).select_related("company")[:1]:
            found[lead.pk] = Candidate(lead, [_("same email")], blocking=True)
    for fields, reason, filled in RULES:
        if any(not probe.get(name) for name in filled):
            continue
        wanted = {
            name: probe[name] if name == "company" else probe.get(name) or "" for name in fields
        }
        match = others.filter(**wanted)
        for lead in match.select_related("company")[:limit]:
            found.setdefault(lead.pk, Candidate(lead)).reasons.append(reason)
    return list(found.values())[:limit]


def company_candidates(
    values: dict[str, object], *, exclude: int | None = None, limit: int = 10
) -> list[Candidate]:
    """Companies a company with these values probably is: the same 名寄せ key
    (blocking: ㈱青葉商事 is 株式会社青葉商事), and the duplicates page's
    COMPANY_RULES (same web domain, same reading, kana folded)."""
    others = Company.objects.exclude(pk=exclude) if exclude else Company.objects.all()
    found: dict[int, Candidate] = {}
    name = normalize.nfkc(str(values.get("name") or ""))
    if key := normalize.company_key(name) or name:
        for company in others.filter(key=key)[:1]:
            found[company.pk] = Candidate(company, [_("same company name")], blocking=True)
    for column, reason in COMPANY_RULES:
        field_name, fold = _COMPANY_PROBES[column]
        if value := fold(str(values.get(field_name) or "")):
            for company in others.filter(**{column: value})[:limit]:
                found.setdefault(company.pk, Candidate(company)).reasons.append(reason)
    return list(found.values())[:limit]


# The entered field each COMPANY_RULES column is compared with, and how its
# value becomes the column's: readings kana folded and without their legal form (ｱｵﾊﾞ is
# あおば, ｶ)ｱｵﾊﾞ too), domains without scheme or www. (what the company form
# and the API store).
_COMPANY_PROBES = {
    "domain": ("domain", normalize.web_domain),
    "reading_key": ("name_kana", normalize.company_reading_key),
}
