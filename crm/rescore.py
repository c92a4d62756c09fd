"""Scoring every lead at once, after a rule change and every night (decay).

On PostgreSQL the scores are computed set-based: one aggregate over the
activities per batch of leads, joined to the rules passed in as a VALUES list,
and one UPDATE of crm_leadscore writing only the scores that change. Elsewhere (SQLite,
the embedded default) each lead is scored with crm.scoring, which is what the
set-based SQL must agree with (tests/crm/test_rescore.py checks it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max

from crm import scoring
from crm.models import Lead, LeadScore

BATCH = 100_000  # leads per transaction on PostgreSQL


@dataclass(frozen=True)
class Scores:
    lead_id: int
    fit: int
    engagement: int


def rescore_all(
    rules: Sequence[scoring.Rule],
    *,
    now: datetime,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Write every lead's scores under `rules` as of `now`; returns how many
    changed. Safe to run again: it writes what the rules give."""
    last = Lead.objects.aggregate(last=Max("pk"))["last"] or 0
    changed = 0
    for start in range(0, last + 1, BATCH):
        with transaction.atomic():
            if connection.vendor == "postgresql":
                changed += _update_batch_sql(rules, now=now, first=start, last=start + BATCH - 1)
            else:
                changed += _update_batch_python(rules, now=now, first=start, last=start + BATCH - 1)
        progress(min(start + BATCH, last), last)
    return changed


def scores(
    rules: Sequence[scoring.Rule], *, now: datetime, first: int = 0, last: int | None = None
) -> list[Scores]:
    """Every lead's scores under `rules`, without writing them (the preview)."""
    if last is None:
        last = Lead.objects.aggregate(last=Max("pk"))["last"] or 0
    if connection.vendor == "postgresql":
        sql, params = _scores_sql(rules, now=now, first=first, last=last)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [Scores(*row) for row in cursor.fetchall()]
    return list(_scores_python(rules, now=now, first=first, last=last))


def _update_batch_sql(
    rules: Sequence[scoring.Rule], *, now: datetime, first: int, last: int
) -> int:
    sql, params = _scores_sql(rules, now=now, first=first, last=last)
    with connection.cursor() as cursor:
        # A lead that somehow lacks its score row gets one (an upsert instead
        # would lock every unchanged row too).
        cursor.execute(
            """
            INSERT INTO crm_leadscore (lead_id, fit, engagement)
            SELECT l.id, 0, 0 FROM crm_lead l
            WHERE l.id BETWEEN %s AND %s
              AND NOT EXISTS (SELECT 1 FROM crm_leadscore s WHERE s.lead_id = l.id)
            """,
            [first, last],
        )
        cursor.execute(
            f"""
            UPDATE crm_leadscore cur SET fit = s.fit, engagement = s.engagement
            FROM ({sql}) s
            WHERE cur.lead_id = s.lead_id
              AND (cur.fit, cur.engagement) IS DISTINCT FROM (s.fit, s.engagement)
            """,
            params,
        )
        return cursor.rowcount


