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
    if connection.vendor == "postgresql":
        return _rescore_all_sql(rules, now=now, last=last, progress=progress)
    changed = 0
    for start in range(0, last + 1, BATCH):
        with transaction.atomic():
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


def _rescore_all_sql(
    rules: Sequence[scoring.Rule],
    *,
    now: datetime,
    last: int,
    progress: Callable[[int, int], None],
) -> int:
    """1. Compute every lead's scores in one statement into a temporary table:
          one pass over the activities, one group per lead (the rules as
          conditional sums, not a join), in parallel where PostgreSQL can.
       2. Write the ones that changed, a batch of leads per transaction.
    A lead scored by a worker after step 1 began keeps the worker's scores:
    they are newer (LeadScore.scored_at tells)."""
    sql, params = _scores_sql(rules, now=now, first=0, last=last)
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        started = cursor.fetchone()[0]
        try:
            with transaction.atomic():
                # One hash aggregate over a million leads: give it the memory
                # to stay out of temporary files (this transaction only).
                cursor.execute("SET LOCAL work_mem = '512MB'")
                # JIT-compile the expressions, but skip LLVM's inlining and
                # optimisation: per worker, they cost more than they save here.
                cursor.execute("SET LOCAL jit_inline_above_cost = -1")
                cursor.execute("SET LOCAL jit_optimize_above_cost = -1")
                cursor.execute("DROP TABLE IF EXISTS _baton_scores")
                cursor.execute(f"CREATE TEMPORARY TABLE _baton_scores AS {sql}", params)
                cursor.execute("CREATE INDEX ON _baton_scores (lead_id)")
                cursor.execute("ANALYZE _baton_scores")
                # A lead that somehow lacks its score row gets one, with its
                # scores (an upsert in the batches would lock unchanged rows).
                cursor.execute(
                    """
                    INSERT INTO crm_leadscore (lead_id, fit, engagement, scored_at)
                    SELECT s.lead_id, s.fit, s.engagement, now() FROM _baton_scores s
                    WHERE NOT EXISTS (SELECT 1 FROM crm_leadscore cur WHERE cur.lead_id = s.lead_id)
                    """
                )
                changed = cursor.rowcount
            progress(0, last)
            for first in range(0, last + 1, BATCH):
                with transaction.atomic():
                    changed += _write_batch(
                        cursor, first=first, last=first + BATCH - 1, started=started
                    )
                progress(min(first + BATCH, last), last)
        finally:
            cursor.execute("DROP TABLE IF EXISTS _baton_scores")
    return changed


def _write_batch(cursor: Any, *, first: int, last: int, started: datetime) -> int:
    # Both sides limited to the batch's range: each batch reads its own slice
    # of crm_leadscore through the primary key, not the whole table.
    cursor.execute(
        """
        UPDATE crm_leadscore cur SET fit = s.fit, engagement = s.engagement, scored_at = now()
        FROM _baton_scores s
        WHERE cur.lead_id = s.lead_id
          AND s.lead_id BETWEEN %s AND %s AND cur.lead_id BETWEEN %s AND %s
          AND (cur.fit, cur.engagement) IS DISTINCT FROM (s.fit, s.engagement)
          AND (cur.scored_at IS NULL OR cur.scored_at < %s)
        """,
        [first, last, first, last, started],
    )
    return int(cursor.rowcount)


def _scores_sql(
    rules: Sequence[scoring.Rule], *, now: datetime, first: int, last: int
) -> tuple[str, list[Any]]:
    """SELECT lead_id, fit, engagement for the leads with ids in [first, last].

    Each engagement rule is a conditional sum over the lead's activities, its
    cap applied to the sum: one aggregate group per lead. date_part() is float
    arithmetic, where EXTRACT() would be numeric and several times slower."""
    params: list[Any] = []
    fit_terms = []
    for rule in rules:
        if rule.dimension == "fit" and (term := _fit_sql(rule, params)):
            fit_terms.append(term)
    fit = " + ".join(fit_terms) or "0"
    engagement_rules = [r for r in rules if r.dimension == "engagement" and r.points]
    if not engagement_rules:
        sql = f"""
            SELECT l.id AS lead_id, ({fit})::int AS fit, 0 AS engagement
            FROM crm_lead l LEFT JOIN crm_company c ON c.id = l.company_id
            WHERE l.id BETWEEN %s AND %s
        """  # nosec B608  # fixed fragments; every rule value is a %s parameter
        return sql, [*params, first, last]
    sums: list[str] = []
    totals: list[str] = []
    rule_params: list[Any] = []
    for n, rule in enumerate(engagement_rules):
        rule_sum, total = _engagement_sql(rule, n, rule_params)
        sums.append(rule_sum)
        totals.append(total)
    kinds = sorted({rule.kind for rule in engagement_rules})
    sql = f"""
        SELECT l.id AS lead_id, ({fit})::int AS fit,
               COALESCE(round({" + ".join(totals)}), 0)::int AS engagement
        FROM crm_lead l
        LEFT JOIN crm_company c ON c.id = l.company_id
        LEFT JOIN (
            SELECT a.lead_id, {", ".join(sums)}
            FROM (
                SELECT lead_id, kind, campaign_id, details,
                       GREATEST(%s - date_part('epoch', occurred_at), 0) / 86400.0 AS age
                FROM crm_activity
                WHERE kind = ANY(%s) AND lead_id BETWEEN %s AND %s
            ) a
            GROUP BY a.lead_id
        ) e ON e.lead_id = l.id
        WHERE l.id BETWEEN %s AND %s
    """  # nosec B608  # fixed fragments; every rule value is a %s parameter
    return sql, [*params, *rule_params, now.timestamp(), kinds, first, last, first, last]


def _engagement_sql(rule: scoring.Rule, n: int, params: list[Any]) -> tuple[str, str]:
    """One engagement rule as the conditional sum `r<n>` over a lead's
    activities, and its total with the cap applied; its values are appended
    to `params` in the order of their placeholders."""
    test = ["a.kind = %s"]
    params.append(rule.kind)
    if rule.campaign_id is not None:
        test.append("a.campaign_id = %s")
        params.append(rule.campaign_id)
    if rule.url_contains:
        test.append("strpos(COALESCE(a.details ->> 'url', ''), %s) > 0")
        params.append(rule.url_contains)
    if rule.half_life_days:
        value = "%s * exp(%s * a.age)"
        params += [rule.points, -math.log(2) / rule.half_life_days]
    else:
        value = "%s::float8"
        params.append(rule.points)
    rule_sum = f"SUM(CASE WHEN {' AND '.join(test)} THEN {value} END) AS r{n}"
    total = f"COALESCE(e.r{n}, 0)"
    if rule.cap is not None:
        total = f"GREATEST(-{int(rule.cap)}, LEAST({int(rule.cap)}, {total}))"
    return rule_sum, total


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
