"""The set-based rescore (SQL on PostgreSQL) equals per-lead scoring on random data."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from crm import rescore, scoring
from crm.models import Activity, Campaign, Company, Lead, LeadScore, ScoringRule

pytestmark = pytest.mark.django_db

KINDS = ["form_submit", "page_view", "download", "webinar", "call"]
TITLES = ["営業部長", "Sales Director", "課長", "担当", "", "CEO"]


def random_world(rng: random.Random, owner) -> list[scoring.Rule]:
    campaigns = [
        Campaign.objects.create(name=f"c{i}", channel="web", utm_code=f"rescore-{i}", owner=owner)
        for i in range(3)
    ]
    companies = [
        Company.objects.create(
            name=f"会社{i}",
            size_band=rng.choice(["1-9", "300-999", "1000+", ""]),
            industry="it",
            domain=rng.choice(["target.example", "other.example", ""]),
        )
        for i in range(5)
    ]
    now = timezone.now()
    for n in range(40):
        lead = Lead.objects.create(
            family_name="x",
            email=f"p{n}@{rng.choice(['gmail.com', 'example.jp', 'rival.example'])}",
            title=rng.choice(TITLES),
            company=rng.choice([*companies, None]),
        )
        Activity.objects.bulk_create(
            Activity(
                lead=lead,
                kind=rng.choice(KINDS),
                occurred_at=now - timedelta(hours=rng.randint(0, 24 * 200)),
                campaign=rng.choice([*campaigns, None]),
                details={"url": rng.choice(["https://x.jp/pricing", "https://x.jp/blog", ""])},
            )
            for _ in range(rng.randint(0, 12))
        )
    ScoringRule.objects.all().delete()
    rules = [
        ScoringRule(
            name_en="boss",
            dimension="fit",
            condition="title_contains",
            value="部長,Director,CEO",
            points=20,
        ),
        ScoringRule(
            name_en="big",
            dimension="fit",
            condition="size_band_in",
            value="300-999,1000+",
            points=15,
        ),
        ScoringRule(name_en="free", dimension="fit", condition="free_mail", points=-10),
        ScoringRule(
            name_en="rival",
            dimension="fit",
            condition="email_domain_in",
            value="rival.example",
            points=-40,
        ),
        ScoringRule(
            name_en="target",
            dimension="fit",
            condition="company_domain_in",
            value="Target.example",
            points=25,
        ),
    ]
    for i in range(6):
        rules.append(
            ScoringRule(
                name_en=f"e{i}",
                kind=rng.choice(KINDS),
                points=rng.randint(-10, 30),
                cap=rng.choice([None, 20, 60]),
                half_life_days=rng.choice([None, 7, 30, 90]),
                campaign=rng.choice([None, None, *campaigns]),
                url_contains=rng.choice(["", "", "/pricing"]),
                position=i,
            )
        )
    ScoringRule.objects.bulk_create(rules)
    return ScoringRule.objects.active().snapshot()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_set_based_rescore_equals_per_lead_scoring(seed, marketer):
    rules = random_world(random.Random(seed), marketer)
    now = timezone.now()
    rescore.rescore_all(rules, now=now)
    for lead in Lead.objects.select_related("company"):
        facts = [a.scoring_facts() for a in lead.activities.all()]
        expected = scoring.explain(lead.scoring_facts(), facts, rules, now=now)
        assert (lead.fit_score, lead.engagement_score) == (
            expected.fit_score,
            expected.engagement_score,
        ), lead.pk


def test_rescoring_twice_changes_nothing_the_second_time(marketer):
    rules = random_world(random.Random(9), marketer)
    now = timezone.now()
    rescore.rescore_all(rules, now=now)
    assert rescore.rescore_all(rules, now=now) == 0


def test_preview_scores_without_writing(marketer):
    rules = random_world(random.Random(4), marketer)
    before = list(Lead.objects.values_list("score__fit", "score__engagement"))
    computed = rescore.scores(rules, now=timezone.now())
    assert len(computed) == Lead.objects.count()
    assert list(Lead.objects.values_list("score__fit", "score__engagement")) == before


def test_a_lead_missing_its_score_row_gets_one(marketer):
    rules = random_world(random.Random(5), marketer)
    lost = Lead.objects.filter(activities__isnull=False).first()
    LeadScore.objects.filter(lead=lost).delete()
    now = timezone.now()
    rescore.rescore_all(rules, now=now)
    lost = Lead.objects.select_related("company").get(pk=lost.pk)
    facts = [a.scoring_facts() for a in lost.activities.all()]
    expected = scoring.explain(lost.scoring_facts(), facts, rules, now=now)
    assert (lost.score.fit, lost.score.engagement) == (
        expected.fit_score,
        expected.engagement_score,
    )
    assert LeadScore.objects.count() == Lead.objects.count()