def _scores_sql(
    rules: Sequence[scoring.Rule], *, now: datetime, first: int, last: int
) -> tuple[str, list[Any]]:
    """SELECT lead_id, fit, engagement for the leads with ids in [first, last]."""
    params: list[Any] = []
    fit_terms = []
    for rule in rules:
        if rule.dimension == "fit" and (term := _fit_sql(rule, params)):
            fit_terms.append(term)
    fit = " + ".join(fit_terms) or "0"
    engagement_rules = [r for r in rules if r.dimension == "engagement" and r.points]
    engagement_sql = "SELECT NULL::bigint AS lead_id, 0::float8 AS score WHERE false"
    rule_params: list[Any] = []
    if engagement_rules:
        values = []
        for rule in engagement_rules:
            values.append(
                "(%s::bigint, %s::float8, %s::float8, %s::float8, %s::text, %s::bigint, %s::text)"
            )
            rate = math.log(2) / rule.half_life_days if rule.half_life_days else None
            rule_params += [
                rule.id,
                rule.points,
                rule.cap,
                rate,
                rule.kind,
                rule.campaign_id,
                rule.url_contains,
            ]
        engagement_sql = f"""
            SELECT lead_id, SUM(CASE WHEN cap IS NULL THEN v ELSE GREATEST(-cap, LEAST(cap, v)) END) AS score
            FROM (
                SELECT a.lead_id, r.id, r.cap, SUM(
                    r.points * CASE WHEN r.rate IS NULL THEN 1.0
                    ELSE exp(-r.rate * GREATEST(%s - date_part('epoch', a.occurred_at), 0) / 86400.0) END
                ) AS v
                FROM crm_activity a
                JOIN (VALUES {", ".join(values)}) AS r(id, points, cap, rate, kind, campaign_id, url)
                  ON a.kind = r.kind
                 AND (r.campaign_id IS NULL OR a.campaign_id = r.campaign_id)
                 AND (r.url = '' OR strpos(COALESCE(a.details ->> 'url', ''), r.url) > 0)
                WHERE a.lead_id BETWEEN %s AND %s
                GROUP BY a.lead_id, r.id, r.cap
            ) per_rule
            GROUP BY lead_id
        """
        # date_part() is float arithmetic; EXTRACT() would be numeric, several times slower.
        rule_params = [now.timestamp(), *rule_params, first, last]
    sql = f"""
        SELECT l.id AS lead_id, ({fit})::int AS fit, COALESCE(round(e.score), 0)::int AS engagement
        FROM crm_lead l
        LEFT JOIN crm_company c ON c.id = l.company_id
        LEFT JOIN ({engagement_sql}) e ON e.lead_id = l.id
        WHERE l.id BETWEEN %s AND %s
    """
    return sql, [*params, *rule_params, first, last]


def _fit_sql(rule: scoring.Rule, params: list[Any]) -> str | None:
    """One fit rule as `CASE WHEN <the lead matches> THEN points ELSE 0 END`."""
    words = list(rule.words)
    domain = "lower(split_part(l.email, '@', 2))"
    match rule.condition:
        case "title_contains" | "department_contains":
            column = "l.title" if rule.condition == "title_contains" else "l.department"
            if not words:
                return None
            test = f"{column} ILIKE ANY(%s)"
            params.append([f"%{_escape_like(w)}%" for w in words])
        case "size_band_in" | "industry_in" | "prefecture_in":
            company_column = {
                "size_band_in": "c.size_band",
                "industry_in": "c.industry",
                "prefecture_in": "c.prefecture",
            }[rule.condition]
            test = f"COALESCE({company_column}, '') = ANY(%s)"
            params.append(words)
        case "free_mail":
            test = f"{domain} = ANY(%s)"
            params.append(sorted(scoring.FREE_MAIL_DOMAINS))
        case "email_domain_in":
            test = f"{domain} = ANY(%s)"
            params.append([w.casefold() for w in words])
        case "company_domain_in":
            test = "lower(COALESCE(c.domain, '')) = ANY(%s)"
            params.append([w.casefold() for w in words])
        case _:
            return None
    params.append(rule.points)
    return f"(CASE WHEN {test} THEN %s ELSE 0 END)"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _scores_python(
    rules: Sequence[scoring.Rule], *, now: datetime, first: int, last: int
) -> list[Scores]:
    leads = (
        Lead.objects.filter(pk__gte=first, pk__lte=last)
        .select_related("company")
        .prefetch_related("activities")
    )
    result = []
    for lead in leads:
        facts = [a.scoring_facts() for a in lead.activities.all()]
        explanation = scoring.explain(lead.scoring_facts(), facts, rules, now=now)
        result.append(Scores(lead.pk, explanation.fit_score, explanation.engagement_score))
    return result


def _update_batch_python(
    rules: Sequence[scoring.Rule], *, now: datetime, first: int, last: int
) -> int:
    current = {
        lead_id: (fit, engagement)
        for lead_id, fit, engagement in LeadScore.objects.filter(
            lead_id__gte=first, lead_id__lte=last
        ).values_list("lead_id", "fit", "engagement")
    }
    changed = [
        LeadScore(lead_id=s.lead_id, fit=s.fit, engagement=s.engagement)
        for s in _scores_python(rules, now=now, first=first, last=last)
        if current.get(s.lead_id) != (s.fit, s.engagement)
    ]
    missing = [score for score in changed if score.lead_id not in current]
    LeadScore.objects.bulk_create(missing, batch_size=1000)
    present = [score for score in changed if score.lead_id in current]
    LeadScore.objects.bulk_update(present, ["fit", "engagement"], batch_size=1000)
    return len(changed)
