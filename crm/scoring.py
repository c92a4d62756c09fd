"""Fit and engagement scores: a pure calculation over rules, lead and activities.

A fit rule gives its points once when the lead matches. An engagement rule gives
its points for every matching activity, each decayed by the rule's half-life
(half the points are left after `half_life_days`); the rule's total is then
capped at ±`cap`. Scores are the rounded sums. The same numbers come out of the
set-based rescore in the database (crm.rescore) and of `explain` here, which
also says where every point came from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.co.jp",
        "yahoo.com",
        "ymail.ne.jp",
        "hotmail.com",
        "hotmail.co.jp",
        "outlook.com",
        "outlook.jp",
        "live.jp",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "docomo.ne.jp",
        "ezweb.ne.jp",
        "au.com",
        "softbank.ne.jp",
        "i.softbank.jp",
        "nifty.com",
        "biglobe.ne.jp",
        "so-net.ne.jp",
        "ocn.ne.jp",
        "excite.co.jp",
        "mail.com",
        "gmx.com",
        "proton.me",
        "protonmail.com",
        "yandex.com",
        "qq.com",
        "163.com",
    }
)
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Rule:
    """What the calculation needs of a ScoringRule."""

    id: int
    name: str  # in the language of whoever took the snapshot
    dimension: str  # "fit" or "engagement"
    condition: str
    points: int
    words: tuple[str, ...] = ()
    kind: str = ""
    campaign_id: int | None = None
    url_contains: str = ""
    cap: int | None = None
    half_life_days: int | None = None
    # Both names, so that an explanation kept with a handoff is read later in
    # the reader's language (rule_name).
    name_ja: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class LeadFacts:
    title: str = ""
    department: str = ""
    email: str = ""
    size_band: str = ""
    industry: str = ""
    prefecture: str = ""
    company_domain: str = ""


@dataclass(frozen=True)
class ActivityFacts:
    id: int
    kind: str
    occurred_at: datetime
    campaign_id: int | None = None
    url: str = ""


@dataclass(frozen=True)
class Contribution:
    activity: ActivityFacts | None  # None for a fit rule
    points: int  # as the rule gives them
    value: float  # what is left of them today


@dataclass
class RuleResult:
    rule: Rule
    contributions: list[Contribution] = field(default_factory=list)

    @property
    def raw(self) -> float:
        return sum(c.value for c in self.contributions)

    @property
    def total(self) -> float:
        """The rule's part of the score: decayed, then capped."""
        if self.rule.cap is None:
            return self.raw
        return max(-self.rule.cap, min(self.rule.cap, self.raw))

    @property
    def capped(self) -> bool:
        return self.total != self.raw

    @property
    def given(self) -> int:
        """The points the rule gave, before decay and cap."""
        return sum(c.points for c in self.contributions)

    @property
    def counted(self) -> list[tuple[Contribution, float]]:
        """Each contribution with what the score counts of it: decayed, then
        its share of the rule's cap (the same figures as by_activity)."""
        share = self.total / self.raw if self.raw else 1.0
        return [(c, c.value * share) for c in self.contributions]


@dataclass(frozen=True)
class ActivityPoints:
    """What one engagement rule gives one activity, as the score counts it."""

    rule: Rule
    points: int  # as the rule gives them
    value: float  # what is left of them today (decayed)
    counted: float  # its part of the rule's total: decayed, then its share of the cap

    @property
    def capped(self) -> bool:
        return self.counted != self.value


@dataclass
class Explanation:
    fit: list[RuleResult]
    engagement: list[RuleResult]

    def by_activity(self) -> dict[int, list[ActivityPoints]]:
        """Each activity's points, rule by rule, as the score counts them: a
        capped rule's total is shared among its activities in proportion, so
        that an activity's points add up to its rules' totals and those to
        the score (before the score is rounded)."""
        found: dict[int, list[ActivityPoints]] = {}
        for result in self.engagement:
            for c, counted in result.counted:
                if c.activity is not None:
                    found.setdefault(c.activity.id, []).append(
                        ActivityPoints(result.rule, c.points, c.value, counted)
                    )
        return found

    @property
    def fit_score(self) -> int:
        return round(sum(r.total for r in self.fit))

    @property
    def engagement_score(self) -> int:
        return round(sum(r.total for r in self.engagement))

    def summary(self) -> dict[str, object]:
        """The explanation as JSON, per rule, for keeping with a handoff."""
        return {
            "fit": self.fit_score,
            "engagement": self.engagement_score,
            "rules": [
                {
                    "rule": r.rule.name,
                    "rule_ja": r.rule.name_ja,
                    "rule_en": r.rule.name_en,
                    "dimension": r.rule.dimension,
                    "activities": sum(1 for c in r.contributions if c.activity),
                    "points": tidy(r.total),
                    "capped": r.capped,
                }
                for r in [*self.fit, *self.engagement]
            ],
        }


def name_for_reader(name_ja: str, name_en: str) -> str:
    """A rule's name in the active language, else the other one."""
    from django.utils import translation  # the language only; nothing else of Django

    japanese = (translation.get_language() or "").startswith("ja")
    return (name_ja if japanese else name_en) or name_ja or name_en


def summary_rule_name(line: dict[str, object]) -> str:
    """The rule's name in a kept explanation line, in the reader's language
    (lines kept before rules had two names carry only "rule")."""
    return name_for_reader(str(line.get("rule_ja") or ""), str(line.get("rule_en") or "")) or str(
        line.get("rule") or ""
    )


def tidy(value: float) -> float | int:
    """Points as people read them: one decimal, none when it is .0 (25, 25.6)."""
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


def fit_matches(rule: Rule, lead: LeadFacts) -> bool:
    words = [w.casefold() for w in rule.words]
    domain = lead.email.rpartition("@")[2].casefold()
    match rule.condition:
        case "title_contains":
            return any(w in lead.title.casefold() for w in words)
        case "department_contains":
            return any(w in lead.department.casefold() for w in words)
        case "size_band_in":
            return lead.size_band in rule.words
        case "industry_in":
            return lead.industry in rule.words
        case "prefecture_in":
            return lead.prefecture in rule.words
        case "free_mail":
            return domain in FREE_MAIL_DOMAINS
        case "email_domain_in":
            return domain in words
        case "company_domain_in":
            return lead.company_domain.casefold() in words
    return False


def engagement_matches(rule: Rule, activity: ActivityFacts) -> bool:
    return (
        activity.kind == rule.kind
        and (rule.campaign_id is None or activity.campaign_id == rule.campaign_id)
        and (not rule.url_contains or rule.url_contains in activity.url)
    )


def decayed(points: int, *, age_days: float, half_life_days: int | None) -> float:
    """What is left of `points` after `age_days`: halved every half-life."""
    if half_life_days is None:
        return float(points)
    return points * math.exp(-math.log(2) * max(age_days, 0.0) / half_life_days)


def explain(
    lead: LeadFacts, activities: Iterable[ActivityFacts], rules: Sequence[Rule], *, now: datetime
) -> Explanation:
    """Every rule's part of the lead's scores, activity by activity."""
    # Each activity once, in one order whatever the input's.
    unique = {activity.id: activity for activity in activities}
    activities = sorted(unique.values(), key=lambda a: (a.occurred_at, a.id))
    fit = [
        RuleResult(rule, [Contribution(None, rule.points, float(rule.points))])
        for rule in rules
        if rule.dimension == "fit" and fit_matches(rule, lead)
    ]
    engagement = []
    for rule in rules:
        if rule.dimension != "engagement":
            continue
        result = RuleResult(rule)
        for activity in activities:
            if engagement_matches(rule, activity):
                age = (now - activity.occurred_at).total_seconds() / SECONDS_PER_DAY
                value = decayed(rule.points, age_days=age, half_life_days=rule.half_life_days)
                result.contributions.append(Contribution(activity, rule.points, value))
        if result.contributions:
            engagement.append(result)
    return Explanation(fit, engagement)


def points_for(activity: ActivityFacts, rules: Sequence[Rule]) -> int:
    """The points (before decay) an activity earns from the engagement rules."""
    return sum(
        r.points for r in rules if r.dimension == "engagement" and engagement_matches(r, activity)
    )
